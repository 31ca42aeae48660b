package rbcrun

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/internal/fanout"
	"github.com/blockwire/blockwire/transport/rbc"
)

// Broadcast reliably broadcasts payload to the participant set in force
// with us as origin, and returns once we delivered it: every correct
// participant delivers the same payload for the instance (or none does,
// if the origin is byzantine; we are not). The delivery carries the
// certificate (2f+1 ready signatures) anyone who knows the set can verify.
//
// Errors: ErrNotParticipant, a refusal of the core (*rbc.Error: oversized,
// invalid-payload, too-many-instances), ErrSetChanged, ErrExpired,
// ErrStopped, ctx's error (the instance goes on: it is durable and the
// others may deliver it).
func (r *Runner) Broadcast(ctx context.Context, payload []byte) (rbc.Delivery, error) {
	w := make(chan result, 1) // one result, sent from the loop without blocking
	var err error
	cerr := r.call(ctx, func() {
		st := r.st
		if st.core == nil {
			err = ErrNotParticipant
			return
		}
		var inst rbc.Instance
		if inst, err = st.core.Broadcast(payload, r.now()); err == nil {
			st.waiters[inst] = w
		}
	})
	if cerr != nil {
		return rbc.Delivery{}, cerr
	}
	if err != nil {
		return rbc.Delivery{}, err
	}
	select {
	case res := <-w:
		return res.d, res.err
	case <-ctx.Done():
		return rbc.Delivery{}, ctx.Err()
	}
}

// Delivery is a delivered payload as subscribers see it: the core's
// delivery (payload, certificate, Replayed after a restart), the origin's
// peer id and the tag of the participant set it was delivered under.
type Delivery struct {
	rbc.Delivery
	Origin peer.ID
	Set    Tag
}

// Subscription receives deliveries on C(), in the order the core
// delivered them; Close ends it, and C is closed then and when the runner
// stops. The runner never blocks on a subscriber: when C is full a
// delivery is dropped and counted in Dropped() (and in Counters'
// SubscriberDrop; Status shows the recent deliveries), so size the buffer
// for the bursts you expect.
type Subscription = fanout.Sub[Delivery]

// Subscribe returns a subscription whose channel buffers buf deliveries
// (at least 1). Deliveries replayed from the records at start were handed
// out before anyone could subscribe; Status lists them.
func (r *Runner) Subscribe(buf int) *Subscription { return r.subs.Subscribe(buf) }
