package link

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// hub is the transport-independent part of a host: the live links (at most
// one per peer), duplicate pruning, scores and bans, the per-peer record of
// the last disconnect, and the Handler calls. Both *Host and *MemHost embed
// one.
type hub struct {
	local   PeerID
	cfg     ConnConfig
	handler Handler
	log     zerolog.Logger
	// onBan closes the banned peer's transport connections (libp2p); may be nil.
	onBan func(PeerID)
	// hasConn reports a transport connection to the peer (libp2p); may be nil.
	hasConn func(PeerID) bool

	// storeMu serialises ban changes with their BanStore writes, so that
	// the store sees them in the order they took effect. Lock order:
	// storeMu, then mu.
	storeMu sync.Mutex
	store   BanStore // nil: bans live in memory only

	// adding serialises add (dedup decisions and Connected order); a
	// channel, not a mutex, because add waits for a pruned duplicate's
	// teardown while holding it, and under testing/synctest a goroutine
	// blocked on a mutex is not durably blocked: virtual time stopped.
	adding   chan struct{}
	sessions sync.WaitGroup // every session until its teardown ends
	// live holds every session from newSession to the end of its teardown,
	// registered as a link or not (a duplicate losing its race, one still
	// in setup), so that close can fail them all: a session's teardown
	// waits for its failure. Guarded by mu.
	live map[*session]struct{}

	mu      sync.Mutex
	links   map[PeerID]*session
	records map[PeerID]*peerRecord
	scores  *scores
	// protected peers are never banned by scoring (protect.go). protMu
	// is a leaf lock, taken under mu or a session's mu.
	protMu    sync.RWMutex
	protected map[PeerID]protection
	// queued counts bytes queued on non-consensus lanes over all links,
	// against ConnConfig.QueueBudget (budget.go).
	queued  atomic.Int64
	changed chan struct{} // closed and replaced on every change
	// grow recycles receive buffers of incomplete messages (bufpool.go).
	grow   growPool
	closed bool
}

type peerRecord struct {
	reason Reason
	err    string
	at     time.Time
}

func newHub(local PeerID, cfg ConnConfig, h Handler, log zerolog.Logger) *hub {
	if h == nil {
		h = HandlerFuncs{}
	}
	return &hub{
		local: local, cfg: cfg, handler: h, log: log,
		adding:    make(chan struct{}, 1),
		links:     map[PeerID]*session{},
		live:      map[*session]struct{}{},
		records:   map[PeerID]*peerRecord{},
		protected: map[PeerID]protection{},
		scores:    newScores(cfg.Score),
		changed:   make(chan struct{}),
	}
}

func (h *hub) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// notify wakes waitLink callers (e.g. a connection closed before a link).
func (h *hub) notify() {
	h.mu.Lock()
	h.notifyLocked()
	h.mu.Unlock()
}

// preferred reports whether a should survive over b, two sessions to the
// same peer. Both ends compute the same answer: the connection dialed by
// the lower peer id wins; between two dialed by the same side, the lower
// key (which names the connection identically on both ends) wins.
func preferred(a, b *session, local PeerID) bool {
	lowest := min(local, a.remote)
	aLow, bLow := a.dialer == lowest, b.dialer == lowest
	if aLow != bLow {
		return aLow
	}
	return a.key <= b.key
}

// add registers a session whose streams are open, pruning a duplicate.
// Every session from newSession must pass through add exactly once (its
// teardown waits for that), even one that already failed.
func (h *hub) add(s *session) {
	h.adding <- struct{}{}
	defer func() { <-h.adding }()
	defer close(s.addDone)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		s.fail(&Error{Reason: ReasonHostClosed})
		return
	}
	if b, ok := h.refusedLocked(s.remote, time.Now()); ok {
		h.mu.Unlock()
		s.fail(&Error{Reason: ReasonBanned, Detail: b.Reason})
		return
	}
	if old := h.links[s.remote]; old != nil {
		if preferred(old, s, h.local) {
			h.mu.Unlock()
			s.fail(&Error{Reason: ReasonDuplicate})
			return
		}
		h.mu.Unlock()
		old.fail(&Error{Reason: ReasonDuplicate})
		<-old.done
		h.mu.Lock()
	}
	// Register only a live session: one that failed before this point
	// (its connection dropped during setup) is never announced.
	s.mu.Lock()
	if s.core.err != nil {
		s.mu.Unlock()
		h.mu.Unlock()
		return
	}
	s.registered = true
	s.mu.Unlock()
	h.links[s.remote] = s
	h.notifyLocked()
	h.mu.Unlock()
	h.log.Info().Str("peer", s.remote.String()).Str("dir", s.dir.String()).Str("transport", s.transport).Msg("link up")
	h.handler.Connected(s)
	s.startReaders()
}

// removed is called by a session's teardown once its readers exited.
func (h *hub) removed(s *session) {
	err := s.Err()
	h.mu.Lock()
	if h.links[s.remote] == s {
		delete(h.links, s.remote)
	}
	s.mu.Lock()
	registered := s.registered
	s.mu.Unlock()
	// A session that never came up (banned or failed during setup) is
	// recorded too, unless it lost a duplicate race or another link to
	// the peer is up: then the peer did not lose its link.
	reason := ReasonOf(err)
	if registered || (reason != ReasonDuplicate && reason != ReasonHostClosed && h.links[s.remote] == nil) {
		h.recordLocked(s.remote, reason, err)
	}
	h.notifyLocked()
	h.mu.Unlock()
	if registered {
		h.handler.Disconnected(s, err)
	} else if reason != ReasonDuplicate && reason != ReasonHostClosed {
		h.log.Info().Str("peer", s.remote.String()).Str("reason", string(reason)).Err(err).Msg("link ended during setup")
	}
}

// recordLocked remembers why the last link (or attempt) with p ended.
func (h *hub) recordLocked(p PeerID, r Reason, err error) {
	rec := &peerRecord{reason: r, at: time.Now()}
	if err != nil {
		rec.err = err.Error()
	}
	h.records[p] = rec
	h.pruneLocked()
}

// setupEnded records and logs a connection to p that ended before it had
// a session (its lane streams were still opening).
func (h *hub) setupEnded(p PeerID, err *Error) {
	h.mu.Lock()
	if h.links[p] == nil {
		h.recordLocked(p, err.Reason, err)
	}
	h.notifyLocked()
	h.mu.Unlock()
	h.log.Info().Str("peer", p.String()).Str("reason", string(err.Reason)).Str("detail", err.Detail).Msg("connection ended during lane setup")
}

// penalize charges p for a fault the link found and reports whether p is
// now banned.
func (h *hub) penalize(p PeerID, r Reason) bool { return h.Penalize(p, r, "") }

// Penalize charges p's score for a fault the application found, such as an
// invalid block (ReasonInvalid), and reports whether p is now banned: past
// ScoreConfig.BanThreshold the ban's reason names r and detail, every link
// and connection to p ends with ReasonBanned, and the gater refuses p.
//
// A producer (protect.go) is never banned this way, and a flood is not
// charged to a producer or a static peer at all.
func (h *hub) Penalize(p PeerID, r Reason, detail string) bool {
	if r == ReasonFlood && h.isProtected(p) {
		return false
	}
	prot := h.banExempt(p)
	h.storeMu.Lock()
	h.mu.Lock()
	now := time.Now()
	b, banned := h.scores.penalize(p, r, detail, now, !prot)
	h.pruneLocked()
	over := prot && h.scores.get(p, now) <= -h.cfg.Score.BanThreshold
	h.mu.Unlock()
	if over {
		h.log.Warn().Str("peer", p.String()).Str("reason", string(r)).Str("detail", detail).
			Msg("protected peer past the ban threshold: charged, not banned")
	}
	if banned {
		h.saveBan(b)
	}
	h.storeMu.Unlock()
	if banned {
		h.log.Warn().Str("peer", p.String()).Str("reason", b.Reason).Time("until", b.Until).Msg("peer banned")
		h.enforceBan(b)
	}
	return banned
}

// isBanned reports whether p is refused: banned, and not protected from
// that ban (protect.go).
func (h *hub) isBanned(p PeerID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.refusedLocked(p, time.Now())
	return ok
}

// Ban disconnects p and refuses it for d.
func (h *hub) Ban(p PeerID, d time.Duration, reason string) {
	h.storeMu.Lock()
	h.mu.Lock()
	b := h.scores.ban(p, d, reason, time.Now())
	h.mu.Unlock()
	h.saveBan(b)
	h.storeMu.Unlock()
	h.log.Warn().Str("peer", p.String()).Str("reason", reason).Time("until", b.Until).Msg("peer banned by operator")
	h.enforceBan(b)
}

// enforceBan ends every session with p, registered or still in setup,
// then drops its connections. A peer caught in setup (sessions or a
// connection but no link yet) gets its record now: no link will report it.
func (h *hub) enforceBan(b Ban) {
	inSetup := h.hasConn != nil && h.hasConn(b.Peer)
	h.mu.Lock()
	var ss []*session
	for s := range h.live {
		if s.remote == b.Peer {
			ss = append(ss, s)
			inSetup = true
		}
	}
	err := &Error{Reason: ReasonBanned, Detail: b.Reason}
	inSetup = inSetup && h.links[b.Peer] == nil
	if inSetup {
		h.recordLocked(b.Peer, ReasonBanned, err)
	}
	h.mu.Unlock()
	if inSetup {
		h.log.Info().Str("peer", b.Peer.String()).Str("reason", string(ReasonBanned)).Str("detail", b.Reason).Msg("connection in setup dropped")
	}
	for _, s := range ss {
		s.fail(err)
	}
	h.dropBanned(b.Peer)
}

// dropBanned closes p's remaining transport connections once its link has
// ended, so that the link's GOAWAY reaches the peer first.
func (h *hub) dropBanned(p PeerID) {
	if h.onBan == nil {
		return
	}
	h.mu.Lock()
	l := h.links[p]
	h.mu.Unlock()
	h.sessions.Add(1) // Close waits for this too
	go func() {
		defer h.sessions.Done()
		if l != nil {
			<-l.done
		}
		h.onBan(p)
	}()
}

// Unban lifts p's ban and forgives its score.
func (h *hub) Unban(p PeerID) {
	h.storeMu.Lock()
	defer h.storeMu.Unlock()
	h.mu.Lock()
	_, was := h.scores.bans[p]
	h.scores.unban(p)
	h.mu.Unlock()
	if was && h.store != nil {
		if err := h.store.DeleteBan(p); err != nil {
			h.log.Error().Err(err).Str("peer", p.String()).Msg("deleting a stored ban failed; it is lifted until the next restart")
		}
	}
}

// Link returns the live link to p, or nil.
func (h *hub) Link(p PeerID) Link {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.links[p]; s != nil {
		return s
	}
	return nil
}

// Links returns the live links sorted by peer id.
func (h *hub) Links() []Link {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Link, 0, len(h.links))
	for _, s := range h.links {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Peer() < out[j].Peer() })
	return out
}

// Peers reports every known peer sorted by id.
func (h *hub) Peers() []PeerInfo {
	now := time.Now()
	h.mu.Lock()
	ids := map[PeerID]bool{}
	for p := range h.links {
		ids[p] = true
	}
	for p := range h.records {
		ids[p] = true
	}
	for p := range h.scores.score {
		ids[p] = true
	}
	for p := range h.scores.bans {
		ids[p] = true
	}
	out := make([]PeerInfo, 0, len(ids))
	links := make([]*session, 0, len(ids))
	for p := range ids {
		pi := PeerInfo{Peer: p, Score: h.scores.get(p, now)}
		if b, ok := h.scores.banned(p, now); ok {
			pi.Ban = &b
		}
		if r := h.records[p]; r != nil {
			pi.LastDisconnect, pi.LastError, pi.DisconnectedAt = r.reason, r.err, r.at
		}
		out = append(out, pi)
		links = append(links, h.links[p])
	}
	h.mu.Unlock()
	for i, s := range links {
		if s != nil {
			st := s.Stats()
			out[i].Connected, out[i].Stats = true, &st
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Peer < out[j].Peer })
	return out
}

// waitLink waits until a link to p is up. alive, if not nil, is polled on
// every change and ends the wait with ErrNoLink when it returns false.
func (h *hub) waitLink(ctx context.Context, p PeerID, alive func() bool) (Link, error) {
	for {
		h.mu.Lock()
		s, ch, closed := h.links[p], h.changed, h.closed
		h.mu.Unlock()
		switch {
		case s != nil:
			return s, nil
		case closed:
			return nil, ErrHostClosed
		case alive != nil && !alive():
			return nil, fmt.Errorf("%w %s: connection closed during setup", ErrNoLink, p)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w %s: %w", ErrNoLink, p, ctx.Err())
		case <-ch:
		}
	}
}

// close ends every link and waits for their teardown.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	links := make([]*session, 0, len(h.live))
	for s := range h.live {
		links = append(links, s)
	}
	h.notifyLocked()
	h.mu.Unlock()
	for _, s := range links {
		s.fail(&Error{Reason: ReasonHostClosed})
	}
	h.sessions.Wait()
}

// newSession starts a session, unless the host is closed.
func (h *hub) newSession(p sessionParams) (*session, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrHostClosed
	}
	h.sessions.Add(1)
	s := newSession(h, p)
	h.live[s] = struct{}{}
	return s, nil
}
