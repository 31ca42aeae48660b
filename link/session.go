package link

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// laneStream is one lane's bidirectional byte stream: a libp2p stream or an
// in-memory pipe end.
type laneStream interface {
	io.Reader
	io.Writer
	SetWriteDeadline(time.Time) error
	CloseWrite() error
	Close() error
}

// sessionParams describe a connection whose lane streams are all open.
type sessionParams struct {
	remote    PeerID
	dir       Direction
	dialer    PeerID // which side dialed; the dedup rule prefers the lower id
	key       string // tie-break between connections dialed by the same side; equal on both ends
	bulkKey   string // the bulk connection, named as key; empty: the bulk lanes share key's (bulkconn.go)
	transport string
	streams   [NumLanes]laneStream
	closeConn func() // closes the underlying connection
	// mainClosed reports whether the link's (main) connection is closed;
	// nil when the bulk lanes share it (laneFailed, trim.go).
	mainClosed func() bool
	loss       func(Lane) bool // in-memory loss model; nil means none
}

// goAwayGrace bounds how long a closing link waits for the peer to read its
// GOAWAY and close its side (capped by WriteTimeout).
const goAwayGrace = 2 * time.Second

// readPiece is how much of a large message is read (and credited) at once.
const readPiece = 64 << 10

// session is the link engine over one connection; it implements Link for
// both the libp2p host and the in-memory network. Goroutines: one writer
// (owns all writes and the ping timer), one reader per lane, one delivery
// goroutine per bulk lane, and one teardown goroutine that waits for the end.
type session struct {
	sessionParams
	hub *hub
	cfg *ConnConfig
	log zerolog.Logger

	// consMu serialises writes to the consensus stream between the writer
	// and the readers' direct credit grants. Lock order: consMu, then mu.
	consMu      sync.Mutex
	mu          sync.Mutex
	core        *sessCore     // the protocol (core.go); guarded by mu
	space       chan struct{} // closed and replaced when queue space frees; guarded by mu
	established time.Time
	registered  bool // Connected was called; Disconnected is owed
	started     bool // readers run; Invariant: never set after fail

	inboxes [NumLanes]*inbox // bulk lanes only: the delivery queue (inbox.go)

	// spaceWanted: a sender waits on space, so the next freed byte must
	// close it (guarded by mu). Without a waiter, wrote leaves the channel
	// alone: a new channel per written chunk was a third of a bulk lane's
	// allocations.
	spaceWanted bool
	// deadline is the write deadline last set on each lane's stream,
	// guarded as the stream's writes are: consMu for the consensus
	// stream, the priority writer for routing, the bulk writer for blocks
	// and sync (see write).
	deadline [NumLanes]time.Time
	// creditFrame is grantDirect's frame buffer (guarded by consMu): a
	// local array passed to the stream's Write would be allocated per grant.
	creditFrame [2 + 1 + 10]byte

	wake     chan struct{}  // cap 1: a wake-up is pending or not, never more
	wakeBulk chan struct{}  // the same for the bulk writer
	closing  chan struct{}  // closed by fail
	writers  sync.WaitGroup // the priority and the bulk writer
	addDone  chan struct{}  // closed when hub.add has finished with the session
	readers  sync.WaitGroup
	done     chan struct{} // closed after Disconnected returned
}

var _ Link = (*session)(nil)

func newSession(h *hub, p sessionParams) *session {
	now := time.Now()
	s := &session{
		sessionParams: p,
		hub:           h,
		cfg:           &h.cfg,
		log:           h.log.With().Str("peer", p.remote.String()).Str("transport", p.transport).Logger(),
		space:         make(chan struct{}),
		established:   now,
		wake:          make(chan struct{}, 1),
		wakeBulk:      make(chan struct{}, 1),
		closing:       make(chan struct{}),
		addDone:       make(chan struct{}),
		done:          make(chan struct{}),
		core: newSessCore(&h.cfg, h.cfg.bulkWindow(p.transport, p.bulkKey != ""),
			h.cfg.bulkWindowMax(p.bulkKey != ""), now),
	}
	for l := range Lane(NumLanes) {
		if l.bulk() {
			s.inboxes[l] = newInbox()
		}
	}
	s.writers.Go(s.writeLoop)
	s.writers.Go(s.bulkLoop)
	go s.teardown()
	return s
}

// startReaders begins delivering messages; called after Connected.
func (s *session) startReaders() {
	// Add only while the session is up: teardown Waits only after fail, so
	// no Add can race with that Wait.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.core.err != nil {
		return
	}
	s.started = true
	for l := range Lane(NumLanes) {
		s.readers.Go(func() { s.readLoop(l) })
		if l.bulk() {
			s.readers.Go(func() { s.deliverLoop(l) })
		}
	}
}

func (s *session) Peer() PeerID                { return s.remote }
func (s *session) Direction() Direction        { return s.dir }
func (s *session) Done() <-chan struct{}       { return s.done }
func (s *session) Close(cause error)           { s.fail(closeError(cause)) }
func (s *session) Send(l Lane, m []byte) error { return s.send(context.Background(), l, m, false) }

func (s *session) SendWait(ctx context.Context, l Lane, m []byte) error {
	return s.send(ctx, l, m, true)
}

func closeError(cause error) *Error {
	if cause == nil {
		return &Error{Reason: ReasonLocalClose}
	}
	return &Error{Reason: ReasonApplication, Detail: cause.Error(), Err: cause}
}

func (s *session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.core.err == nil {
		return nil // not a typed nil
	}
	return s.core.err
}

func (s *session) Mode() Mode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.core.mode
}

func (s *session) SetMode(m Mode) {
	s.mu.Lock()
	s.core.mode = m
	s.mu.Unlock()
}

func (s *session) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		Peer: s.remote, Direction: s.dir, Mode: s.core.mode, Transport: s.transport,
		Conn: s.key, BulkConn: s.bulkKey,
		Established: s.established, Uptime: time.Since(s.established), RTT: s.core.srtt,
		Lanes: s.core.laneStats(),
	}
}

// wakeWriter wakes the writer of lane l's path, and only that one
// (issue 14): a consensus Send that also woke the idle bulk writer made
// the runtime run the bulk writer first (the goroutine readied last takes
// the P's next slot) and pushed the priority writer to the back of the
// run queue, behind a flood's goroutines: a QUIC trace showed a bulk
// writer wake-up for every vote and every credit frame.
func (s *session) wakeWriter(l Lane) {
	if l.bulk() {
		signal(s.wakeBulk)
		return
	}
	signal(s.wake)
}

// send queues msg; when the lane's queue is full it waits for space under
// ctx if wait is set, and fails with ErrQueueFull otherwise. The decision
// is the core's (sessCore.enqueue).
func (s *session) send(ctx context.Context, l Lane, msg []byte, wait bool) error {
	if !l.Valid() {
		return fmt.Errorf("%w: %d", ErrUnknownLane, l)
	}
	if len(msg) > s.cfg.MaxMessage[l] {
		return fmt.Errorf("%w: %d bytes on lane %s, max %d", ErrTooLarge, len(msg), l, s.cfg.MaxMessage[l])
	}
	m := newOutMsg(msg)
	s.mu.Lock()
	if s.loss != nil && s.core.err == nil && s.loss(l) {
		s.core.drop(l, DropSimLoss, 1)
		s.mu.Unlock()
		return nil
	}
	for {
		over := l != LaneConsensus && !s.hub.budgetAdmits(s.remote, m.size()) // budget.go
		switch s.core.enqueue(l, m, over, wait) {
		case admitQueued:
			if l != LaneConsensus {
				s.hub.queued.Add(int64(m.size()))
			}
			s.mu.Unlock()
			s.wakeWriter(l)
			return nil
		case admitClosed:
			err := s.core.err
			s.mu.Unlock()
			return err
		case admitBacklog:
			first, unqueued := s.core.fail(s.core.backlog())
			err := s.core.err
			s.mu.Unlock()
			if first {
				s.failed(err, unqueued)
			}
			return err
		case admitModeOff:
			s.mu.Unlock()
			return ErrModeOff
		case admitFull, admitBudget:
			if !wait {
				s.mu.Unlock()
				return ErrQueueFull
			}
		}
		space := s.space
		s.spaceWanted = true
		s.mu.Unlock()
		var retry <-chan time.Time // other links free the budget; poll it
		if over {
			retry = time.After(reserveRetry)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("link: send on lane %s: %w", l, ctx.Err())
		case <-space:
		case <-retry:
		case <-s.closing:
		}
		s.mu.Lock()
	}
}

// fail ends the session with err; the first call wins.
func (s *session) fail(err *Error) {
	s.mu.Lock()
	first, unqueued := s.core.fail(err)
	s.mu.Unlock()
	if first {
		s.failed(err, unqueued)
	}
}

// failed carries out the core's decision to end the session: budget,
// waiting senders, log, and the closing signal for the goroutines.
func (s *session) failed(err *Error, unqueued int64) {
	s.hub.unqueued(unqueued)
	s.mu.Lock()
	close(s.space)
	s.mu.Unlock()
	lvl := zerolog.DebugLevel
	if !err.Remote && err.Reason != ReasonLocalClose && err.Reason != ReasonHostClosed && err.Reason != ReasonDuplicate {
		lvl = zerolog.InfoLevel
	}
	s.log.WithLevel(lvl).Str("reason", string(err.Reason)).Bool("remote", err.Remote).Str("detail", err.Detail).AnErr("cause", err.Err).Msg("link closing")
	close(s.closing)
}

// teardown waits for the end and releases everything, in order: writer
// exits (after flushing a GOAWAY), half-close and grace, connection close,
// readers exit, Disconnected, done.
func (s *session) teardown() {
	<-s.closing
	s.writers.Wait()
	<-s.addDone // Connected, if it is called, comes before Disconnected
	s.mu.Lock()
	graceful := s.core.graceful
	s.mu.Unlock()
	if graceful {
		s.awaitPeerClose()
	}
	for _, st := range s.streams {
		_ = st.Close()
	}
	s.closeConn()
	s.readers.Wait()
	s.hub.removed(s)
	s.hub.mu.Lock()
	delete(s.hub.live, s)
	s.hub.mu.Unlock()
	close(s.done)
	s.hub.sessions.Done()
}

// awaitPeerClose half-closes our streams after the GOAWAY and waits, for
// at most the grace period, until the peer closes its side: closing the
// connection at once could discard the GOAWAY before the peer reads it.
// Lanes without a reader (a session that never came up) are drained.
func (s *session) awaitPeerClose() {
	for _, st := range s.streams {
		_ = st.CloseWrite()
	}
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	var drains sync.WaitGroup
	if !started {
		for _, st := range s.streams {
			drains.Go(func() { _, _ = io.Copy(io.Discard, st) })
		}
	}
	peerClosed := make(chan struct{})
	go func() { s.readers.Wait(); drains.Wait(); close(peerClosed) }()
	t := time.NewTimer(min(goAwayGrace, s.cfg.WriteTimeout))
	defer t.Stop()
	select {
	case <-peerClosed:
	case <-t.C:
	}
}

// writeLoop writes the priority path (control frames, consensus,
// routing) and runs the core's timer; bulkLoop writes the blocks and sync
// lanes. Two writers, so that a bulk write blocked in the muxer (its
// stream window, the socket buffer) never holds a vote back: the lanes
// are separate streams, each written by one goroutine. Direct credit
// grants share the consensus stream with writeLoop under consMu.
func (s *session) writeLoop() {
	buf := make([]byte, 0, s.cfg.ChunkSize+maxHeaderLen)
	ping := time.NewTicker(s.cfg.PingInterval)
	defer ping.Stop()
	for {
		s.consMu.Lock()
		s.mu.Lock()
		if s.core.err != nil {
			goAway := append([]byte(nil), s.core.goAway()...)
			s.mu.Unlock()
			if len(goAway) > 0 {
				_ = s.write(LaneConsensus, goAway, min(goAwayGrace, s.cfg.WriteTimeout))
			}
			s.consMu.Unlock()
			return
		}
		w, ok := s.core.next(buf[:0], false)
		if ok && w.lane != LaneConsensus {
			s.hub.unqueued(int64(w.msgBytes))
		}
		s.mu.Unlock()
		// Hold consMu from picking a consensus write until it is written,
		// so a direct credit grant never lands inside a message.
		if !ok || w.lane != LaneConsensus {
			s.consMu.Unlock()
		}
		if !ok {
			select {
			case <-s.wake:
			case now := <-ping.C:
				s.tick(now)
			case <-s.closing:
			}
			continue
		}
		err := s.writeOut(w)
		if w.lane == LaneConsensus {
			s.consMu.Unlock()
		}
		if err != nil {
			s.fail(writeError(err))
			continue
		}
		s.wrote(w)
	}
}

// bulkLoop writes the bulk lanes' chunks as their credit allows.
func (s *session) bulkLoop() {
	buf := make([]byte, 0, s.cfg.ChunkSize+maxHeaderLen)
	for {
		s.mu.Lock()
		if s.core.err != nil {
			s.mu.Unlock()
			return
		}
		w, ok := s.core.next(buf[:0], true)
		if ok {
			s.hub.unqueued(int64(w.msgBytes))
		}
		s.mu.Unlock()
		if !ok {
			select {
			case <-s.wakeBulk:
			case <-s.closing:
			}
			continue
		}
		err := s.writeOut(w)
		if err != nil {
			s.laneFailed(w.lane, writeError(err)) // trim.go
			continue
		}
		s.wrote(w)
	}
}

// writeOut hands one write of the core to the muxer as a single Write,
// so that it becomes one muxer frame: a frame header written apart from
// its payload would cost a muxer frame, a TLS record and a syscall of its
// own on both ends (and with the default ChunkSize a 64 KiB chunk would
// spill 12 bytes into a second yamux frame). The tail, a slice of the
// message, is copied behind the header only when both are present: once
// per message, on its first chunk; every later chunk goes out uncopied.
// buf has room for a whole chunk (the writers size it so).
func (s *session) writeOut(w write) error {
	switch {
	case len(w.tail) == 0:
		return s.write(w.lane, w.buf, s.cfg.WriteTimeout)
	case len(w.buf) == 0:
		return s.write(w.lane, w.tail, s.cfg.WriteTimeout)
	}
	return s.write(w.lane, append(w.buf, w.tail...), s.cfg.WriteTimeout)
}

// tick runs the core's timer duties and carries out what they decide.
func (s *session) tick(now time.Time) {
	s.mu.Lock()
	r := s.core.tick(now)
	s.mu.Unlock()
	if r.end != nil {
		s.fail(r.end)
	}
	if r.stall != nil {
		s.peerFault(r.stall)
	}
	s.shedLog(r.shed)
}

// write writes b to lane l's stream within about timeout. The caller
// holds the stream's write side (see session.deadline).
//
// The deadline is moved only when the one already set is more than
// timeout/8 away from now+timeout, or later than it: each
// SetWriteDeadline on a yamux stream arms a runtime timer (time.AfterFunc:
// allocations and the timer heap's lock), once per 64 KiB chunk and per
// credit frame, which the raw stream a lane is measured against never
// pays (issue 14, session 11). A write is so given at least 7/8 of
// timeout and never more than timeout.
func (s *session) write(l Lane, b []byte, timeout time.Duration) error {
	if len(b) == 0 {
		return nil
	}
	st := s.streams[l]
	if want := time.Now().Add(timeout); want.Before(s.deadline[l]) || want.Sub(s.deadline[l]) > timeout/8 {
		_ = st.SetWriteDeadline(want) // not all streams support deadlines
		s.deadline[l] = want
	}
	_, err := st.Write(b)
	return err
}

func writeError(err error) *Error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return &Error{Reason: ReasonTimeout, Detail: "write", Err: err}
	}
	return transportError("write", err) // trim.go
}

// wrote accounts a completed write and frees queue space.
func (s *session) wrote(w write) {
	s.mu.Lock()
	if s.core.wrote(w) && s.spaceWanted {
		close(s.space)
		s.space = make(chan struct{})
		s.spaceWanted = false
	}
	s.mu.Unlock()
}

// readLoop decodes one lane until the stream ends.
func (s *session) readLoop(l Lane) {
	if l.bulk() {
		defer s.inboxes[l].close()
	}
	br := bufio.NewReaderSize(s.streams[l], 64<<10)
	fr := &frameReader{r: br, full: bufferedFirst{br: br, raw: s.streams[l]}, lane: l, maxMsg: s.cfg.MaxMessage[l]}
	for {
		if err := s.readFrame(fr); err != nil {
			s.readFailed(l, err)
			return
		}
	}
}

func (s *session) readFrame(fr *frameReader) error {
	typ, n, hdrLen, err := fr.header()
	if err != nil {
		return err
	}
	if typ == frameMsg {
		return s.readMsg(fr, n, hdrLen)
	}
	p := fr.ctl[:n]
	if _, err := io.ReadFull(fr.full, p); err != nil {
		return err
	}
	return s.control(typ, p)
}

// readMsg reads a message whose size was already checked, accounting its
// bytes with the core as they are read, and delivers it: on the reader
// itself for consensus and routing, through the lane's inbox for blocks
// and sync.
func (s *session) readMsg(fr *frameReader, n, hdrLen int) error {
	l := fr.lane
	s.mu.Lock()
	g, err := s.core.msgStart(l, n, hdrLen, time.Now())
	s.mu.Unlock()
	if err := s.granted(l, g, err); err != nil {
		return err
	}
	// Allocate and reserve in step with the bytes that really arrive
	// (reserve.go); the core's stall watchdog times the gaps (stall.go).
	buf := s.newRecvBuf(l, n)
	defer buf.free()
	for got := 0; got < n; {
		// Never wait for more than the peer may send without new credit,
		// or a window smaller than readPiece would deadlock. With no
		// credit left (all of it withheld behind a slow Receive), wait for
		// one byte: it comes once the inbox releases credit.
		s.mu.Lock()
		k := int(max(1, min(int64(min(n-got, readPiece)), s.core.avail(l))))
		s.mu.Unlock()
		room, err := buf.next(k)
		if err != nil {
			return err
		}
		if _, err := io.ReadFull(fr.full, room); err != nil {
			return err
		}
		got += k
		s.mu.Lock()
		g, err := s.core.msgBytes(l, k, time.Now())
		s.mu.Unlock()
		if err := s.granted(l, g, err); err != nil {
			return err
		}
	}
	msg, release := buf.take()
	s.mu.Lock()
	ok := s.core.msgEnd(l, n, hdrLen, time.Now())
	s.mu.Unlock()
	if !ok {
		release()
		if s.hub.penalize(s.remote, ReasonFlood) { // never for a protected peer (score.go)
			return &peerFault{reason: ReasonFlood, detail: "banned: inbound rate on lane " + l.String()}
		}
		return nil
	}
	if l.bulk() {
		s.inboxes[l].push(delivery{msg: msg, release: release}, s.closing)
		return nil
	}
	defer release()
	s.hub.handler.Receive(s, l, msg)
	return nil
}

// granted sends the credit the core decided to grant, or passes its error on.
func (s *session) granted(l Lane, g int64, err error) error {
	if err != nil {
		return err
	}
	if g > 0 {
		s.grant(l, g)
	}
	return nil
}

// progressed tells the core that lane l's reader waits on us (reserve.go).
func (s *session) progressed(l Lane) {
	s.mu.Lock()
	s.core.waiting(l, time.Now())
	s.mu.Unlock()
}

// deliverLoop hands a bulk lane's messages to the application in order,
// returning their credit as each is delivered (credit.go says why).
func (s *session) deliverLoop(l Lane) {
	b := s.inboxes[l]
	for {
		d, ok := b.next()
		if !ok {
			return
		}
		s.hub.handler.Receive(s, l, d.msg)
		n := len(d.msg)
		d.release()
		b.delivered()
		s.mu.Lock()
		g := s.core.delivered(l, n)
		s.mu.Unlock()
		if g > 0 {
			s.grant(l, g)
		}
	}
}

// grant sends a CREDIT frame: directly if the consensus stream is free,
// else through the writer.
func (s *session) grant(l Lane, g int64) {
	if s.grantDirect(l, g) {
		return
	}
	s.mu.Lock()
	s.core.queueCredit(l, g)
	s.mu.Unlock()
	s.wakeWriter(LaneConsensus) // CREDIT frames go out on the consensus stream
}

// grantDirect writes a CREDIT frame from the reader or delivery goroutine
// itself when the consensus stream is free and between messages. The
// credit round trip bounds bulk throughput at a given window (window /
// round trip), and this saves it a hand-off to the writer goroutine. It
// never waits for the writer: if the writer holds the stream, the grant is
// queued instead.
func (s *session) grantDirect(l Lane, g int64) bool {
	if !s.consMu.TryLock() {
		return false
	}
	defer s.consMu.Unlock()
	s.mu.Lock()
	ok := s.core.directCreditOK()
	s.mu.Unlock()
	if !ok {
		return false
	}
	if err := s.write(LaneConsensus, appendCredit(s.creditFrame[:0], l, g), s.cfg.WriteTimeout); err != nil {
		s.fail(writeError(err)) // takes mu only: lock order consMu, then mu
	}
	return true
}

// control hands a control frame from the consensus stream to the core.
func (s *session) control(typ byte, p []byte) error {
	s.mu.Lock()
	out, err := s.core.control(typ, p, time.Now())
	s.mu.Unlock()
	switch out {
	case ctlWake:
		s.wakeWriter(LaneConsensus)
	case ctlWakeBulk:
		s.wakeWriter(LaneBlocks)
	case ctlFlood:
		if s.hub.penalize(s.remote, ReasonFlood) {
			return faultf(ReasonFlood, "banned: ping rate")
		}
	}
	return err
}

// readFailed classifies a reader's terminal error.
func (s *session) readFailed(l Lane, err error) {
	if e, ok := errors.AsType[*Error](err); ok { // GOAWAY
		s.fail(e)
		return
	}
	if f, ok := errors.AsType[*peerFault](err); ok {
		s.peerFault(f)
		return
	}
	select {
	case <-s.closing:
		return // our own close ended the stream
	default:
	}
	if errors.Is(err, io.EOF) && l != LaneConsensus && s.closedWithin(goAwayGrace) {
		// The peer half-closed; its GOAWAY, if any, arrives on the
		// consensus stream, which decided the reason.
		return
	}
	if errors.Is(err, io.EOF) {
		s.fail(&Error{Reason: ReasonRemoteClose, Remote: true})
		return
	}
	s.laneFailed(l, transportError("read "+l.String(), err)) // trim.go
}

// peerFault charges the peer and closes the link with the fault's reason
// (or ReasonBanned if this fault crossed the ban threshold).
func (s *session) peerFault(f *peerFault) {
	// readMsg has already charged a flood and returns it only on a ban.
	if f.reason == ReasonFlood || s.hub.Penalize(s.remote, f.reason, f.detail) {
		s.fail(&Error{Reason: ReasonBanned, Detail: string(f.reason) + ": " + f.detail, Err: f})
		return
	}
	s.fail(&Error{Reason: f.reason, Detail: f.detail, Err: f})
}

// shedLog reports n inbound rate-limit drops (counted by the core since
// its last tick), at warning level for a protected peer: its drops are
// shed without charge (protect.go), and an operator must see that a
// producer sends more than the limits allow. An unprotected peer's drops
// are charged as floods.
func (s *session) shedLog(n uint64) {
	if n == 0 {
		return
	}
	if s.hub.isProtected(s.remote) {
		s.log.Warn().Uint64("dropped", n).Str("reason", string(DropRateLimited)).
			Msg("protected peer over the inbound rate limit: messages shed, not charged")
		return
	}
	s.log.Info().Uint64("dropped", n).Str("reason", string(DropRateLimited)).
		Msg("peer over the inbound rate limit: messages dropped and charged")
}
