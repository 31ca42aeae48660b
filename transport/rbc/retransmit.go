package rbc

import (
	"cmp"
	"slices"
	"time"
)

// arm schedules the first retransmission of an instance in which we just
// signed something, unless one is pending or the bound is spent.
func (c *Core) arm(in *instance, now time.Time) {
	if in.next.IsZero() && in.attempt < c.cfg.RetransmitLimit {
		in.next = now.Add(c.cfg.RetransmitBase)
		c.touch()
	}
}

// Tick handles time: due retransmissions, then garbage collection of
// instances older than Config.Horizon.
func (c *Core) Tick(now time.Time) {
	for _, in := range c.sorted() {
		if !in.opened.Add(c.cfg.Horizon).After(now) {
			c.collect(in)
			continue
		}
		if !in.next.IsZero() && !in.next.After(now) {
			c.retransmit(in, now)
		}
	}
}

// retransmit resends what we signed to every participant not known to have
// delivered: the echo to those not yet ready, the ready to the rest. From
// the second round on, if we delivered, the certificate replaces both (the
// peer may lack readies or the payload). Each round doubles the delay, up
// to Config.RetransmitMax, for at most Config.RetransmitLimit rounds.
func (c *Core) retransmit(in *instance, now time.Time) {
	c.touch()
	var behind, notReady []int
	for p, st := range in.status {
		if p == c.self || st == StatusDelivered {
			continue
		}
		behind = append(behind, p)
		if st < StatusReady {
			notReady = append(notReady, p)
		}
	}
	if len(behind) == 0 || in.attempt >= c.cfg.RetransmitLimit || !in.signed() && in.delivered == nil {
		in.next = time.Time{}
		return
	}
	switch {
	case in.delivered != nil && in.attempt > 0:
		c.send(behind, c.certMsg(in))
	default:
		if in.myEcho != nil {
			c.send(notReady, c.echoMsg(in))
		}
		if in.myReady != nil {
			c.send(behind, c.readyMsg(in))
		}
	}
	in.attempt++
	if in.attempt >= c.cfg.RetransmitLimit {
		in.next = time.Time{}
		return
	}
	delay := c.cfg.RetransmitBase << min(in.attempt, 30)
	in.next = now.Add(min(delay, c.cfg.RetransmitMax))
}

// answer tells a peer what its message shows it does not know, once we
// delivered, at most once per RetransmitBase per peer:
//
//   - a peer behind us (status below delivered) while we no longer
//     retransmit (it restarted, or healed after our rounds ended) gets our
//     certificate;
//   - a delivered peer we never told that we delivered (its status round
//     reached us before ours would have reached it, so ours skipped it),
//     or one still sending us its certificate, gets our ready marked
//     delivered, so it stops retransmitting to us.
func (c *Core) answer(in *instance, peer int, m Message, err error, now time.Time) {
	if in.delivered == nil || c.insts[in.id] != in {
		return
	}
	var reply Message
	switch {
	case m.Status < StatusDelivered && in.next.IsZero():
		reply = c.certMsg(in)
	case m.Status == StatusDelivered && (!in.told[peer] || m.Kind == KindCert && ReasonOf(err) == ReasonDuplicate):
		reply = c.certMsg(in)
		if in.myReady != nil {
			reply = c.readyMsg(in)
		}
	default:
		return
	}
	if last, ok := in.replied[peer]; ok && now.Sub(last) < c.cfg.RetransmitBase {
		return
	}
	in.replied[peer] = now
	c.send([]int{peer}, reply)
}

// collect forgets an instance. If we signed in it, its origin did open it
// (a correct participant signs only after the origin's echo, or after f+1
// readies, one of them correct), so the origin's floor rises to its seq:
// no later message can reopen it and make us sign again. Instances we
// never signed in are dropped without moving the floor, so a byzantine
// participant cannot raise a correct origin's floor with made-up seqs.
func (c *Core) collect(in *instance) {
	c.touch()
	delete(c.insts, in.id)
	c.open[in.opener]--
	c.rd.Forget = append(c.rd.Forget, in.id)
	if in.signed() && in.id.Seq > c.floor[in.id.Origin] {
		c.floor[in.id.Origin] = in.id.Seq
		c.rd.Persist = append(c.rd.Persist, Record{Kind: RecFloor, Inst: in.id})
	}
}

// deadline is the earliest retransmission or collection time. It is
// cached: every change of an instance's timer or of the instance set
// marks it stale (touch).
func (c *Core) deadline() time.Time {
	if !c.stale {
		return c.cached
	}
	var d time.Time
	for _, in := range c.insts {
		for _, t := range []time.Time{in.next, in.opened.Add(c.cfg.Horizon)} {
			if !t.IsZero() && (d.IsZero() || t.Before(d)) {
				d = t
			}
		}
	}
	c.cached, c.stale = d, false
	return d
}

// touch marks the cached deadline stale.
func (c *Core) touch() { c.stale = true }

// sorted returns the instances in (origin, seq) order, so outputs are
// deterministic.
func (c *Core) sorted() []*instance {
	out := make([]*instance, 0, len(c.insts))
	for _, in := range c.insts {
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b *instance) int {
		return cmp.Or(cmp.Compare(a.id.Origin, b.id.Origin), cmp.Compare(a.id.Seq, b.id.Seq))
	})
	return out
}
