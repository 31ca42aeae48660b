package link

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// memPipe is one direction of an in-memory lane stream with a one-way
// latency, a bandwidth (bytes/s, 0 = unlimited) and a bounded number of
// bytes in flight, after which Write blocks like a full socket buffer. It
// uses only channels and timers, so it runs on virtual time under
// testing/synctest.
type memPipe struct {
	latency   time.Duration
	bandwidth float64
	capacity  int

	mu       sync.Mutex
	segs     []memSeg
	buffered int
	horizon  time.Time // when the last queued byte finishes serialising
	eof      bool      // writer half-closed: EOF once drained
	broken   bool      // hard-closed: reads and writes fail
	deadline time.Time // write deadline
	readable chan struct{}
	writable chan struct{}
}

type memSeg struct {
	data []byte
	at   time.Time // delivery time
}

func newMemPipe(latency time.Duration, bandwidth float64, capacity int) *memPipe {
	return &memPipe{latency: latency, bandwidth: bandwidth, capacity: capacity,
		readable: make(chan struct{}, 1), writable: make(chan struct{}, 1)}
}

// signal sets a cap-1 channel's pending wake-up.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (p *memPipe) write(b []byte) (int, error) {
	for {
		p.mu.Lock()
		switch {
		case p.broken:
			p.mu.Unlock()
			return 0, net.ErrClosed
		case p.eof:
			p.mu.Unlock()
			return 0, io.ErrClosedPipe
		case p.buffered == 0 || p.buffered+len(b) <= p.capacity:
			p.enqueueLocked(b)
			p.mu.Unlock()
			signal(p.readable)
			return len(b), nil
		}
		dl := p.deadline
		p.mu.Unlock()
		if err := waitUntil(p.writable, dl); err != nil {
			return 0, err
		}
	}
}

func (p *memPipe) enqueueLocked(b []byte) {
	now := time.Now()
	start := now
	if p.horizon.After(now) {
		start = p.horizon
	}
	if p.bandwidth > 0 {
		start = start.Add(time.Duration(float64(len(b)) / p.bandwidth * float64(time.Second)))
	}
	p.horizon = start
	p.segs = append(p.segs, memSeg{data: append([]byte(nil), b...), at: start.Add(p.latency)})
	p.buffered += len(b)
}

// waitUntil waits for a signal on c or the deadline (zero = none).
func waitUntil(c chan struct{}, deadline time.Time) error {
	if deadline.IsZero() {
		<-c
		return nil
	}
	d := time.Until(deadline)
	if d <= 0 {
		return os.ErrDeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c:
		return nil
	case <-t.C:
		return os.ErrDeadlineExceeded
	}
}

func (p *memPipe) read(b []byte) (int, error) {
	for {
		p.mu.Lock()
		if p.broken {
			p.mu.Unlock()
			return 0, net.ErrClosed
		}
		if len(p.segs) == 0 {
			eof := p.eof
			p.mu.Unlock()
			if eof {
				return 0, io.EOF
			}
			<-p.readable
			continue
		}
		seg := &p.segs[0]
		if wait := time.Until(seg.at); wait > 0 {
			p.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-p.readable: // closed meanwhile, or more data: re-check
			}
			t.Stop()
			continue
		}
		n := copy(b, seg.data)
		seg.data = seg.data[n:]
		if len(seg.data) == 0 {
			p.segs[0] = memSeg{}
			p.segs = p.segs[1:]
		}
		p.buffered -= n
		p.mu.Unlock()
		signal(p.writable)
		return n, nil
	}
}

func (p *memPipe) closeWrite() {
	p.mu.Lock()
	p.eof = true
	p.mu.Unlock()
	signal(p.readable)
}

func (p *memPipe) breakPipe() {
	p.mu.Lock()
	p.broken = true
	p.mu.Unlock()
	signal(p.readable)
	signal(p.writable)
}

func (p *memPipe) setDeadline(t time.Time) {
	p.mu.Lock()
	p.deadline = t
	p.mu.Unlock()
	signal(p.writable) // a blocked writer re-reads the deadline
}

// memStream is one end of an in-memory lane stream.
type memStream struct {
	in, out *memPipe
	budget  *memBudget // the receiving host's; nil means unlimited
}

var _ laneStream = (*memStream)(nil)

func (s *memStream) Read(b []byte) (int, error)  { return s.in.read(b) }
func (s *memStream) Write(b []byte) (int, error) { return s.out.write(b) }
func (s *memStream) CloseWrite() error           { s.out.closeWrite(); return nil }

func (s *memStream) SetWriteDeadline(t time.Time) error {
	s.out.setDeadline(t)
	return nil
}

// Close is a socket close: the peer reads what was sent, then EOF; our own
// reads and the peer's further writes fail.
func (s *memStream) Close() error {
	s.out.closeWrite()
	s.in.breakPipe()
	return nil
}
