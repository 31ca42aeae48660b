package pex

import (
	"fmt"
	"slices"
	"time"
)

// Book is one node's peer-exchange state machine: the address book, the
// links it knows of, what to dial, ask, answer, shed and blame. It is pure
// (no clock, goroutine or I/O): the driver feeds it events with the time
// and performs its Ready. Not safe for concurrent use.
type Book struct {
	cfg     Config
	self    []string // our own dialable addresses (our Hello); may be empty
	entries map[PeerID]*entry
	links   map[PeerID]*peerLink
	// perSource and perGroup count unverified learned entries (the caps).
	perSource map[PeerID]int
	perGroup  map[string]int
	sources   map[PeerID]*sourceStats
	dropped   []Dropped // ring of the last MaxDropped
	dialing   int
	started   time.Time
	reachedAt time.Time // first time links ≥ TargetPeers
	stats     Stats
	rd        Ready
}

// sourceStats judges a peer's answers: how many of the entries it gave us
// we dialled, and how many failed.
type sourceStats struct{ ok, failed int }

// Stats are the book's counters.
type Stats struct {
	RequestsSent     uint64 `json:"requests_sent"`
	RequestsAnswered uint64 `json:"requests_answered"`
	RequestsRefused  uint64 `json:"requests_refused"`
	EntriesLearned   uint64 `json:"entries_learned"`
	EntriesRefused   uint64 `json:"entries_refused"`
	DialsStarted     uint64 `json:"dials_started"`
	DialsFailed      uint64 `json:"dials_failed"`
	Shed             uint64 `json:"shed"`
	Penalties        uint64 `json:"penalties"`
}

// Status is the book's summary for operators.
type Status struct {
	Target    int       `json:"target_peers"`
	Max       int       `json:"max_peers"`
	Peers     int       `json:"peers"`
	Entries   int       `json:"book_entries"`
	Verified  int       `json:"verified"`
	Dialing   int       `json:"dialing"`
	Started   time.Time `json:"started"`
	ReachedAt time.Time `json:"reached_target_at,omitzero"`
	// ReachedAfterMs is ReachedAt − Started in milliseconds, −1 if not yet.
	ReachedAfterMs int64 `json:"reached_target_after_ms"`
	Stats          Stats `json:"stats"`
}

// New returns a book. self are our own dialable addresses, announced in
// a Hello on every link (invalid ones are an error: the driver filters
// them with ParseAddr); none means we are not dialable and send no Hello.
func New(cfg Config, self []string, now time.Time) (*Book, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(self) > MaxAddrsPerPeer {
		self = self[:MaxAddrsPerPeer]
	}
	if len(self) > 0 {
		if _, err := parseAddrs(self, cfg.AllowLoopback); err != nil {
			return nil, fmt.Errorf("pex: own addresses: %w", err)
		}
	}
	return &Book{cfg: cfg, self: self, entries: map[PeerID]*entry{}, links: map[PeerID]*peerLink{},
		perSource: map[PeerID]int{}, perGroup: map[string]int{}, sources: map[PeerID]*sourceStats{},
		started: now}, nil
}

// AddConfigured adds a seed or static peer from the operator's config. It
// is trusted: never capped or evicted. A seed is dialled when the book
// has no other candidate; a static peer is never dialled by the book (the
// link layer keeps it) and is shared once a link to it proves its address.
func (b *Book) AddConfigured(id PeerID, addrs []string, kind Kind, now time.Time) error {
	if kind == KindLearned {
		return fmt.Errorf("pex: AddConfigured with KindLearned")
	}
	if id == b.cfg.Self {
		return nil
	}
	if _, err := parseAddrs(addrs, true); err != nil {
		return fmt.Errorf("pex: %s peer %x: %w", kind, string(id), err)
	}
	if e := b.entries[id]; e != nil {
		b.unaccount(e)
		e.kind, e.addrs, e.source = kind, slices.Clone(addrs), ""
		return nil
	}
	b.entries[id] = &entry{id: id, addrs: slices.Clone(addrs), kind: kind, added: now}
	return nil
}

// Connected reports a new link. exempt marks static peers and producers
// (never shed); observedIP is the link's remote IP, "" if unknown (then a
// Hello's address is probed without the IP check).
func (b *Book) Connected(now time.Time, id PeerID, inbound, exempt bool, observedIP string) {
	if id == b.cfg.Self || b.links[id] != nil {
		return // a second report of one link (or a duplicate that replaced it)
	}
	b.links[id] = &peerLink{inbound: inbound, exempt: exempt, since: now, observedIP: observedIP}
	if e := b.entries[id]; e != nil && !inbound {
		b.verify(now, e) // we dialled it: its address works
	}
	if len(b.self) > 0 {
		b.send(id, Msg{Type: TypeHello, Addrs: b.self})
	}
	b.Tick(now)
}

// Disconnected reports the end of a link; full says the peer shed us as
// over its MaxPeers (its close reason was CloseFull), so its entry is
// left alone for FullBackoff — except a seed's (seedBackoff).
func (b *Book) Disconnected(now time.Time, id PeerID, full bool) {
	delete(b.links, id)
	if e := b.entries[id]; e != nil && full {
		wait := b.cfg.FullBackoff
		if e.kind == KindSeed {
			e.sheds++
			wait = b.seedBackoff(e.sheds)
		}
		e.nextDial = now.Add(wait)
		e.lastErr = "shed us: the peer is full"
	} else if e != nil {
		e.sheds = 0
	}
	b.Tick(now)
}

// seedBackoff is how long a seed that shed us n times in a row is left
// alone: DialBackoffMin doubling per shed, at most FullBackoff. A seed
// sheds every node once it answered (that is its job), and its answer is
// a sample of what it had verified by then: the first nodes to arrive
// get one or two entries, the same ones, and those peers soon shed them
// too. A full backoff on the seed then left such a node with no link,
// nobody to ask and nothing to dial for a minute (the pexnet flake:
// 0 links at 60 s in 5 of 40 runs). Seeds are dialled only when nothing
// else is, so a node that has candidates never comes back; one that has
// none gets a larger sample from the seed's grown book.
func (b *Book) seedBackoff(n int) time.Duration {
	d := b.cfg.DialBackoffMin
	for i := 1; i < n && d < b.cfg.FullBackoff; i++ {
		d *= 2
	}
	return min(d, b.cfg.FullBackoff)
}

// CloseFull is the reason a shed link is closed with; a dialer that sees
// it in the peer's close reason passes full to Disconnected.
const CloseFull = "pex: full, try other peers"

// Receive steps one PEX frame from a linked peer. A malformed frame is
// blamed on the peer and returned.
func (b *Book) Receive(now time.Time, from PeerID, frame []byte) error {
	l := b.links[from]
	if l == nil {
		return nil // a frame of a link already gone
	}
	m, err := Decode(frame, b.cfg.AllowLoopback)
	if err == nil && b.cfg.CheckID != nil {
		for _, e := range m.Entries {
			if cerr := b.cfg.CheckID(e.ID); cerr != nil {
				err = fmt.Errorf("%w: peer id: %w", ErrMalformed, cerr)
				break
			}
		}
	}
	if err != nil {
		b.penalize(from, PenaltyMalformed, err.Error())
		return err
	}
	switch m.Type {
	case TypeHello:
		b.onHello(now, from, l, m.Addrs)
	case TypeRequest:
		b.onRequest(now, from, l)
	case TypeAddrs:
		b.onAddrs(now, from, l, m.Entries)
	}
	b.Tick(now)
	return nil
}

// onHello records a peer's own addresses. From a peer we dialled, the
// dial proved them; from an inbound peer they are probed first, and only
// from the IP the link comes from, so nobody can announce a third
// party's address under its id.
func (b *Book) onHello(now time.Time, from PeerID, l *peerLink, addrs []string) {
	if l.helloSeen {
		b.penalize(from, PenaltyUnsolicited, "second hello on one link")
		return
	}
	l.helloSeen = true
	e := b.entries[from]
	if e != nil && e.kind != KindLearned {
		return // configured addresses stay as the operator wrote them
	}
	if e != nil && !l.inbound && e.verified {
		return // we reached it at the addresses we hold
	}
	probe := addrs
	if l.observedIP != "" {
		probe = nil
		for _, s := range addrs {
			if a, err := ParseAddr(s, b.cfg.AllowLoopback); err == nil && a.IP.IsValid() && a.IP.String() == l.observedIP {
				probe = append(probe, s)
			}
		}
		if len(probe) == 0 {
			return // none of its addresses is where it connects from
		}
	}
	if e == nil {
		g := groupOf(probe)
		if why := b.admit(now, g, ""); why != "" {
			b.record(Dropped{ID: from, Addrs: probe, At: now, Reason: "its hello " + why})
			return
		}
		e = &entry{id: from, kind: KindLearned, added: now, group: g}
		b.entries[from] = e
		b.account(e)
	}
	if !l.inbound {
		b.setAddrs(e, probe)
		b.verify(now, e)
		return
	}
	if e.verified && slices.Equal(e.addrs, probe) {
		return
	}
	b.setAddrs(e, probe)
	if !e.probing {
		e.probing = true
		b.rd.Probes = append(b.rd.Probes, Dial{ID: from, Addrs: slices.Clone(probe)})
	}
}

// ProbeDone reports the outcome of a Probe; errText is "" on success.
func (b *Book) ProbeDone(now time.Time, id PeerID, errText string) {
	e := b.entries[id]
	if e == nil {
		return
	}
	e.probing = false
	if errText == "" {
		b.verify(now, e)
	} else {
		e.lastErr = "probe: " + errText
		if !e.verified && b.links[id] == nil && e.kind == KindLearned {
			b.drop(now, e, fmt.Sprintf(DropVerifyFailed, errText))
		}
	}
	b.Tick(now)
}

// onRequest answers with a random sample of verified entries.
func (b *Book) onRequest(now time.Time, from PeerID, l *peerLink) {
	if gap := now.Sub(l.askedAt); !l.askedAt.IsZero() && gap < b.cfg.MinRequestGap {
		// Ignored. Charged only well inside the gap: an honest asker
		// spaces its requests by 1.5 gaps or more, but delays on a loaded
		// path can bunch two of them up at the receiver.
		b.stats.RequestsRefused++
		if gap < b.cfg.MinRequestGap/4 {
			b.penalize(from, PenaltyFlood, fmt.Sprintf("address request %v after the last, minimum %v", gap, b.cfg.MinRequestGap))
		}
		return
	}
	l.askedAt = now
	var pool []*entry
	for _, id := range sortedIDs(b.entries) {
		if e := b.entries[id]; e.verified && id != from {
			pool = append(pool, e)
		}
	}
	var out []Entry
	for _, i := range b.cfg.Rand.Perm(len(pool)) {
		if len(out) == b.cfg.MaxPerAnswer {
			break
		}
		out = append(out, Entry{ID: pool[i].id, Addrs: pool[i].addrs})
	}
	b.stats.RequestsAnswered++
	l.served = l.served || len(out) > 0
	b.send(from, Msg{Type: TypeAddrs, Entries: out})
}

// onAddrs takes the answer to our request. Only new peers are added
// (first source wins: nobody rewrites an entry we hold), unverified, under
// the per-source and per-group caps.
func (b *Book) onAddrs(now time.Time, from PeerID, l *peerLink, es []Entry) {
	if !l.awaiting {
		b.penalize(from, PenaltyUnsolicited, "addresses we did not ask for")
		return
	}
	l.awaiting = false
	if len(es) == 0 {
		// The peer knows nobody verified yet (its probes may be under
		// way): ask again soon, still beyond its MinRequestGap.
		l.nextAsk = now.Add(b.cfg.MinRequestGap * 3 / 2)
	}
	if len(es) > b.cfg.MaxPerAnswer {
		b.penalize(from, PenaltyMalformed, fmt.Sprintf("%d entries, limit %d", len(es), b.cfg.MaxPerAnswer))
		return
	}
	refused := map[string]int{}
	defer func() {
		for _, why := range sortedKeys(refused) {
			b.record(Dropped{Source: from, At: now, Reason: fmt.Sprintf("%d entries %s", refused[why], why)})
		}
	}()
	for _, x := range es {
		if x.ID == b.cfg.Self || b.entries[x.ID] != nil {
			continue
		}
		g := groupOf(x.Addrs)
		if why := b.admit(now, g, from); why != "" {
			b.stats.EntriesRefused++
			refused[why]++
			continue
		}
		e := &entry{id: x.ID, addrs: slices.Clone(x.Addrs), group: g, kind: KindLearned, source: from, added: now}
		b.entries[x.ID] = e
		b.account(e)
		b.stats.EntriesLearned++
	}
}

// DialDone reports the outcome of a Dial; errText is "" when a link is up.
func (b *Book) DialDone(now time.Time, id PeerID, errText string) {
	e := b.entries[id]
	if e == nil || !e.dialing {
		return
	}
	e.dialing = false
	b.dialing--
	if errText == "" {
		b.verify(now, e)
		b.Tick(now)
		return
	}
	b.stats.DialsFailed++
	e.failures++
	e.lastErr = errText
	e.nextDial = now.Add(b.backoff(e.failures))
	src := e.source
	switch {
	case e.kind != KindLearned:
	case !e.verified && e.failures >= b.cfg.MaxFailures,
		e.verified && e.failures >= b.cfg.MaxVerifiedFailures:
		b.drop(now, e, fmt.Sprintf(DropFailing, e.failures, errText))
	}
	if src != "" && (e.failures == 1 || b.entries[id] == nil) {
		b.judge(now, src, false)
	}
	b.Tick(now)
}

// verify marks e reachable: it leaves its source's and group's caps.
func (b *Book) verify(now time.Time, e *entry) {
	if src := e.source; src != "" {
		b.judge(now, src, true)
	}
	b.unaccount(e)
	e.source = ""
	e.verified, e.verifiedAt = true, now
	e.failures, e.lastErr, e.nextDial = 0, "", time.Time{}
}

// judge counts a dial of an entry src gave us; a source whose entries
// mostly fail is penalized once per JunkThreshold failures and its
// unverified entries go.
func (b *Book) judge(now time.Time, src PeerID, ok bool) {
	s := b.sources[src]
	if s == nil {
		s = &sourceStats{}
		b.sources[src] = s
	}
	if ok {
		s.ok++
		return
	}
	s.failed++
	if s.failed < b.cfg.JunkThreshold || 4*s.ok >= s.ok+s.failed {
		return
	}
	b.penalize(src, PenaltyJunk, fmt.Sprintf("%d of the %d addresses it gave us failed", s.failed, s.ok+s.failed))
	*s = sourceStats{}
	for _, id := range sortedIDs(b.entries) {
		if e := b.entries[id]; e.source == src && !e.dialing {
			b.drop(now, e, DropJunkSource)
		}
	}
}

func (b *Book) backoff(failures int) time.Duration {
	d := b.cfg.DialBackoffMin
	for i := 1; i < failures && d < b.cfg.DialBackoffMax; i++ {
		d *= 2
	}
	return min(d, b.cfg.DialBackoffMax)
}

func (b *Book) send(to PeerID, m Msg) {
	b.rd.Messages = append(b.rd.Messages, Message{To: to, Msg: m.AppendTo(nil)})
}

func (b *Book) penalize(p PeerID, r PenaltyReason, detail string) {
	b.stats.Penalties++
	b.rd.Penalties = append(b.rd.Penalties, Penalty{Peer: p, Reason: r, Detail: detail})
}

func groupOf(addrs []string) string {
	a, err := ParseAddr(addrs[0], true)
	if err != nil {
		return ""
	}
	return a.Group()
}

func (b *Book) setAddrs(e *entry, addrs []string) {
	b.unaccount(e)
	e.addrs, e.group = slices.Clone(addrs), groupOf(addrs)
	b.account(e)
}
