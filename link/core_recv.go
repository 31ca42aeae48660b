package link

import "time"

// The receiving half of sessCore (core.go): what the readers feed it and
// what it tells them to do.

// msgStart accounts the header of a MSG frame of n payload bytes on lane
// l, whose size the frame reader has checked. It returns the credit to
// grant, or a fault.
func (c *sessCore) msgStart(l Lane, n, hdrLen int, now time.Time) (int64, error) {
	g, err := c.consumed(l, hdrLen, now)
	c.progress[l] = now
	if err != nil || !l.bulk() {
		return g, err
	}
	return g + c.credit[l].started(n), nil
}

// avail is how many bytes the peer may still send on bulk lane l without
// new credit; a reader never waits for more (a window smaller than its
// read piece would deadlock). Non-bulk lanes have no limit here.
func (c *sessCore) avail(l Lane) int64 {
	if !l.bulk() {
		return 1 << 62
	}
	return c.credit[l].avail()
}

// msgBytes accounts k payload bytes read on lane l.
func (c *sessCore) msgBytes(l Lane, k int, now time.Time) (int64, error) {
	c.progress[l] = now
	return c.consumed(l, k, now)
}

// waiting records that lane l's reader waits on us (memory, reserve.go),
// which is no stall of the peer's.
func (c *sessCore) waiting(l Lane, now time.Time) {
	if !c.progress[l].IsZero() {
		c.progress[l] = now
	}
}

// consumed checks the peer stayed within the credit we granted on a bulk
// lane and returns the credit to grant back.
func (c *sessCore) consumed(l Lane, k int, now time.Time) (int64, error) {
	if !l.bulk() {
		return 0, nil
	}
	g, err := c.credit[l].consumed(k, now, c.tuneDelay())
	if err != nil {
		return 0, fault(ReasonProtocol, "lane %s: %v", l, err)
	}
	return g, nil
}

// msgEnd completes a received message of n payload bytes: deliver reports
// whether the lane's inbound rate limit lets it through (if not it is
// dropped as DropRateLimited and the driver charges a flood). A delivered
// bulk message holds back credit until delivered is called for it.
func (c *sessCore) msgEnd(l Lane, n, hdrLen int, now time.Time) (deliver bool) {
	c.progress[l] = time.Time{}
	if !c.buckets[l].take(now) {
		c.drop(l, DropRateLimited, 1)
		return false
	}
	c.stats[l].BytesIn += uint64(hdrLen + n)
	c.stats[l].MsgsIn++
	if l.bulk() {
		c.credit[l].queued(n)
	}
	return true
}

// delivered records that the application's Receive returned for the
// oldest queued message (n payload bytes) of bulk lane l, and returns the
// credit to grant.
func (c *sessCore) delivered(l Lane, n int) int64 {
	return c.credit[l].delivered(n)
}

// ctlOutcome is what the driver does after a control frame.
type ctlOutcome uint8

const (
	ctlNone     ctlOutcome = iota
	ctlWake                // the priority writer has a PONG to write
	ctlWakeBulk            // credit arrived: the bulk writer may write more
	ctlFlood               // a PING was shed: charge the peer a flood
)

// control handles a control frame (already checked by checkFrame) from
// the consensus stream. A GOAWAY returns the peer's *Error.
func (c *sessCore) control(typ byte, p []byte, now time.Time) (ctlOutcome, error) {
	switch typ {
	case frameCredit:
		l, n, err := parseCredit(p)
		if err != nil {
			return ctlNone, err
		}
		if err := c.sched.addCredit(l, n); err != nil {
			return ctlNone, err
		}
		return ctlWakeBulk, nil
	case framePing:
		return c.pinged(beUint64(p), now), nil // control.go
	case framePong:
		c.ponged(beUint64(p), now)
	case frameGoAway:
		r, detail := parseGoAway(p)
		return ctlNone, &Error{Reason: r, Remote: true, Detail: detail}
	}
	return ctlNone, nil
}

// tuneDelay is the bulk windows' tuning target (credit.go): a window grows
// while the peer moves one in less than this. It is BulkTuneDelay, or two
// of the path's lowest PING round trips on a long path, so that a WAN
// link's window can reach its bandwidth × RTT. The lowest, not the
// smoothed, round trip: our own bulk bytes queued in a bottleneck that the
// consensus connection shares would otherwise raise the target they are
// measured against, and the window with it.
func (c *sessCore) tuneDelay() time.Duration {
	return max(c.cfg.BulkTuneDelay, 2*c.minRTT)
}
