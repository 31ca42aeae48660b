package broadcastrun

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/broadcast"
)

// AddLink starts forwarding over a new connection. Links whose peer has no
// ed25519 key are ignored (they cannot be authenticated origins).
func (d *Driver) AddLink(l link.Link) {
	id, err := idOf(l.Peer())
	if err != nil {
		d.log.Debug().Err(err).Msg("link not used for broadcast")
		return
	}
	_ = d.step(func(now time.Time) error {
		d.links[id] = l
		d.e.AddLink(now, id)
		d.setPrimary(now)
		return nil
	})
}

// RemoveLink stops using a closed connection; a link replaced by a newer
// one to the same peer is ignored. The peer's deque is evicted unless it
// is a producer.
func (d *Driver) RemoveLink(l link.Link) {
	id, err := idOf(l.Peer())
	if err != nil {
		return
	}
	_ = d.step(func(now time.Time) error {
		if d.links[id] != l {
			return nil
		}
		delete(d.links, id)
		d.e.RemoveLink(now, id)
		d.setPrimary(now)
		return nil
	})
}

// Receive steps a broadcast frame from l (a link.LaneRouting frame that
// IsFrame). A frame that fails to decode costs the peer score through the
// Engine's penalty; the error is returned for the caller's logs.
func (d *Driver) Receive(l link.Link, frame []byte) error {
	if !IsFrame(frame) {
		return fmt.Errorf("broadcast: frame without the 0x%02x tag", FrameTag)
	}
	id, err := idOf(l.Peer())
	if err != nil {
		return err
	}
	return d.step(func(now time.Time) error {
		if d.links[id] != l {
			return nil // a frame of a replaced link
		}
		if len(frame) > 5 && frame[1] == broadcast.Version && broadcast.Type(frame[2]) == broadcast.TypePush {
			d.bodies[broadcast.Topic(uint16(frame[4])<<8|uint16(frame[5]))]++
		}
		return d.e.Receive(now, id, frame[1:])
	})
}

// SetProducers installs the producer set in force: the recipients of
// Producers() and peers that stay eligible for the cache without a link.
func (d *Driver) SetProducers(ps []link.PeerID) {
	ids := make([]broadcast.NodeID, 0, len(ps))
	for _, p := range ps {
		if id, err := idOf(p); err == nil && id != d.e.ID() {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b broadcast.NodeID) int { return slices.Compare(a[:], b[:]) })
	_ = d.step(func(now time.Time) error {
		d.producers = slices.Compact(ids)
		d.setPrimary(now)
		return nil
	})
}

// Broadcast signs payload as a message of topic and sends it to rcpt. It
// returns the digest (Wait and Get name the message by it) and the direct
// peers a body or announcement was queued for: acceptance, not delivery.
// payload is copied. Our own messages are not delivered to our own
// handlers. Errors: ErrUnknownTopic, ErrTooLarge (above the topic's
// MaxSize, or a routed message above the router's payload limit),
// ErrNoRecipients, ErrNoRoute, ErrNotStarted, ErrClosed.
func (d *Driver) Broadcast(topic broadcast.Topic, payload []byte, rcpt Recipients) (broadcast.Digest, []link.PeerID, error) {
	var dg broadcast.Digest
	var sent []broadcast.NodeID
	err := d.step(func(now time.Time) error {
		if !d.started {
			return ErrNotStarted
		}
		r, err := d.recipients(rcpt, len(payload))
		if err != nil {
			return err
		}
		dg, sent, err = d.e.Broadcast(now, topic, slices.Clone(payload), r)
		return err
	})
	if err != nil {
		return broadcast.Digest{}, nil, err
	}
	out := make([]link.PeerID, len(sent))
	for i, id := range sent {
		out[i] = peerOf(id)
	}
	return dg, out, nil
}

// recipients maps rcpt onto the Engine's scopes. Called with d.mu held.
func (d *Driver) recipients(rcpt Recipients, size int) (broadcast.Recipients, error) {
	switch rcpt.kind {
	case rcptAll:
		return broadcast.All(), nil
	case rcptProducers:
		if len(d.producers) == 0 {
			return broadcast.Recipients{}, ErrNoRecipients
		}
		return d.routed(slices.Clone(d.producers), size)
	}
	ids := make([]broadcast.NodeID, 0, len(rcpt.peers))
	for _, p := range rcpt.peers {
		id, err := idOf(p)
		if err != nil {
			return broadcast.Recipients{}, fmt.Errorf("broadcast: recipient %s: %w", p, err)
		}
		if id != d.e.ID() {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return broadcast.Recipients{}, ErrNoRecipients
	}
	if rcpt.kind == rcptNode && d.links[ids[0]] == nil {
		return d.routed(ids, size)
	}
	return broadcast.Peers(ids...), nil
}

func (d *Driver) routed(ids []broadcast.NodeID, size int) (broadcast.Recipients, error) {
	if d.router == nil {
		return broadcast.Recipients{}, ErrNoRoute
	}
	if size+pushOverhead > d.router.MaxPayload() {
		return broadcast.Recipients{}, fmt.Errorf("%w: %d bytes routed (router limit %d)", ErrTooLarge, size, d.router.MaxPayload()-pushOverhead)
	}
	return broadcast.Routed(ids...), nil
}

// pushOverhead is a Push frame's bytes beyond its payload.
const pushOverhead = 128 // 113 today (2 header, 1 flags, 110 message); a margin for the tag

// Handle registers fn for topic's messages (several handlers may share a
// topic); the returned func removes it. Handlers run on the driver's
// goroutine, in delivery order, and must not block long.
func (d *Driver) Handle(topic broadcast.Topic, fn func(Message)) (cancel func()) {
	h := &handler{fn: fn}
	d.mu.Lock()
	d.handlers[topic] = append(d.handlers[topic], h)
	d.mu.Unlock()
	return func() {
		d.mu.Lock()
		d.handlers[topic] = slices.DeleteFunc(d.handlers[topic], func(x *handler) bool { return x == h })
		d.mu.Unlock()
	}
}

// Get returns the cached message named dg.
func (d *Driver) Get(dg broadcast.Digest) (Message, bool) {
	var m *broadcast.Message
	_ = d.step(func(time.Time) error {
		m, _ = d.e.Get(dg)
		return nil
	})
	if m == nil {
		return Message{}, false
	}
	return messageOf(broadcast.NodeID{}, m), true
}

// Wait returns the message named dg: at once if cached, else when it
// arrives (pulled at once from a peer that announced it). Errors:
// ctx.Err() (the waiter is cancelled), ErrWaitExpired, ErrTooManyWaiters,
// ErrClosed.
func (d *Driver) Wait(ctx context.Context, dg broadcast.Digest) (Message, error) {
	ch := make(chan Message, 1)
	var id broadcast.WaiterID
	err := d.step(func(now time.Time) (err error) {
		if id, err = d.e.Subscribe(now, dg); err == nil {
			d.waiters[id] = ch
		}
		return err
	})
	if err != nil {
		return Message{}, err
	}
	select {
	case m, ok := <-ch:
		if !ok {
			if d.isClosed() {
				return Message{}, ErrClosed
			}
			return Message{}, ErrWaitExpired
		}
		return m, nil
	case <-ctx.Done():
		_ = d.step(func(time.Time) error {
			if _, ok := d.waiters[id]; ok {
				delete(d.waiters, id)
				d.e.Cancel(id)
			}
			return nil
		})
		select {
		case m, ok := <-ch: // answered just before the cancel
			if ok {
				return m, nil
			}
		default:
		}
		return Message{}, ctx.Err()
	}
}

func (d *Driver) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// Revalidate runs the validators again on deferred messages (a validator's
// dependency arrived).
func (d *Driver) Revalidate() {
	_ = d.step(func(now time.Time) error { d.e.Revalidate(now); return nil })
}
