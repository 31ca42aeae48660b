package attestrun

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
)

// performScheduler performs the scheduler's Ready batches in their
// documented order: persist (one synced batch, with the cursor when it
// moved), then send, then report, then Advance. A store failure stops the
// requester before anything unrecorded leaves.
func (r *Runner) performScheduler(now time.Time) error {
	for r.sched.HasReady() {
		rd := r.sched.Ready()
		if err := r.deps.Store.ApplyWithCursor(&rd, r.cursor); err != nil {
			return err
		}
		for _, m := range rd.Messages {
			r.send(m)
		}
		for _, st := range rd.Stalled {
			r.log.Warn().Stringer("block", st.Block).Uint8("level", st.Level).Str("reason", st.Reason).Msg("attestation stalled")
		}
		for _, f := range rd.Finalized {
			r.finalized(now, f.Proof)
		}
		r.sched.Advance()
	}
	return nil
}

// performVerifier sends the verifier's receipts (it persists nothing).
func (r *Runner) performVerifier() {
	for r.ver.HasReady() {
		rd := r.ver.Ready()
		for _, m := range rd.Messages {
			r.send(m)
		}
		for _, v := range rd.Dropped {
			r.log.Debug().Stringer("block", v.Block).Uint8("level", v.Level).Msg("receipt never acknowledged: given up")
		}
		r.ver.Advance()
	}
}

// send encodes and sends one message; requests are remembered by sequence
// number so an undeliverable one is replaced at once.
func (r *Runner) send(m attest.Outbound) {
	seq, err := r.deps.Net.Send(m.To, m.Msg.AppendBinary(nil))
	if err != nil {
		r.stats.Drops["send-error"]++
		r.log.Debug().Err(err).Str("to", short(m.To)).Msg("attestation message not sent")
		return
	}
	r.stats.Sent++
	if m.Msg.Request != nil {
		r.inflight.put(seq, sentRequest{to: m.To, block: m.Msg.Request.Block})
	}
}

// finalized records a proof's latency and wakes its waiters.
func (r *Runner) finalized(_ time.Time, p attest.Proof) {
	r.stats.Finalized++
	r.lat.add(p.Finalized.Sub(p.Added))
	r.log.Debug().Stringer("block", p.Block).Dur("latency", p.Finalized.Sub(p.Added)).Msg("block attested")
	for _, c := range r.waiters[p.Block] {
		c <- p
	}
	delete(r.waiters, p.Block)
}

// sentRequest is a request in flight, by transport sequence number.
type sentRequest struct {
	to    block.PublicKey
	block block.ID
}

// inflight maps the sequence numbers of recent requests to what they
// asked, bounded FIFO (an old entry's failure report is ignored: its ask
// was replaced at its deadline anyway).
type inflight struct {
	m     map[uint64]sentRequest
	order []uint64
	max   int
}

func (f *inflight) init(n int) { f.m, f.max = map[uint64]sentRequest{}, n }

func (f *inflight) put(seq uint64, s sentRequest) {
	if len(f.order) >= f.max {
		delete(f.m, f.order[0])
		f.order = f.order[1:]
	}
	f.m[seq] = s
	f.order = append(f.order, seq)
}

func (f *inflight) take(seq uint64) (sentRequest, bool) {
	s, ok := f.m[seq]
	delete(f.m, seq) // its order entry ages out
	return s, ok
}
