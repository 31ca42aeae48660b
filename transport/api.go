package transport

import (
	"time"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// step runs fn on the Router under the lock and performs the Ready.
func (t *Transport) step(fn func(now time.Time) error) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return ErrClosed
	}
	err := fn(t.cfg.Now())
	t.perform() // wakes the timer goroutine if the deadline moved
	t.mu.Unlock()
	return err
}

// AddLink tells the router about a new connection. Links whose peer has no
// ed25519 key are ignored (they cannot route).
func (t *Transport) AddLink(l link.Link) {
	id, err := NodeIDOf(l.Peer())
	if err != nil {
		t.log.Debug().Err(err).Msg("link not used for routing")
		return
	}
	_ = t.step(func(now time.Time) error {
		t.links[id] = l
		t.r.AddLink(now, id)
		return nil
	})
}

// RemoveLink tells the router a connection closed; a link replaced by a
// newer one to the same peer is ignored.
func (t *Transport) RemoveLink(l link.Link) {
	id, err := NodeIDOf(l.Peer())
	if err != nil {
		return
	}
	_ = t.step(func(now time.Time) error {
		if t.links[id] != l {
			return nil
		}
		delete(t.links, id)
		t.r.RemoveLink(now, id)
		return nil
	})
}

// Receive steps a frame from l (the owner forwards link.LaneConsensus and
// link.LaneRouting frames here). A frame that fails to decode costs the
// peer score; the error is returned for the caller's logs.
func (t *Transport) Receive(l link.Link, frame []byte) error {
	id, err := NodeIDOf(l.Peer())
	if err != nil {
		return err
	}
	// Decode and verify signatures before taking the lock (route.Check):
	// a starved goroutine must not hold every other input up through an
	// ed25519 operation.
	c := route.Check(t.self, id, t.cfg.Route.Limits, frame)
	return t.step(func(now time.Time) error {
		if t.links[id] != l {
			return nil // a frame of a replaced link
		}
		return t.r.StepChecked(now, id, c)
	})
}

// Send originates a unicast message to dest and returns its sequence
// number (a Reply carries it). It never blocks: with no route the message
// waits (route.Config.QueueTTL) and, if none appears, the class's failure
// handler gets a *route.SendError (ReasonNoRoute). Immediate errors:
// route.ErrPayloadTooLarge, a SendError for a full queue is reported
// through the handler, ErrClosed.
func (t *Transport) Send(dest route.NodeID, class route.Class, payload []byte) (uint64, error) {
	return t.Multicast([]route.NodeID{dest}, class, payload)
}

// Multicast originates one message to a set of destinations, one copy per
// next hop (route.Router.Multicast).
func (t *Transport) Multicast(dests []route.NodeID, class route.Class, payload []byte) (uint64, error) {
	// Prepare under the lock, sign outside it, send under it again
	// (route.Prepared): the signature is the expensive part.
	var p *route.Prepared
	if err := t.step(func(now time.Time) (err error) {
		p, err = t.r.Prepare(now, dests, class, payload)
		return err
	}); err != nil {
		return 0, err
	}
	p.Sign(t.cfg.Route.Key)
	var seq uint64
	err := t.step(func(now time.Time) error {
		seq = t.r.SendPrepared(now, p)
		return nil
	})
	return seq, err
}

// Reply answers a delivered unicast message of a reply class
// (route.Config.ReplyClasses) along its reverse path. It fails with a
// *route.Error (ReasonNoReversePath) if the entry is gone.
func (t *Transport) Reply(d Delivery, payload []byte) error {
	return t.step(func(now time.Time) error {
		return t.r.Reply(now, d.Origin, d.Seq, d.Class, payload)
	})
}

// Handle registers the consumer of class's deliveries (nil removes it).
// Deliveries of a class without a handler are dropped ("no-handler").
func (t *Transport) Handle(class route.Class, fn func(Delivery)) {
	t.mu.Lock()
	t.deliver[class] = fn
	t.mu.Unlock()
}

// HandleReplies registers the consumer of replies to our messages of class.
func (t *Transport) HandleReplies(class route.Class, fn func(Reply)) {
	t.mu.Lock()
	t.replies[class] = fn
	t.mu.Unlock()
}

// HandleFailures registers the consumer of our class messages that could
// not be delivered (no route within QueueTTL, queue full): the typed
// error, never a silent drop.
func (t *Transport) HandleFailures(class route.Class, fn func(*route.SendError)) {
	t.mu.Lock()
	t.failures[class] = fn
	t.mu.Unlock()
}

// SetValidator registers class's validator: it runs at every hop before a
// message is delivered or forwarded, with the transport's lock held (it
// must not call the Transport). Reject penalizes the neighbour.
func (t *Transport) SetValidator(class route.Class, v route.Validator) {
	t.mu.Lock()
	t.r.SetValidator(class, v)
	t.mu.Unlock()
}

// Revalidate runs the validators again on deferred messages.
func (t *Transport) Revalidate() {
	_ = t.step(func(now time.Time) error { t.r.Revalidate(now); return nil })
}

// SetRoutable announces or retracts us as a destination.
func (t *Transport) SetRoutable(on bool) {
	_ = t.step(func(now time.Time) error { t.r.SetRoutable(now, on); return nil })
}

// Readmit applies route.Config.Admit again (the producer set changed).
func (t *Transport) Readmit() {
	_ = t.step(func(now time.Time) error { t.r.Readmit(now); return nil })
}

// MaxPayload is the largest payload Send accepts.
func (t *Transport) MaxPayload() int { return t.cfg.Route.Limits.MaxPayload }

// NextHop is the neighbour our route to dest goes through, if we have one.
func (t *Transport) NextHop(dest route.NodeID) (route.NodeID, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.r.NextHop(dest)
}
