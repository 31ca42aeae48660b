package pex

import (
	"fmt"
	"sort"
	"time"
)

// Kind says where an entry came from; it decides what may evict it.
type Kind uint8

const (
	// KindLearned: from a peer's answer or a peer's own Hello.
	KindLearned Kind = iota
	// KindSeed: a configured seed; dialled when nothing else is, never evicted.
	KindSeed
	// KindStatic: a configured static peer; the link layer keeps it
	// connected, the book only shares it once verified, never evicts it.
	KindStatic
)

func (k Kind) String() string {
	switch k {
	case KindSeed:
		return "seed"
	case KindStatic:
		return "static"
	}
	return "learned"
}

// MarshalText renders the kind for JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a kind name (clients of the admin API).
func (k *Kind) UnmarshalText(b []byte) error {
	for _, v := range []Kind{KindLearned, KindSeed, KindStatic} {
		if v.String() == string(b) {
			*k = v
			return nil
		}
	}
	return fmt.Errorf("pex: unknown kind %q", b)
}

// entry is one peer in the book.
//
// Invariant: verified entries are the only ones shared in answers.
// Invariant: source != "" only for unverified learned entries (then the
// entry counts against that source's MaxPerSource).
type entry struct {
	id    PeerID
	addrs []string
	group string
	kind  Kind
	// source is the peer whose answer gave us the entry while it is
	// unverified ("" once verified, or if it came from the peer itself).
	source PeerID
	// verified: we dialled it and a link came up, or its own Hello's
	// address passed the driver's reachability probe from its own IP.
	verified   bool
	verifiedAt time.Time
	added      time.Time
	failures   int    // consecutive failed dials
	sheds      int    // a seed's: times in a row it shed us as full
	lastErr    string // the last dial failure
	nextDial   time.Time
	dialing    bool
	probing    bool
	// counted: the entry is counted in perGroup (and perSource when
	// source is set): an unverified learned entry.
	counted bool
}

// peerLink is a live link's PEX state.
type peerLink struct {
	inbound    bool
	exempt     bool      // static or producer: never shed
	since      time.Time // link up since
	lastAsked  time.Time // our last request on it
	nextAsk    time.Time // when we may ask it again
	served     bool      // we answered it with at least one entry
	awaiting   bool      // a request of ours is unanswered
	askedAt    time.Time // when the peer last asked us
	helloSeen  bool      // its Hello on this link
	observedIP string    // the link's remote IP ("" unknown)
	closing    bool      // we shed it
}

// EntryInfo is an entry as operators see it (Book.Entries).
type EntryInfo struct {
	ID        PeerID    `json:"id"`
	Addrs     []string  `json:"addrs"`
	Kind      Kind      `json:"kind"`
	Source    PeerID    `json:"source,omitempty"`
	Verified  bool      `json:"verified"`
	Connected bool      `json:"connected"`
	Inbound   bool      `json:"inbound,omitempty"`
	Failures  int       `json:"failures,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	NextDial  time.Time `json:"next_dial,omitzero"`
	Added     time.Time `json:"added"`
}

// Dropped records an entry the book let go, and why (operators see the
// last MaxDropped of them).
type Dropped struct {
	ID     PeerID    `json:"id"`
	Addrs  []string  `json:"addrs,omitempty"`
	Source PeerID    `json:"source,omitempty"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// MaxDropped is how many drop records the book keeps.
const MaxDropped = 64

// Drop reasons (stable strings).
const (
	DropFailing      = "failing: %d consecutive dial failures, last: %s"
	DropRoom         = "evicted for room: the book is full"
	DropJunkSource   = "its source sent junk addresses"
	DropSourceCap    = "refused: its source has MaxPerSource unverified entries"
	DropGroupCap     = "refused: its /24 (or /48, or DNS name) has MaxPerGroup unverified entries"
	DropBookFull     = "refused: the book is full of verified entries"
	DropVerifyFailed = "its own address failed the reachability probe: %s"
)

func (e *entry) info(l *peerLink) EntryInfo {
	return EntryInfo{ID: e.id, Addrs: append([]string(nil), e.addrs...), Kind: e.kind, Source: e.source,
		Verified: e.verified, Connected: l != nil, Inbound: l != nil && l.inbound,
		Failures: e.failures, LastError: e.lastErr, NextDial: e.nextDial, Added: e.added}
}

// sortedIDs returns m's keys in order, for deterministic iteration.
func sortedIDs[V any](m map[PeerID]V) []PeerID {
	out := make([]PeerID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
