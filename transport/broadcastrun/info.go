package broadcastrun

import (
	"maps"
	"slices"
	"strings"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/broadcast"
)

// DequeInfo is one peer's deque: the digests it sent us that we keep, and
// the bytes they pin.
type DequeInfo struct {
	Peer    link.PeerID `json:"peer"`
	Digests int         `json:"digests"`
	Bytes   int         `json:"bytes"`
}

// Info is the driver's state for operators (the admin API's
// GET /broadcast).
type Info struct {
	CacheBytes  int `json:"cache_bytes"`
	CacheBudget int `json:"cache_budget"`
	Entries     int `json:"entries"`
	Waiters     int `json:"waiters"`
	Deferred    int `json:"deferred"`
	Seen        int `json:"seen"`
	Fetches     int `json:"fetches"`
	Links       int `json:"links"`
	Producers   int `json:"producers"`
	Outbox      int `json:"outbox"`
	// Topics are the registered topics with their size limits.
	Topics map[broadcast.Topic]int `json:"topics"`
	// Deques are the per-peer deques, sorted by peer id.
	Deques []DequeInfo `json:"deques"`
	// Stats are the Engine's counters by name (seed 001's metrics and the
	// pull, tree and budget counters).
	Stats map[string]uint64 `json:"stats"`
	// Bodies counts message bodies received per topic (every copy: eager
	// pushes, duplicates, pull replies), the figure behind copies per node.
	Bodies map[broadcast.Topic]uint64 `json:"bodies"`
	// Evictions are cache evictions by reason; Refused the Engine's drops
	// by reason; Drops the driver's own (no-link, link-closed,
	// link-queue-full, link-error, no-router, route-refused, outbox-full,
	// no-handler).
	Evictions map[broadcast.EvictReason]uint64 `json:"evictions"`
	Refused   map[broadcast.Reason]uint64      `json:"refused"`
	Drops     map[string]uint64                `json:"drops"`
}

// Info returns a snapshot of the state and counters.
func (d *Driver) Info() Info {
	d.mu.Lock()
	defer d.mu.Unlock()
	snap, st := d.e.Inspect(), d.e.Stats()
	in := Info{CacheBytes: snap.CacheBytes, CacheBudget: d.cfg.Engine.CacheBytes, Entries: snap.Entries,
		Waiters: snap.Waiters, Deferred: snap.Deferred, Seen: snap.Seen, Fetches: snap.Fetches,
		Links: len(d.links), Producers: len(d.producers), Outbox: len(d.out),
		Topics: map[broadcast.Topic]int{}, Bodies: maps.Clone(d.bodies),
		Evictions: st.Evictions, Refused: st.Drops, Drops: maps.Clone(d.drops)}
	for t, tc := range d.cfg.Engine.Topics {
		in.Topics[t] = tc.MaxSize
	}
	for _, q := range snap.Deques {
		in.Deques = append(in.Deques, DequeInfo{Peer: peerOf(q.Peer), Digests: q.Digests, Bytes: q.Bytes})
	}
	slices.SortFunc(in.Deques, func(a, b DequeInfo) int { return strings.Compare(string(a.Peer), string(b.Peer)) })
	in.Stats = map[string]uint64{
		"received": st.Received, "duplicates": st.Duplicates, "ineligible": st.Ineligible,
		"uncacheable": st.Uncacheable, "invalid": st.Invalid, "delivered": st.Delivered,
		"pushed": st.Pushed, "announced": st.Announced, "prunes_sent": st.PrunesSent,
		"grafts_sent": st.GraftsSent, "pulls_sent": st.PullsSent, "pulls_served": st.PullsServed,
		"pulls_missing": st.PullsMissing, "pulls_failed": st.PullsFailed, "pulls_refused": st.PullsRefused,
		"subscribe_hit": st.SubscribeHit, "subscribe_wait": st.SubscribeWait, "subscribe_gone": st.SubscribeGone,
		"get_hit": st.GetHit, "get_miss": st.GetMiss, "deferred": st.Deferred,
	}
	return in
}
