package link

// outMsg is a queued message: its frame header and payload, written out in
// chunks. sent counts bytes of header+payload already written.
type outMsg struct {
	hdr  [maxHeaderLen]byte
	hdrN int
	data []byte
	sent int
}

func newOutMsg(data []byte) *outMsg {
	m := &outMsg{data: data}
	m.hdrN = len(appendHeader(m.hdr[:0], frameMsg, len(data)))
	return m
}

func (m *outMsg) size() int      { return m.hdrN + len(m.data) }
func (m *outMsg) remaining() int { return m.size() - m.sent }

// appendNext appends up to n more bytes of the framed message to b. A
// payload piece of at least zeroCopyMin bytes is returned as tail, a slice
// of the message itself, instead of being copied; nothing may be appended
// after a tail.
func (m *outMsg) appendNext(b []byte, n int) (out, tail []byte) {
	if m.sent < m.hdrN {
		k := min(n, m.hdrN-m.sent)
		b = append(b, m.hdr[m.sent:m.sent+k]...)
		m.sent += k
		n -= k
	}
	if n > 0 {
		off := m.sent - m.hdrN
		k := min(n, len(m.data)-off)
		m.sent += k
		if k >= zeroCopyMin {
			return b, m.data[off : off+k]
		}
		b = append(b, m.data[off:off+k]...)
	}
	return b, nil
}

// zeroCopyMin: below this a payload piece is copied into the write buffer
// (packing small messages into one muxer write); above it the writer hands
// the caller's slice to the muxer directly.
const zeroCopyMin = 8 << 10

// fifo is a queue of messages with amortised O(1) push and pop.
type fifo struct {
	items []*outMsg
	head  int
}

func (f *fifo) push(m *outMsg) { f.items = append(f.items, m) }
func (f *fifo) len() int       { return len(f.items) - f.head }
func (f *fifo) peek() *outMsg  { return f.items[f.head] }
func (f *fifo) pop() {
	f.items[f.head] = nil
	f.head++
	if f.head == len(f.items) {
		f.items, f.head = f.items[:0], 0
	} else if f.head > 1024 && f.head*2 > len(f.items) {
		f.items = append(f.items[:0], f.items[f.head:]...)
		f.head = 0
	}
}

// sched is the priority scheduler above the muxer: a pure structure owned
// by one session under its lock. It decides which bytes the writer puts on
// which lane stream next:
//
//  1. pending control frames (PONG, PING, GOAWAY, CREDIT), which all go on
//     the consensus stream, between two consensus messages, never inside one;
//  2. the consensus lane, then the routing lane (strict priority);
//  3. the blocks and sync lanes, round-robin per chunk, each limited by the
//     credit the receiver granted.
//
// A write carries at most one chunk. The priority path (1 and 2) and the
// bulk path (3) are written by two goroutines (session.go), so a consensus
// message never waits for a bulk write at all on our side: only, below
// us, for the muxer frame already being written.
type sched struct {
	q      [NumLanes]fifo
	queued [NumLanes]int64 // unsent framed bytes per lane; Invariant: = Σ remaining()
	ctrl   []byte          // control frames; always on the consensus lane
	credit [NumLanes]int64 // bulk lanes only; Invariant: 0 ≤ credit ≤ maxCredit
	// pong is the nonce of the one PONG owed to the peer (control.go):
	// a newer PING replaces it, so a peer that never reads cannot grow ctrl.
	pong    uint64
	pongDue bool
	rr      Lane // bulk lane to try first
}

// write is one unit handed to the writer.
type write struct {
	lane     Lane
	buf      []byte
	tail     []byte // written after buf; aliases a queued message
	msgBytes int    // message bytes (header+payload) in buf, for stats
	msgsDone int    // messages finished by this write
	ctrl     bool
}

func (s *sched) push(lane Lane, m *outMsg) {
	s.q[lane].push(m)
	s.queued[lane] += int64(m.size())
}

// mid reports whether lane's head message is partly written: no other
// frame may go on that stream until it is finished.
func (s *sched) mid(lane Lane) bool {
	return s.q[lane].len() > 0 && s.q[lane].peek().sent > 0
}

// ready reports whether lane has a message it may write now.
func (s *sched) ready(lane Lane) bool {
	return s.q[lane].len() > 0 && (!lane.bulk() || s.credit[lane] > 0)
}

// next fills buf with the next write of any lane (priority path first),
// or reports false when nothing may be written.
func (s *sched) next(buf []byte, chunk int) (write, bool) {
	if w, ok := s.nextPrio(buf, chunk); ok {
		return w, true
	}
	return s.nextBulk(buf, chunk)
}

// nextPrio fills buf with the next write of the priority path: control
// frames, then consensus, then routing. The session writes it on its own
// goroutine, so it never waits behind a bulk write blocked in the muxer.
func (s *sched) nextPrio(buf []byte, chunk int) (write, bool) {
	if (len(s.ctrl) > 0 || s.pongDue) && !s.mid(LaneConsensus) {
		w := write{lane: LaneConsensus, buf: append(buf, s.ctrl...), ctrl: true}
		if s.pongDue {
			w.buf = appendPing(w.buf, framePong, s.pong)
			s.pongDue = false
		}
		s.ctrl = s.ctrl[:0]
		return w, true
	}
	for _, l := range [...]Lane{LaneConsensus, LaneRouting} {
		if s.ready(l) {
			return s.fill(l, buf, chunk), true
		}
	}
	return write{}, false
}

// nextBulk fills buf with the next chunk of the blocks or sync lane,
// alternating between them, each within the credit the peer granted.
func (s *sched) nextBulk(buf []byte, chunk int) (write, bool) {
	for range 2 {
		l := s.rr
		if l != LaneBlocks && l != LaneSync {
			l = LaneBlocks
		}
		s.rr = LaneBlocks + LaneSync - l
		if s.ready(l) {
			return s.fill(l, buf, chunk), true
		}
	}
	return write{}, false
}

// fill packs up to chunk bytes of lane's queue into buf: the rest of the
// head message, then further whole or partial messages while room remains.
func (s *sched) fill(l Lane, buf []byte, chunk int) write {
	w := write{lane: l}
	room := chunk
	if l.bulk() {
		room = int(min(int64(room), s.credit[l]))
	}
	for room > 0 && s.q[l].len() > 0 {
		m := s.q[l].peek()
		n := min(room, m.remaining())
		buf, w.tail = m.appendNext(buf, n)
		room -= n
		w.msgBytes += n
		if m.remaining() == 0 {
			s.q[l].pop()
			w.msgsDone++
		}
		if w.tail != nil {
			break
		}
	}
	s.queued[l] -= int64(w.msgBytes)
	if l.bulk() {
		s.credit[l] -= int64(w.msgBytes)
	}
	w.buf = buf
	return w
}

// maxCredit bounds the credit a peer may have granted us and we have not
// used: far above any window (MaxBulkWindow is 32 MiB), far below int64
// overflow.
const maxCredit = 1 << 40

// addCredit adds a peer's grant; more than maxCredit outstanding is a
// protocol fault rather than an overflow that would stall the lane.
func (s *sched) addCredit(l Lane, n int64) error {
	if n > maxCredit-s.credit[l] {
		return fault(ReasonProtocol, "credit on lane %s: %d granted with %d unused, max %d", l, n, s.credit[l], int64(maxCredit))
	}
	s.credit[l] += n
	return nil
}

// clear empties the message queues and returns the dropped count per lane.
func (s *sched) clear() (dropped [NumLanes]int) {
	for l := range Lane(NumLanes) {
		dropped[l] = s.q[l].len()
		s.q[l] = fifo{}
		s.queued[l] = 0
	}
	return dropped
}
