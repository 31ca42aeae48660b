package broadcast

import (
	"crypto/ed25519"
	"fmt"
	"time"
)

// Config configures one Engine. Start from DefaultConfig; Key and Topics
// have no default.
type Config struct {
	// Key is the node's ed25519 private key; it signs the messages we
	// originate and its public half is our NodeID.
	Key ed25519.PrivateKey
	// Topics registers every topic we originate, accept or relay.
	Topics map[Topic]TopicConfig
	// Limits bound what the decoder accepts.
	Limits Limits

	// DequeSize is how many digests each peer's LRU deque keeps (seed 001's
	// deque_size): a peer pins at most this many messages in our cache.
	DequeSize int
	// PeerBytes is the most message bytes one peer's deque may pin (a
	// message counts in every deque that holds it). A message larger than
	// PeerBytes is delivered and relayed but never cached.
	PeerBytes int
	// CacheBytes is the global byte budget of the cache; a message counts
	// once however many deques hold it. Over it, the peer furthest over its
	// fair share (CacheBytes ÷ primary peers) loses its oldest digest.
	CacheBytes int

	// SeenTTL is how long a digest stays in the seen-set after it was last
	// seen (last-seen, not first-seen: pubsub#502). It must cover MaxAge +
	// MaxSkew so that a message the seen-set forgot is refused as stale.
	SeenTTL time.Duration
	// MaxSeen bounds the seen-set (digests and verdicts only, never bodies:
	// jvm-libp2p#300). Over it the least recently seen digest goes.
	MaxSeen int
	// MaxAge and MaxSkew bound a message's sequence time (its send time)
	// against our clock: older or further ahead is refused as stale.
	MaxAge, MaxSkew time.Duration

	// GraftTimeout is how long an announced message may take to arrive by
	// eager push before we pull it (and graft the announcer's link onto the
	// origin's tree). A few times the tree's per-hop delay; transport.md
	// suggests max(2 × RTT, 200 ms), geth waits 500 ms.
	GraftTimeout time.Duration
	// PullTimeout is how long a pulled peer has to answer before we blame
	// it (ReasonBrokenPromise) and ask the next announcer.
	PullTimeout time.Duration
	// MaxPullTries is how many announcers one digest is pulled from before
	// we give up (Narwhal: 3).
	MaxPullTries int
	// MaxInflightPerPeer bounds pulls outstanding at one peer (geth: one
	// request in flight per peer, of up to 256 items).
	MaxInflightPerPeer int
	// MaxFetches bounds digests announced to us and not yet received
	// (Reth: 12,800 pending fetches); announcements beyond are dropped.
	MaxFetches int
	// MaxAnnouncedPerPeer bounds the pending digests one peer announced;
	// beyond it the peer is penalized for flooding (geth: 4096).
	MaxAnnouncedPerPeer int

	// MaxServes is how often one message is served to one peer within
	// SeenTTL (gossipsub GossipRetransmission: 3).
	MaxServes int
	// ServeRate and ServeBurst are a token bucket of bytes served per peer
	// per second; pulls beyond it are refused and penalized.
	ServeRate, ServeBurst int

	// MaxWaiters and MaxWaitersPerDigest bound Subscribe (every subscribe
	// allocates); WaiterTTL expires waiters nobody cancelled.
	MaxWaiters, MaxWaitersPerDigest int
	WaiterTTL                       time.Duration

	// MaxDeferred, DeferBytes and DeferTTL bound the queue of messages a
	// validator deferred (Lighthouse: 16,384 entries, 12 s).
	MaxDeferred, DeferBytes int
	DeferTTL                time.Duration

	// MaxOrigins bounds the per-origin tree state (which links are lazy);
	// the least recently used origin is forgotten (its tree floods once
	// more and prunes again).
	MaxOrigins int
	// Housekeeping is the longest time between two Ticks the core asks for
	// (expiry of waiters, deferred messages and seen digests).
	Housekeeping time.Duration
}

// DefaultConfig has transport.md §4's figures: 8 MiB per peer, 256 MiB in
// all, 128 digests per peer, a 2 min seen-set, 200 ms graft timeout, 3
// pull tries, 3 serves per peer and message.
func DefaultConfig() Config {
	return Config{
		Limits:              DefaultLimits(),
		DequeSize:           128,
		PeerBytes:           8 << 20,
		CacheBytes:          256 << 20,
		SeenTTL:             2 * time.Minute,
		MaxSeen:             1 << 16,
		MaxAge:              time.Minute,
		MaxSkew:             10 * time.Second,
		GraftTimeout:        200 * time.Millisecond,
		PullTimeout:         time.Second,
		MaxPullTries:        3,
		MaxInflightPerPeer:  64,
		MaxFetches:          12_800,
		MaxAnnouncedPerPeer: 4096,
		MaxServes:           3,
		ServeRate:           16 << 20,
		ServeBurst:          32 << 20,
		MaxWaiters:          4096,
		MaxWaitersPerDigest: 64,
		WaiterTTL:           time.Minute,
		MaxDeferred:         4096,
		DeferBytes:          16 << 20,
		DeferTTL:            12 * time.Second,
		MaxOrigins:          1024,
		Housekeeping:        time.Second,
	}
}

// ConfigError names the field that makes a Config unusable.
type ConfigError struct {
	Field  string
	Value  any
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("broadcast: config %s=%v: %s", e.Field, e.Value, e.Reason)
}

// Validate reports the first field that makes the config unusable.
func (c Config) Validate() error {
	checks := []struct {
		bad    bool
		field  string
		value  any
		reason string
	}{
		{len(c.Key) != ed25519.PrivateKeySize, "Key", len(c.Key), "want an ed25519 private key"},
		{c.Limits.MaxPayload < 1 || c.Limits.MaxAnnounce < 1, "Limits", c.Limits, "want positive limits"},
		{c.DequeSize < 1, "DequeSize", c.DequeSize, "want at least 1"},
		{c.PeerBytes < 1 || c.CacheBytes < c.PeerBytes, "CacheBytes", c.CacheBytes, "want 1 <= PeerBytes <= CacheBytes"},
		{c.SeenTTL < c.MaxAge+c.MaxSkew, "SeenTTL", c.SeenTTL, "must cover MaxAge + MaxSkew, or a forgotten message could be accepted twice"},
		{c.MaxSeen < 1 || c.MaxAge <= 0 || c.MaxSkew < 0, "MaxSeen", c.MaxSeen, "want MaxSeen >= 1, MaxAge > 0, MaxSkew >= 0"},
		{c.GraftTimeout <= 0 || c.PullTimeout <= 0, "PullTimeout", c.PullTimeout, "want positive graft and pull timeouts"},
		{c.MaxPullTries < 1 || c.MaxInflightPerPeer < 1 || c.MaxFetches < 1 || c.MaxAnnouncedPerPeer < 1, "MaxPullTries", c.MaxPullTries, "pull limits must be at least 1"},
		{c.MaxServes < 1 || c.ServeRate < 1 || c.ServeBurst < c.Limits.MaxPayload+pushFixedLen, "ServeBurst", c.ServeBurst, "want MaxServes, ServeRate >= 1 and a burst that fits the largest message"},
		{c.MaxWaiters < 1 || c.MaxWaitersPerDigest < 1 || c.WaiterTTL <= 0, "MaxWaiters", c.MaxWaiters, "waiter limits must be positive"},
		{c.MaxDeferred < 1 || c.DeferBytes < 1 || c.DeferTTL <= 0, "MaxDeferred", c.MaxDeferred, "defer limits must be positive"},
		{c.MaxOrigins < 1 || c.Housekeeping <= 0, "MaxOrigins", c.MaxOrigins, "want MaxOrigins >= 1 and positive Housekeeping"},
	}
	for _, ch := range checks {
		if ch.bad {
			return &ConfigError{Field: ch.field, Value: ch.value, Reason: ch.reason}
		}
	}
	for t, tc := range c.Topics {
		if tc.MaxSize < 0 || tc.MaxSize > c.Limits.MaxPayload {
			return &ConfigError{Field: fmt.Sprintf("Topics[%d].MaxSize", t), Value: tc.MaxSize, Reason: "want 0..Limits.MaxPayload"}
		}
	}
	return nil
}
