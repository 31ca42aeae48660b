package pex

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Config tunes a Book. The zero value is not valid; start from
// DefaultConfig and set Self, Rand and the peer counts.
type Config struct {
	// Self is our own peer id; entries for it are ignored.
	Self PeerID

	// TargetPeers is how many links the node wants: below it, the book
	// dials candidates (at most MaxDialing at once). Static, seed and
	// inbound links all count. ≥ 1.
	TargetPeers int
	// MaxPeers is the most links the node keeps: above it, the book sheds
	// inbound links that are neither exempt (static peers, producers) nor
	// younger than ShedGrace, with CloseFull as the reason (the dialer
	// then tries elsewhere). This is what keeps seeds, which every new
	// node dials first, from ending as hubs. ≥ TargetPeers.
	MaxPeers int
	// MaxDialing bounds dials in flight. ≥ 1.
	MaxDialing int

	// MaxEntries bounds the book. When it is full, the worst unverified
	// entry (most failures, then oldest) makes room; verified, seed and
	// static entries are never evicted for room. ≥ 16.
	MaxEntries int
	// MaxPerSource bounds the unverified entries one peer's answers may
	// hold in the book at once, so that one hostile peer cannot fill it.
	// ≥ 1.
	MaxPerSource int
	// MaxPerGroup bounds the unverified entries whose first address is in
	// one /24 (IPv4), /48 (IPv6) or DNS name, so that many ids on one
	// machine or subnet cannot fill the book. 0: no bound (a lab network
	// on one subnet).
	MaxPerGroup int
	// MaxPerAnswer is how many entries an answer carries at most (≤
	// MaxWireEntries); answers with more are malformed.
	MaxPerAnswer int

	// RequestInterval is how often we ask one peer for addresses while we
	// have fewer than NeedCandidates dialable entries. MinRequestGap is how
	// often a peer may ask us: a request sooner is ignored, and charged as
	// a flood if sooner than a quarter of it. MinRequestGap < RequestInterval.
	RequestInterval time.Duration
	MinRequestGap   time.Duration
	// RequestTimeout is how long we wait for an answer; an answer after it
	// (or without a request) is unsolicited: a protocol fault.
	RequestTimeout time.Duration
	// NeedCandidates is how many dialable (not connected, not backing
	// off) entries the book wants before it stops asking. 0 means
	// 2×TargetPeers.
	NeedCandidates int

	// DialBackoffMin and DialBackoffMax bound the per-entry backoff after
	// a failed dial (doubling per consecutive failure). FullBackoff is how
	// long an entry that shed us as full is left alone (a seed: at most
	// that long, from DialBackoffMin doubling per shed in a row).
	DialBackoffMin time.Duration
	DialBackoffMax time.Duration
	FullBackoff    time.Duration
	// MaxFailures evicts an unverified entry after this many consecutive
	// failed dials; MaxVerifiedFailures a verified one. Seed and static
	// entries are never evicted (only backed off). ≥ 1.
	MaxFailures         int
	MaxVerifiedFailures int
	// JunkThreshold: once JunkThreshold of the entries a peer gave us
	// failed their dial and fewer than a quarter of its entries succeeded,
	// the peer is penalized (ReasonJunk) and its unverified entries go. ≥ 1.
	JunkThreshold int

	// ShedGrace is the youngest an inbound link may be when shed for
	// MaxPeers: enough for its first request to be answered.
	ShedGrace time.Duration

	// AllowLoopback accepts 127.0.0.0/8 and ::1 addresses (a testnet on
	// one machine); off, such addresses from a peer are malformed.
	AllowLoopback bool

	// CheckID, if set, rejects a peer id that is not valid for the
	// transport (a libp2p peer id); entries with such ids are malformed.
	// It must be a pure function.
	CheckID func(PeerID) error

	// Rand picks candidates and answer samples; required. Randomness is an
	// input: tests pass a seeded source.
	Rand *rand.Rand
}

// DefaultConfig returns the defaults (Self and Rand still to be set).
func DefaultConfig() Config {
	return Config{
		TargetPeers:         8,
		MaxPeers:            12,
		MaxDialing:          4,
		MaxEntries:          1024,
		MaxPerSource:        32,
		MaxPerGroup:         32,
		MaxPerAnswer:        32,
		RequestInterval:     5 * time.Second,
		MinRequestGap:       2 * time.Second,
		RequestTimeout:      10 * time.Second,
		DialBackoffMin:      time.Second,
		DialBackoffMax:      5 * time.Minute,
		FullBackoff:         time.Minute,
		MaxFailures:         3,
		MaxVerifiedFailures: 10,
		JunkThreshold:       8,
		ShedGrace:           5 * time.Second,
	}
}

// Validate reports the first invalid field by name and value.
func (c *Config) Validate() error {
	switch {
	case c.Rand == nil:
		return fmt.Errorf("pex: Config.Rand is nil")
	case c.TargetPeers < 1:
		return fmt.Errorf("pex: Config.TargetPeers = %d, want ≥ 1", c.TargetPeers)
	case c.MaxPeers < c.TargetPeers:
		return fmt.Errorf("pex: Config.MaxPeers = %d, want ≥ TargetPeers = %d", c.MaxPeers, c.TargetPeers)
	case c.MaxDialing < 1:
		return fmt.Errorf("pex: Config.MaxDialing = %d, want ≥ 1", c.MaxDialing)
	case c.MaxEntries < 16:
		return fmt.Errorf("pex: Config.MaxEntries = %d, want ≥ 16", c.MaxEntries)
	case c.MaxPerSource < 1:
		return fmt.Errorf("pex: Config.MaxPerSource = %d, want ≥ 1", c.MaxPerSource)
	case c.MaxPerGroup < 0:
		return fmt.Errorf("pex: Config.MaxPerGroup = %d, want ≥ 0", c.MaxPerGroup)
	case c.MaxPerAnswer < 1 || c.MaxPerAnswer > MaxWireEntries:
		return fmt.Errorf("pex: Config.MaxPerAnswer = %d, want 1..%d", c.MaxPerAnswer, MaxWireEntries)
	case c.MinRequestGap <= 0 || c.RequestInterval <= c.MinRequestGap:
		return fmt.Errorf("pex: Config.RequestInterval = %v, MinRequestGap = %v, want 0 < gap < interval", c.RequestInterval, c.MinRequestGap)
	case c.RequestTimeout <= 0:
		return fmt.Errorf("pex: Config.RequestTimeout = %v, want > 0", c.RequestTimeout)
	case c.NeedCandidates < 0:
		return fmt.Errorf("pex: Config.NeedCandidates = %d, want ≥ 0", c.NeedCandidates)
	case c.DialBackoffMin <= 0 || c.DialBackoffMax < c.DialBackoffMin:
		return fmt.Errorf("pex: Config.DialBackoffMin = %v, DialBackoffMax = %v, want 0 < min ≤ max", c.DialBackoffMin, c.DialBackoffMax)
	case c.FullBackoff <= 0:
		return fmt.Errorf("pex: Config.FullBackoff = %v, want > 0", c.FullBackoff)
	case c.MaxFailures < 1 || c.MaxVerifiedFailures < 1:
		return fmt.Errorf("pex: Config.MaxFailures = %d, MaxVerifiedFailures = %d, want ≥ 1", c.MaxFailures, c.MaxVerifiedFailures)
	case c.JunkThreshold < 1:
		return fmt.Errorf("pex: Config.JunkThreshold = %d, want ≥ 1", c.JunkThreshold)
	case c.ShedGrace < 0:
		return fmt.Errorf("pex: Config.ShedGrace = %v, want ≥ 0", c.ShedGrace)
	}
	return nil
}

func (c *Config) need() int {
	if c.NeedCandidates > 0 {
		return c.NeedCandidates
	}
	return 2 * c.TargetPeers
}
