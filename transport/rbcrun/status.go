package rbcrun

import (
	"context"
	"encoding/hex"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Status is what an operator sees of reliable broadcast (admin GET /rbc).
type Status struct {
	// Member: we are a participant of the set in force (else we neither
	// broadcast nor deliver).
	Member bool `json:"member"`
	// Set is the tag of the set in force (8 bytes of its hash, hex); N
	// and F its size and fault bound; Self our index (-1 outside it).
	Set  string `json:"set"`
	N    int    `json:"n"`
	F    int    `json:"f"`
	Self int    `json:"self"`
	// Instances are the instances the core holds, (origin, seq) order.
	Instances []InstanceStatus `json:"instances"`
	// Pending counts our own broadcasts not yet delivered.
	Pending int `json:"pending"`
	// Recent are the newest deliveries (Config.Recent), oldest first.
	Recent   []DeliveryInfo `json:"recent"`
	Counters Counters       `json:"counters"`
	// Err is why the runner stopped by itself (a store that cannot sync).
	Err string `json:"error,omitempty"`
}

// InstanceStatus is one instance: its phase (our status: none, echoed,
// ready, delivered), distinct echo and ready signers, distinct digests
// seen (more than one: someone equivocated), retransmission rounds.
type InstanceStatus struct {
	Instance    string    `json:"instance"`
	Origin      peer.ID   `json:"origin"`
	Phase       string    `json:"phase"`
	Opened      time.Time `json:"opened"`
	Echoes      int       `json:"echoes"`
	Readies     int       `json:"readies"`
	Digests     int       `json:"digests"`
	Retransmits int       `json:"retransmits"`
	Digest      string    `json:"digest,omitempty"`  // once delivered
	Signers     []int     `json:"signers,omitempty"` // the certificate's, once delivered
}

// DeliveryInfo is one delivery.
type DeliveryInfo struct {
	Instance string    `json:"instance"`
	Origin   peer.ID   `json:"origin"`
	Digest   string    `json:"digest"`
	Bytes    int       `json:"bytes"`
	Signers  []int     `json:"signers"`
	At       time.Time `json:"at"`
	Replayed bool      `json:"replayed,omitempty"`
}

// Counters are cumulative since the runner started.
type Counters struct {
	Received       uint64            `json:"received"`
	InboundDropped uint64            `json:"inbound_dropped"`
	OtherSet       uint64            `json:"other_set"`
	NotMember      uint64            `json:"not_member"`
	Sent           uint64            `json:"sent"`        // multicasts queued
	SentCopies     uint64            `json:"sent_copies"` // destinations over all multicasts
	SendErrors     uint64            `json:"send_errors"`
	Records        uint64            `json:"records"` // persisted (synced)
	Delivered      uint64            `json:"delivered"`
	Replayed       uint64            `json:"replayed"`
	SubscriberDrop uint64            `json:"subscriber_drops"`
	Refused        map[string]uint64 `json:"refused"` // by rbc.Reason
}

type counters struct {
	received, inboundDropped, otherSet, notMember atomic.Uint64
	sent, sentCopies, sendErrors, records         atomic.Uint64
	delivered, replayed                           atomic.Uint64
	mu                                            sync.Mutex
	refused                                       map[string]uint64
}

func (c *counters) refuse(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refused == nil {
		c.refused = map[string]uint64{}
	}
	c.refused[reason]++
}

// Counters reads the counters without waiting for the loop.
func (r *Runner) Counters() Counters {
	c := &r.ctr
	c.mu.Lock()
	refused := maps.Clone(c.refused)
	c.mu.Unlock()
	if refused == nil {
		refused = map[string]uint64{}
	}
	return Counters{Received: c.received.Load(), InboundDropped: c.inboundDropped.Load(), OtherSet: c.otherSet.Load(),
		NotMember: c.notMember.Load(), Sent: c.sent.Load(), SentCopies: c.sentCopies.Load(), SendErrors: c.sendErrors.Load(),
		Records: c.records.Load(), Delivered: c.delivered.Load(), Replayed: c.replayed.Load(),
		SubscriberDrop: r.subs.Dropped(), Refused: refused}
}

// Status asks the loop for a snapshot (counters only, if it stopped or
// ctx ends first).
func (r *Runner) Status(ctx context.Context) Status {
	s := Status{Self: -1}
	_ = r.call(ctx, func() { s = r.snapshot() })
	s.Counters = r.Counters()
	if err := r.Err(); err != nil {
		s.Err = err.Error()
	}
	return s
}

func (r *Runner) snapshot() Status {
	st := r.st
	s := Status{Self: -1, Pending: len(st.waiters), Recent: append([]DeliveryInfo(nil), st.recent...)}
	if st.set == nil {
		return s
	}
	s.Set, s.N, s.F = hex.EncodeToString(st.tag[:]), st.set.N(), st.set.F()
	if st.core == nil {
		return s
	}
	s.Member, s.Self = true, st.core.Self()
	for _, in := range st.core.Instances() {
		i := InstanceStatus{Instance: in.Inst.String(), Origin: st.peers[in.Inst.Origin], Phase: in.Status.String(),
			Opened: in.Opened, Echoes: in.Echoes, Readies: in.Readies, Digests: in.Digests, Retransmits: in.Retransmits}
		if in.Cert != nil {
			i.Digest, i.Signers = hex.EncodeToString(in.Cert.Digest[:]), in.Cert.Signers
		}
		s.Instances = append(s.Instances, i)
	}
	return s
}
