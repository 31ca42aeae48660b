package rbcrun

import (
	"encoding/hex"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/transport/rbc"
)

// drain performs the core's Ready batches in rbc.Ready's order: persist
// (synced) before anything leaves, forget, send, deliver. A store error is
// fatal: the signatures the records cover must not leave.
func (r *Runner) drain() {
	st := r.st
	for st.core != nil && r.ctx.Err() == nil && st.core.HasReady() {
		rd := st.core.Ready()
		if len(rd.Persist) > 0 {
			if err := st.store.Append(rd.Persist); err != nil {
				r.fail(err)
				return
			}
			r.ctr.records.Add(uint64(len(rd.Persist)))
		}
		if len(rd.Forget) > 0 {
			if err := st.store.Forget(rd.Forget); err != nil {
				r.fail(err)
				return
			}
			for _, inst := range rd.Forget {
				if w, ok := st.waiters[inst]; ok {
					w <- result{err: ErrExpired}
					delete(st.waiters, inst)
				}
			}
		}
		r.send(rd.Messages)
		for _, d := range rd.Delivered {
			r.deliver(d)
		}
		st.deadline = rd.Deadline
		st.core.Advance()
	}
}

// send multicasts each message to its participants.
func (r *Runner) send(msgs []rbc.Outbound) {
	st := r.st
	for _, o := range msgs {
		to := make([]peer.ID, 0, len(o.To))
		for _, i := range o.To {
			to = append(to, st.peers[i])
		}
		if err := r.deps.Messenger.Multicast(to, encode(st.tag, o.Msg)); err != nil {
			r.ctr.sendErrors.Add(1)
			r.log.Debug().Err(err).Stringer("msg", o.Msg).Msg("multicast not queued (the core retransmits)")
			continue
		}
		r.ctr.sent.Add(1)
		r.ctr.sentCopies.Add(uint64(len(to)))
	}
}

// deliver hands a delivery to our waiting broadcast (if it is ours) and to
// the subscribers, in the core's order.
func (r *Runner) deliver(d rbc.Delivery) {
	st := r.st
	if d.Replayed {
		r.ctr.replayed.Add(1)
	} else {
		r.ctr.delivered.Add(1)
	}
	if w, ok := st.waiters[d.Inst]; ok {
		w <- result{d: d}
		delete(st.waiters, d.Inst)
	}
	info := DeliveryInfo{Instance: d.Inst.String(), Origin: st.peers[d.Inst.Origin], Digest: hex.EncodeToString(d.Cert.Digest[:]),
		Bytes: len(d.Payload), Signers: d.Cert.Signers, At: r.now(), Replayed: d.Replayed}
	st.recent = append(st.recent, info)
	if over := len(st.recent) - r.cfg.Recent; over > 0 {
		st.recent = append(st.recent[:0], st.recent[over:]...)
	}
	r.subs.Publish(Delivery{Delivery: d, Origin: st.peers[d.Inst.Origin], Set: st.tag})
}
