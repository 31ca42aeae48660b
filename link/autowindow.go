package link

import "time"

// windowSizer sizes a bulk lane's receive window to what the lane drains
// within a latency budget: window = measured read rate × budget, between
// a floor (the configured BulkWindow or QUICBulkWindow) and a ceiling
// (BulkWindowMax).
//
// Why: the window is the most block bytes that can sit in the shared pipe
// (muxer queue, socket buffers, the peer's packet queue) ahead of a vote,
// and it caps the lane at window / credit round trip. A fixed window is
// right for one machine only: on this 2-core VM the credit round trip of
// a 64 KiB chunk (TLS both ways, four goroutine hand-offs, the grant back)
// is several times a small message's, so 128 KiB held the lane to a
// quarter of the bare stream. Sized by rate × budget, the window grows
// while the credit loop turns faster than the budget (more window, more
// rate) and stops where more window adds only queueing: the bytes ahead
// of a vote then drain within about the budget. Where the round trip
// itself exceeds the budget (a WAN, a starved CPU) the window stays at its
// floor, which is the fixed window of before.
//
// It measures per epoch: an epoch ends once a full window was read. The
// rule is the same whether the sender was held by credit or had no more
// to send: a window read in less than the budget grows, one that took
// longer shrinks (not below the floor), and either way the bytes a window
// lets ahead of a vote drain within about the budget at the rate
// measured. An epoch that ran across a gap longer than the idle limit
// restarts instead (the lane was idle; its rate would mean nothing). The
// window at most doubles per epoch, and shrinks only by credit not yet
// granted (recvCredit.resize).
//
// Part of the pure session core: time is an input.
type windowSizer struct {
	budget      time.Duration // 0: fixed window
	floor, ceil int64
	start, last time.Time // epoch start, last byte
	startRecvd  int64
}

// sizerIdle: a gap of this many budgets between reads ends the epoch (the
// lane went idle; its rate would be meaningless).
const sizerIdle = 20

// observe is called after every read on the lane with the window and the
// total bytes read; it returns by how much to change the window (0 most of
// the time).
func (z *windowSizer) observe(window, recvd int64, now time.Time) int64 {
	if z.budget <= 0 {
		return 0
	}
	if z.start.IsZero() || now.Sub(z.last) > sizerIdle*z.budget {
		z.start, z.last, z.startRecvd = now, now, recvd
		return 0
	}
	z.last = now
	n := recvd - z.startRecvd
	if n < window {
		return 0
	}
	el := now.Sub(z.start)
	z.start, z.startRecvd = now, recvd
	if el <= 0 {
		el = 1 // a whole window within one clock tick: as fast as it gets
	}
	target := int64(float64(n) * float64(z.budget) / float64(el))
	target = min(max(target, z.floor), z.ceil, 2*window)
	return target - window
}
