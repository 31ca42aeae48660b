package transport

import (
	"errors"
	"net"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// perform carries out the Router's Ready in its documented order:
// deliveries and replies to the outbox, messages to the links, failures
// to the outbox, drops and penalties reported, the deadline kept for the
// goroutine's timer. Called with t.mu held.
func (t *Transport) perform() {
	if !t.r.HasReady() {
		return
	}
	rd := t.r.Ready()
	for i := range rd.Delivered {
		d := &rd.Delivered[i]
		if t.outBytes+len(d.Payload) > t.cfg.OutboxBytes {
			t.drops["outbox-full"]++
			t.log.Warn().Str("origin", d.Origin.String()).Uint8("class", uint8(d.Class)).Msg("routed message dropped: handlers too slow (outbox full)")
			continue
		}
		t.outBytes += len(d.Payload)
		t.queue(event{d: &Delivery{Origin: d.Origin, Peer: mustPeer(d.Origin), Class: d.Class, Seq: d.Seq, Payload: d.Payload}})
	}
	for _, r := range rd.Replies {
		t.queue(event{r: &Reply{Replier: r.Replier, Peer: mustPeer(r.Replier), Class: r.Class, Seq: r.Seq, Payload: r.Payload}})
	}
	for _, m := range rd.Messages {
		t.sendTo(m)
	}
	for _, f := range rd.Failed {
		t.queue(event{fail: f})
	}
	for _, d := range rd.Dropped {
		t.log.Debug().Str("from", d.From.String()).Str("origin", d.Origin.String()).Str("dest", d.Dest.String()).
			Uint8("class", uint8(d.Class)).Str("reason", string(d.Reason)).Msg("routed message dropped")
	}
	for _, p := range rd.Penalties {
		t.penalize(p)
	}
	for _, c := range rd.Changes {
		t.log.Debug().Str("dest", c.Dest.String()).Str("next_hop", c.NextHop.String()).Bool("reachable", c.Reachable).
			Uint16("metric", uint16(c.Metric)).Msg("route changed")
	}
	if !rd.Deadline.Equal(t.deadline) {
		t.deadline = rd.Deadline
		t.signal()
	}
	t.r.Advance()
}

// queue hands e to its class's handler goroutine. Called with t.mu held.
func (t *Transport) queue(e event) {
	p := prio(e.class())
	t.out[p] = append(t.out[p], e)
	t.signalReady(p)
}

// sendTo writes one routing message to its neighbour's link.
func (t *Transport) sendTo(m route.Message) {
	l := t.links[m.To]
	if l == nil {
		t.drops["no-link"]++
		return
	}
	err := l.Send(laneOf(m.Lane), m.Msg.AppendTo(nil))
	switch {
	case err == nil:
	case errors.Is(err, net.ErrClosed):
		t.drops["link-closed"]++
	case errors.Is(err, link.ErrQueueFull):
		t.drops["link-queue-full"]++
	default:
		t.drops["link-error"]++
		t.log.Warn().Str("peer", m.To.String()).Err(err).Msg("routing message not sent")
	}
}

// penalize scores a neighbour for a fault with the router's reason.
func (t *Transport) penalize(p route.Penalty) {
	peer := mustPeer(p.Peer)
	t.log.Warn().Str("peer", peer.String()).Str("reason", string(p.Err.Reason)).Str("detail", p.Err.Detail).Msg("routing fault")
	if t.cfg.Penalize != nil && peer != "" {
		reason := link.ReasonInvalid
		if p.Err.Reason == route.ReasonOriginFlood {
			reason = link.ReasonFlood
		}
		t.cfg.Penalize(peer, reason, "route "+p.Err.Error())
	}
}
