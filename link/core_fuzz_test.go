package link

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"
)

// coreEnd is one side of a pair of session cores wired back to back by
// the test: the bytes the other side's writer produced, per lane stream,
// decoded the way session.go's readers do, with delivery under the
// test's control.
type coreEnd struct {
	name string
	c    *sessCore
	cfg  *ConnConfig
	in   [NumLanes][]byte // received, not yet decoded
	cur  [NumLanes]partial
	inQ  [NumLanes][][]byte // bulk lanes: delivered by msgEnd, not yet by the application
	got  [NumLanes][]uint64 // sequence numbers the application received, in order
	sent [NumLanes][]uint64 // sequence numbers our core accepted
	seq  [NumLanes]uint64
	// tainted lanes received bytes the test injected: no order check.
	tainted [NumLanes]bool
	err     error // the error that ended this end, if any
}

// partial is a MSG frame being read.
type partial struct {
	active bool
	n, hdr int
	buf    []byte
}

func fuzzConnConfig() *ConnConfig {
	cfg := DefaultConnConfig()
	cfg.MaxMessage = [NumLanes]int{1 << 10, 1 << 10, 16 << 10, 8 << 10}
	cfg.SendQueueBytes = 8 << 10
	cfg.ConsensusQueueBytes = 4 << 10
	cfg.ChunkSize = 1 << 10
	cfg.BulkWindow = 4 << 10
	// The window may grow to 16 KiB within a message; every pump happens
	// at one instant, so a moved half window is always fast enough.
	cfg.BulkWindowMax = 16 << 10
	cfg.BulkTuneDelay = time.Second
	cfg.InboundMsgRate = [NumLanes]float64{} // unlimited: every message must arrive
	return &cfg
}

func newCoreEnd(name string, cfg *ConnConfig, now time.Time) *coreEnd {
	return &coreEnd{name: name, c: newSessCore(cfg, cfg.BulkWindow, cfg.BulkWindowMax, now), cfg: cfg}
}

// end fails the core with err, which must be one of the link's typed errors.
func (e *coreEnd) end(t *testing.T, err error) {
	t.Helper()
	var pe *peerFault
	var le *Error
	switch {
	case errors.As(err, &le):
	case errors.As(err, &pe):
		le = &Error{Reason: pe.reason, Detail: pe.detail, Err: pe}
	default:
		t.Fatalf("%s: untyped error %T: %v", e.name, err, err)
	}
	if e.err == nil {
		e.err = err
	}
	e.c.fail(le)
}

// send offers a message of size n (≥ 8: it carries a sequence number).
func (e *coreEnd) send(l Lane, n int) {
	n = max(8, min(n, e.cfg.MaxMessage[l]))
	e.seq[l]++
	msg := make([]byte, n)
	binary.BigEndian.PutUint64(msg, e.seq[l])
	if e.c.enqueue(l, newOutMsg(msg), false, false) == admitQueued {
		e.sent[l] = append(e.sent[l], e.seq[l])
	}
}

// pump moves up to k writes from e's writer to peer, then lets the peer
// decode. A failed end flushes its GOAWAY once.
func (e *coreEnd) pump(t *testing.T, peer *coreEnd, k int, now time.Time) {
	t.Helper()
	if e.err != nil {
		if g := e.c.goAway(); len(g) > 0 {
			peer.in[LaneConsensus] = append(peer.in[LaneConsensus], g...)
			e.c.sched.ctrl = e.c.sched.ctrl[:0]
		}
	}
	for i := range k {
		// The two writers race in the driver: alternate, or let one run.
		w, ok := e.c.next(nil, i%2 == 1)
		if !ok {
			w, ok = e.c.next(nil, i%2 == 0)
		}
		if !ok {
			break
		}
		peer.in[w.lane] = append(peer.in[w.lane], w.buf...)
		peer.in[w.lane] = append(peer.in[w.lane], w.tail...)
		e.c.wrote(w)
	}
	for l := range Lane(NumLanes) {
		peer.decode(t, l, now)
	}
}

// decode reads what it can of lane l, as readLoop does.
func (e *coreEnd) decode(t *testing.T, l Lane, now time.Time) {
	t.Helper()
	for e.err == nil {
		if !e.cur[l].active {
			if !e.header(t, l, now) {
				return
			}
			continue
		}
		p := &e.cur[l]
		k := int(min(int64(len(e.in[l])), int64(p.n-len(p.buf)), e.c.avail(l)))
		if k == 0 && len(p.buf) < p.n {
			return
		}
		p.buf = append(p.buf, e.in[l][:k]...)
		e.in[l] = e.in[l][k:]
		if !e.granted(t, l)(e.c.msgBytes(l, k, now)) {
			return
		}
		if len(p.buf) == p.n {
			e.msgDone(l, now)
		}
	}
}

// header decodes one frame header (and a control frame whole); false when
// more bytes are needed or the end failed.
func (e *coreEnd) header(t *testing.T, l Lane, now time.Time) bool {
	t.Helper()
	b := e.in[l]
	if len(b) < 2 {
		return false
	}
	v, k := binary.Uvarint(b[1:])
	if k == 0 {
		return false
	}
	if k < 0 || k != uvarintLen(v) {
		e.end(t, fault(ReasonDecode, "bad length"))
		return false
	}
	typ := b[0]
	if err := checkFrame(l, typ, v, e.cfg.MaxMessage[l]); err != nil {
		e.end(t, err)
		return false
	}
	hdr := 1 + k
	if typ == frameMsg {
		e.in[l] = b[hdr:]
		e.cur[l] = partial{active: true, n: int(v), hdr: hdr}
		if !e.granted(t, l)(e.c.msgStart(l, int(v), hdr, now)) {
			return false
		}
		if v == 0 {
			e.msgDone(l, now)
		}
		return true
	}
	if len(b) < hdr+int(v) {
		return false
	}
	e.in[l] = b[hdr+int(v):]
	if _, err := e.c.control(typ, b[hdr:hdr+int(v)], now); err != nil {
		e.end(t, err)
		return false
	}
	return true
}

func (e *coreEnd) msgDone(l Lane, now time.Time) {
	p := e.cur[l]
	e.cur[l] = partial{}
	if !e.c.msgEnd(l, p.n, p.hdr, now) {
		return
	}
	if l.bulk() {
		e.inQ[l] = append(e.inQ[l], p.buf)
		return
	}
	e.receive(l, p.buf)
}

func (e *coreEnd) receive(l Lane, msg []byte) {
	if len(msg) >= 8 {
		e.got[l] = append(e.got[l], binary.BigEndian.Uint64(msg))
	}
}

// deliver hands the oldest queued message of bulk lane l to the application.
func (e *coreEnd) deliver(l Lane) {
	if len(e.inQ[l]) == 0 || e.err != nil {
		return
	}
	msg := e.inQ[l][0]
	e.inQ[l] = e.inQ[l][1:]
	e.receive(l, msg)
	if g := e.c.delivered(l, len(msg)); g > 0 {
		e.c.queueCredit(l, g)
	}
}

// granted queues a grant the core returned, or ends on its error.
func (e *coreEnd) granted(t *testing.T, l Lane) func(int64, error) bool {
	return func(g int64, err error) bool {
		if err != nil {
			e.end(t, err)
			return false
		}
		if g > 0 {
			e.c.queueCredit(l, g)
		}
		return true
	}
}

// check asserts the core's invariants.
func (e *coreEnd) check() error {
	c := e.c
	for l := range Lane(NumLanes) {
		var rem int64
		for i := c.sched.q[l].head; i < len(c.sched.q[l].items); i++ {
			rem += int64(c.sched.q[l].items[i].remaining())
		}
		if rem != c.sched.queued[l] {
			return fmt.Errorf("%s lane %s: queued %d, messages hold %d", e.name, l, c.sched.queued[l], rem)
		}
		bound := int64(e.cfg.SendQueueBytes)
		if l == LaneConsensus {
			bound = int64(e.cfg.ConsensusQueueBytes)
		}
		if c.sched.queued[l] > bound+int64(e.cfg.MaxMessage[l]+maxHeaderLen) {
			return fmt.Errorf("%s lane %s: %d bytes queued, bound %d", e.name, l, c.sched.queued[l], bound)
		}
		if cr := c.sched.credit[l]; cr < 0 || cr > maxCredit || (!l.bulk() && cr != 0) {
			return fmt.Errorf("%s lane %s: credit %d", e.name, l, cr)
		}
		if !e.tainted[l] {
			for i := 1; i < len(e.got[l]); i++ {
				if e.got[l][i] <= e.got[l][i-1] {
					return fmt.Errorf("%s lane %s: delivered out of order: %v", e.name, l, e.got[l])
				}
			}
		}
		if !l.bulk() {
			continue
		}
		cr := &c.credit[l]
		if err := cr.check(); err != nil {
			return fmt.Errorf("%s lane %s: %w", e.name, l, err)
		}
		// Memory: what we hold for a bulk lane (undelivered messages and
		// the partial one) is at most one message plus one window, the
		// window at most BulkWindowMax.
		held := cr.undeliveredBytes + int64(len(e.cur[l].buf))
		if lim := int64(e.cfg.MaxMessage[l]) + int64(max(e.cfg.BulkWindow, e.cfg.BulkWindowMax)); held > lim {
			return fmt.Errorf("%s lane %s: holding %d bytes, bound %d", e.name, l, held, lim)
		}
	}
	return nil
}

// FuzzSession drives two session cores wired back to back with local
// sends, writes, deliveries, ticks and injected hostile bytes, and checks
// the core's invariants after every step: credit never negative nor above
// maxCredit, queues and held memory bounded by the configured windows,
// no lane delivering out of order, every error typed, no panic. When
// nothing was injected and both ends are up, draining both ways must then
// deliver every accepted message, in order (no credit deadlock).
func FuzzSession(f *testing.F) {
	f.Add([]byte{0x10, 200, 0x12, 100, 2, 8, 3, 8, 4, 2, 8, 3, 8})
	f.Add([]byte{0x12, 255, 0x12, 255, 0x12, 255, 2, 4, 2, 4, 4, 3, 4, 2, 4, 6, 50})
	f.Add([]byte{7, 0, 5, 0x02, 0x03, 0x02, 0xff, 0xff, 2, 1, 3, 1})
	f.Add([]byte{6, 255, 6, 255, 6, 255, 0x11, 20, 2, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		cfg := fuzzConnConfig()
		now := time.Unix(1_700_000_000, 0)
		a, b := newCoreEnd("a", cfg, now), newCoreEnd("b", cfg, now)
		arg := func(i int) int {
			if i < len(ops) {
				return int(ops[i])
			}
			return 0
		}
		for i := 0; i < len(ops); i += 2 {
			op, x := ops[i], arg(i+1)
			lane := Lane(op>>4) % NumLanes
			switch op & 7 {
			case 0:
				a.send(lane, x*64)
			case 1:
				b.send(lane, x*64)
			case 2:
				a.pump(t, b, 1+x%16, now)
			case 3:
				b.pump(t, a, 1+x%16, now)
			case 4:
				b.deliver(LaneBlocks + lane%2)
			case 5:
				a.deliver(LaneBlocks + lane%2)
			case 6:
				now = now.Add(time.Duration(x) * 50 * time.Millisecond)
				for _, e := range []*coreEnd{a, b} {
					if r := e.c.tick(now); r.end != nil {
						e.end(t, r.end)
					} else if r.stall != nil {
						e.end(t, r.stall)
					}
				}
			case 7: // x hostile bytes from the rest of the input
				raw := ops[min(len(ops), i+2):min(len(ops), i+2+x%32)]
				b.in[lane] = append(b.in[lane], raw...)
				b.tainted[lane] = true
				b.decode(t, lane, now)
				i += len(raw)
			}
			for _, e := range []*coreEnd{a, b} {
				if err := e.check(); err != nil {
					t.Fatalf("after op %d (%#x %d): %v", i/2, op, x, err)
				}
			}
		}
		drain(t, a, b, now)
	})
}

// drain pumps both ways and delivers everything until nothing moves; if
// both ends are up and nothing was injected, every accepted message must
// have arrived, in order.
func drain(t *testing.T, a, b *coreEnd, now time.Time) {
	t.Helper()
	for range 10_000 {
		before := a.progressMark() + b.progressMark()
		a.pump(t, b, 64, now)
		b.pump(t, a, 64, now)
		for _, l := range [...]Lane{LaneBlocks, LaneSync} {
			for len(a.inQ[l])+len(b.inQ[l]) > 0 && a.err == nil && b.err == nil {
				a.deliver(l)
				b.deliver(l)
			}
		}
		if a.progressMark()+b.progressMark() == before {
			break
		}
	}
	if a.err != nil || b.err != nil {
		return
	}
	for _, pair := range [][2]*coreEnd{{a, b}, {b, a}} {
		from, to := pair[0], pair[1]
		for l := range Lane(NumLanes) {
			if to.tainted[l] {
				continue
			}
			if fmt.Sprint(to.got[l]) != fmt.Sprint(from.sent[l]) {
				t.Fatalf("%s→%s lane %s: sent %v, received %v (queued %d, credit %d; receiver books %+v, partial %d/%d, %d bytes unread, tainted %v)",
					from.name, to.name, l, from.sent[l], to.got[l], from.c.sched.queued[l], from.c.sched.credit[l],
					to.c.credit[l], len(to.cur[l].buf), to.cur[l].n, len(to.in[l]), to.tainted)
			}
		}
	}
}

// progressMark changes whenever bytes move or messages arrive.
func (e *coreEnd) progressMark() string {
	var n []int
	for l := range Lane(NumLanes) {
		n = append(n, len(e.got[l]), len(e.in[l]), int(e.c.sched.queued[l]), len(e.inQ[l]))
	}
	return fmt.Sprint(n, len(e.c.sched.ctrl), e.c.sched.pongDue)
}
