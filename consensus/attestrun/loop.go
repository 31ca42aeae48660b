package attestrun

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
)

// maxStep bounds the inbox messages handled per step before the cores'
// outputs are performed (one synced batch covers them all).
const maxStep = 256

// run is the loop: wait for a message, a wake-up or the timer; then step
// the cores under mu and perform their outputs in order.
func (r *Runner) run() {
	defer close(r.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		r.mu.Lock()
		d := r.deadline()
		r.mu.Unlock()
		timer.Reset(max(d.Sub(r.now()), 0))
		var first *inbound
		select {
		case <-r.quit:
			r.failWaiters()
			return
		case m := <-r.inbox:
			first = &m
		case <-r.kick:
		case <-timer.C:
		}
		if !r.step(first) {
			r.failWaiters()
			<-r.quit
			return
		}
	}
}

// step handles everything pending; false stops the runner (Err).
func (r *Runner) step(first *inbound) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if first != nil {
		r.handle(now, first)
	}
	for i := 0; i < maxStep; i++ {
		select {
		case m := <-r.inbox:
			r.handle(now, &m)
			continue
		default:
		}
		break
	}
	if !now.Before(r.nextDir) {
		r.refreshDirectory(now)
	}
	if r.sched != nil {
		for _, id := range r.retries {
			_ = r.sched.Retry(now, id)
		}
		r.retries = r.retries[:0]
		r.addIrreversible(now)
		r.sched.Tick(now)
		if err := r.performScheduler(now); err != nil {
			r.err = err
			r.log.Error().Err(err).Msg("attestation store failed: requester stopped (nothing unrecorded was sent)")
			return false
		}
	}
	if r.ver != nil {
		r.ver.Tick(now)
		r.performVerifier()
	}
	return true
}

// deadline is the earliest time the loop must wake.
func (r *Runner) deadline() time.Time {
	d := r.nextDir
	early := func(t time.Time) {
		if !t.IsZero() && t.Before(d) {
			d = t
		}
	}
	if r.sched != nil {
		early(r.sched.Ready().Deadline)
	}
	if r.ver != nil {
		early(r.ver.Ready().Deadline)
	}
	return d
}

// handle steps one inbound message or failure report.
func (r *Runner) handle(now time.Time, m *inbound) {
	if m.failed {
		if s, ok := r.inflight.take(m.seq); ok && r.sched != nil && s.to == m.from {
			if r.sched.Unreachable(now, s.to, s.block) {
				r.log.Debug().Stringer("block", s.block).Str("verifier", short(s.to)).Msg("request undeliverable: replaced at once")
			}
		}
		return
	}
	r.stats.Received++
	msg, err := attest.DecodeMessage(m.payload, attest.MaxMessageSize)
	if err != nil {
		r.refused(m.from, err)
		return
	}
	switch {
	case msg.Request != nil:
		r.onRequest(now, m.from, msg.Request)
	case msg.Receipt != nil:
		if r.sched == nil {
			r.stats.Drops["not-a-requester"]++
			return
		}
		r.refused(m.from, r.sched.Receipt(now, m.from, msg.Receipt))
	case msg.Ack != nil:
		if r.ver == nil {
			r.stats.Drops["not-a-verifier"]++
			return
		}
		r.refused(m.from, r.ver.Ack(now, m.from, msg.Ack))
	}
}

func (r *Runner) onRequest(now time.Time, from block.PublicKey, req *attest.Request) {
	switch {
	case r.ver == nil:
		r.stats.Drops["not-a-verifier"]++
	case r.deps.AllowRequester != nil && !r.deps.AllowRequester(from):
		r.stats.Drops["requester-not-allowed"]++
	default:
		r.refused(from, r.ver.Request(now, from, req))
	}
}

// refused counts a refusal and reports the penalized ones.
func (r *Runner) refused(from block.PublicKey, err error) {
	if err == nil {
		return
	}
	reason := attest.ReasonOf(err)
	if reason == "" {
		reason = attest.ReasonMalformed
	}
	r.stats.Refused[reason]++
	r.log.Debug().Str("from", short(from)).Err(err).Msg("attestation input refused")
	if reason.Penalized() && r.deps.Refused != nil {
		r.deps.Refused(from, reason, err.Error())
	}
}

// refreshDirectory reads the announced verifiers again; on a change the
// scheduler selects from the new directory and blocks that stalled for
// want of qualifying verifiers are retried.
func (r *Runner) refreshDirectory(now time.Time) {
	r.nextDir = now.Add(r.cfg.DirectoryInterval)
	ms := r.deps.Directory()
	slices.SortFunc(ms, func(a, b attest.Member) int { return strings.Compare(string(a.Key[:]), string(b.Key[:])) })
	var key strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&key, "%x/%d/%s/%v;", m.Key, m.Level, m.Operator, m.Labels)
	}
	if key.String() == r.dirKey {
		return
	}
	d, err := attest.NewDirectory(ms)
	if err != nil {
		r.log.Warn().Err(err).Msg("verifier directory refused")
		return
	}
	r.dir, r.dirKey = d, key.String()
	r.stats.DirectoryChanges++
	r.log.Info().Int("verifiers", d.Len()).Msg("verifier directory changed")
	if r.sched == nil {
		return
	}
	r.sched.SetDirectory(d)
	for _, st := range r.sched.States() {
		if strings.Contains(st.Stalled, "verifiers qualify") {
			_ = r.sched.Retry(now, st.Block)
		}
	}
}

// addIrreversible hands the scheduler the blocks that became irreversible
// since the cursor (at most AddBatch per step; the loop comes back for the
// rest). Blocks with a proof already (the cursor lags the store after a
// crash) are skipped.
func (r *Runner) addIrreversible(now time.Time) {
	top := r.deps.Chain.IrreversibleHeight()
	n := 0
	for r.cursor < top && n < r.cfg.AddBatch {
		h := r.cursor + 1
		id, ok := r.deps.Chain.IrreversibleAt(h)
		if !ok {
			return
		}
		_, done, err := r.deps.Store.Proof(id)
		if err != nil {
			r.log.Error().Err(err).Stringer("block", id).Msg("reading the attestation store")
			return
		}
		if !done {
			if err := r.sched.Add(now, id); err != nil {
				r.stats.Refused[attest.ReasonOf(err)]++
				r.log.Warn().Err(err).Stringer("block", id).Msg("block not scheduled for attestation")
				return // full: come back when blocks finalize
			}
		}
		r.cursor = h
		n++
	}
	if r.cursor < top {
		r.wake()
	}
}

func short(k block.PublicKey) string { return fmt.Sprintf("%x", k[:4]) }
