package link

import (
	"fmt"
	"time"
)

// sessCore is the link session protocol as a pure state machine: frames
// and local sends in, writes and decisions out, time as an input. It owns
// everything a session decides — the send queues and the priority
// scheduler, credit in both directions, PING/PONG and the RTT, the
// control-frame and inbound rate limits, GOAWAY, the stall deadlines, the
// statistics — and does no I/O, starts no goroutine and reads no clock
// (internal/archtest checks this file set). session.go is its driver: the
// goroutines that own the streams call it under session.mu and carry out
// what it returns (write these bytes, deliver this message, charge this
// fault, close with this error).
//
// The driver's duties, in the quic-go "passive component, one timer"
// style:
//
//  1. Local sends: enqueue; on admitQueued wake the writer.
//  2. Writers: next gives the next write of the priority or the bulk path
//     (or none); after writing it, wrote. Once failed, goAway gives the
//     final frames to flush.
//  3. Readers: for each MSG frame, msgStart, then msgBytes per piece read
//     (never more than avail on a bulk lane), then msgEnd; for a control
//     frame, control. Every grant > 0 returned goes out as a CREDIT frame
//     (queueCredit, or written directly when directCreditOK).
//  4. Delivery: after the application's Receive of a bulk message,
//     delivered; a grant > 0 goes out as in 3.
//  5. Timer: tick every PingInterval.
//  6. Any error returned is the link's end: call fail.
type sessCore struct {
	cfg  *ConnConfig
	mode Mode
	// err is the first fault; Invariant: set once; after it, sched holds
	// no message and ctrl holds at most the GOAWAY.
	err      *Error
	graceful bool // send GOAWAY and wait for the peer before closing the conn
	sched    sched
	stats    [NumLanes]LaneStats

	srtt      time.Duration
	minRTT    time.Duration // the lowest PING round trip: the path without our own queues
	pingNonce uint64
	pingSent  time.Time // zero when no PING is outstanding
	pings     bucket    // inbound PING limit (control.go)

	credit   [NumLanes]recvCredit // bulk lanes only
	buckets  [NumLanes]bucket     // inbound message rate limits
	progress [NumLanes]time.Time  // a partial message's last byte; zero between messages (stall.go)
	starved  [NumLanes]time.Time  // bulk lanes: since when bytes wait with no credit

	shedLogged uint64 // rate-limit drops already reported by tick
}

// newSessCore starts a session at now: it grants the peer a window on
// each bulk lane, which may grow up to maxWindow within a message
// (credit.go; maxWindow ≤ window: no tuning), and queues the first PING.
func newSessCore(cfg *ConnConfig, window, maxWindow int, now time.Time) *sessCore {
	c := &sessCore{cfg: cfg, mode: cfg.DefaultMode, pings: newBucket(pingRate, pingBurst, now)}
	for l := range Lane(NumLanes) {
		c.buckets[l] = newBucket(cfg.InboundMsgRate[l], cfg.InboundMsgBurst[l], now)
		if l.bulk() {
			c.credit[l] = newRecvCredit(window, maxWindow)
			c.sched.ctrl = appendCredit(c.sched.ctrl, l, int64(window))
		}
	}
	c.ping(now)
	return c
}

// admit is enqueue's decision on a local send.
type admit uint8

const (
	admitQueued  admit = iota // queued; wake the writer
	admitFull                 // the lane's queue is full (ErrQueueFull, or wait)
	admitBudget               // the node-wide budget is spent (ErrQueueFull, or wait)
	admitModeOff              // ErrModeOff
	admitClosed               // the link has ended: c.err
	admitBacklog              // our consensus backlog is over its bound: fail with backlog()
)

// enqueue decides on a local send of m on lane l. overBudget says whether
// the node-wide queue budget refuses m (budget.go). When the send will not
// wait for space (wait false), a refusal is counted as a drop.
func (c *sessCore) enqueue(l Lane, m *outMsg, overBudget, wait bool) admit {
	if c.err != nil {
		return admitClosed
	}
	if l == LaneBlocks && c.mode == ModeOff {
		c.drop(l, DropModeOff, 1)
		return admitModeOff
	}
	if l == LaneConsensus {
		// Our consensus messages are never dropped: past the bound the
		// peer is not reading, and the link ends instead.
		q := c.sched.queued[LaneConsensus]
		if q > 0 && q+int64(m.size()) > int64(c.cfg.ConsensusQueueBytes) {
			return admitBacklog
		}
		c.sched.push(l, m)
		return admitQueued
	}
	total := c.sched.queued[l]
	fits := total == 0 || total+int64(m.size()) <= int64(c.cfg.SendQueueBytes)
	switch {
	case fits && !overBudget:
		c.sched.push(l, m)
		return admitQueued
	case !fits:
		if !wait {
			c.drop(l, DropQueueFull, 1)
		}
		return admitFull
	default:
		if !wait {
			c.drop(l, DropBudget, 1)
		}
		return admitBudget
	}
}

// backlog is the error that ends a link whose peer does not read our
// consensus messages.
func (c *sessCore) backlog() *Error {
	return &Error{Reason: ReasonConsensusBacklog, Detail: fmt.Sprintf("%d bytes queued", c.sched.queued[LaneConsensus])}
}

// next fills buf with the next write of the priority path (control,
// consensus, routing) if bulk is false, else of the bulk path (blocks,
// sync); it reports false when that path has nothing it may write (empty
// queues, bulk lanes waiting for credit, or the link ended). The driver
// writes the two paths on two goroutines.
func (c *sessCore) next(buf []byte, bulk bool) (write, bool) {
	if c.err != nil {
		return write{}, false
	}
	if bulk {
		return c.sched.nextBulk(buf, c.cfg.ChunkSize)
	}
	return c.sched.nextPrio(buf, c.cfg.ChunkSize)
}

// wrote accounts a completed write. It reports whether queue space was
// freed for senders waiting in SendWait.
func (c *sessCore) wrote(w write) bool {
	if w.msgBytes == 0 {
		return false
	}
	ls := &c.stats[w.lane]
	ls.BytesOut += uint64(w.msgBytes)
	ls.MsgsOut += uint64(w.msgsDone)
	return w.lane != LaneConsensus && c.err == nil
}

// fail ends the session with err; only the first call counts (first). It
// drops the queues (counted as DropClosed) and returns the non-consensus
// bytes they held, which leave the node-wide budget. A graceful end
// queues a GOAWAY unless a consensus message is half written.
func (c *sessCore) fail(err *Error) (first bool, unqueued int64) {
	if c.err != nil {
		return false, 0
	}
	c.err = err
	c.graceful = !err.Remote && err.Reason != ReasonTransport && err.Reason != ReasonTimeout &&
		err.Reason != ReasonRemoteClose
	mid := c.sched.mid(LaneConsensus)
	unqueued = c.sched.queued[LaneRouting] + c.sched.queued[LaneBlocks] + c.sched.queued[LaneSync]
	dropped := c.sched.clear()
	for l, n := range dropped {
		c.drop(Lane(l), DropClosed, n)
	}
	c.sched.ctrl = c.sched.ctrl[:0]
	c.sched.pongDue = false
	if c.graceful && !mid {
		c.sched.ctrl = appendGoAway(c.sched.ctrl, err.Reason, err.Detail)
	}
	return true, unqueued
}

// goAway is what the writer flushes after fail: the GOAWAY frame, or
// nothing.
func (c *sessCore) goAway() []byte {
	if c.err == nil {
		return nil
	}
	return c.sched.ctrl
}

// drop counts n dropped messages on lane l.
func (c *sessCore) drop(l Lane, r DropReason, n int) {
	if n == 0 {
		return
	}
	if c.stats[l].Drops == nil {
		c.stats[l].Drops = map[DropReason]uint64{}
	}
	c.stats[l].Drops[r] += uint64(n)
}

// laneStats is a snapshot of the per-lane statistics.
func (c *sessCore) laneStats() [NumLanes]LaneStats {
	var out [NumLanes]LaneStats
	for l := range Lane(NumLanes) {
		ls := c.stats[l]
		ls.QueuedBytes = c.sched.queued[l]
		ls.QueuedMsgs = c.sched.q[l].len()
		ls.Credit = c.sched.credit[l]
		ls.Undelivered = c.credit[l].undelivered
		if l.bulk() {
			ls.RecvWindow = c.credit[l].window
		}
		if len(ls.Drops) > 0 {
			ls.Drops = make(map[DropReason]uint64, len(c.stats[l].Drops))
			for k, v := range c.stats[l].Drops {
				ls.Drops[k] = v
			}
		}
		out[l] = ls
	}
	return out
}

// queueCredit queues a CREDIT frame for the writer.
func (c *sessCore) queueCredit(l Lane, g int64) {
	if c.err == nil {
		c.sched.ctrl = appendCredit(c.sched.ctrl, l, g)
	}
}

// directCreditOK reports whether a CREDIT frame may be written on the
// consensus stream right now by a reader (the writer is not inside a
// consensus message and the link is up). The driver holds the consensus
// stream's write lock while it asks and writes.
func (c *sessCore) directCreditOK() bool {
	return c.err == nil && !c.sched.mid(LaneConsensus)
}
