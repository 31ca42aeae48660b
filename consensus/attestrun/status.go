package attestrun

import (
	"context"
	"slices"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
)

// Stats are the runner's own counters.
type Stats struct {
	// Sent and Received count attestation messages (requests, receipts,
	// acks) this node sent and received.
	Sent, Received uint64
	// Finalized counts blocks attested since start.
	Finalized uint64
	// Refused counts refused input by reason (requests, receipts, acks,
	// malformed messages).
	Refused map[attest.Reason]uint64
	// Drops counts messages the runner dropped by reason: inbox-full,
	// not-a-verifier, not-a-requester, requester-not-allowed, send-error.
	Drops map[string]uint64
	// DirectoryChanges counts verifier directory rebuilds.
	DirectoryChanges uint64
}

func newStats() Stats {
	return Stats{Refused: map[attest.Reason]uint64{}, Drops: map[string]uint64{}}
}

func (s Stats) clone() Stats {
	c := s
	c.Refused, c.Drops = map[attest.Reason]uint64{}, map[string]uint64{}
	for k, v := range s.Refused {
		c.Refused[k] = v
	}
	for k, v := range s.Drops {
		c.Drops[k] = v
	}
	return c
}

// Status is a snapshot for operators (GET /attest, metrics).
type Status struct {
	Requester bool
	// Level is the level this node verifies (0: not a verifier).
	Level uint8
	// Levels is the scheme, in ParseLevels syntax.
	Levels string
	// Cursor is the highest irreversible height handed to the scheduler.
	Cursor uint64
	// Scheduler is the requester's snapshot (zero unless Requester).
	Scheduler attest.Status
	// Stalled are the stalled blocks with their reasons.
	Stalled []attest.Stall
	// OldestPending is when the oldest pending block entered the schedule
	// (zero: none pending): every block irreversible before it is attested.
	OldestPending time.Time
	// Verifier are the verifier core's counters; Held its receipts held
	// until acknowledged, Parked its requests waiting for the chain.
	Verifier      attest.VerifierStats
	Held, Parked  int
	Directory     []attest.Member
	Stats         Stats
	LatencyP50    time.Duration
	LatencyP99    time.Duration
	LatencyMax    time.Duration
	LatencySample int
}

// Status returns a snapshot.
func (r *Runner) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := Status{Requester: r.sched != nil, Level: r.cfg.Level, Levels: attest.FormatLevels(r.cfg.Sched.Levels),
		Cursor: r.cursor, Stats: r.stats.clone()}
	st.LatencyP50, st.LatencyP99, st.LatencyMax, st.LatencySample = r.lat.summary()
	st.Directory = r.dir.Members()
	if r.sched != nil {
		st.Scheduler = r.sched.Status()
		for _, s := range r.sched.States() {
			if st.OldestPending.IsZero() || s.Added.Before(st.OldestPending) {
				st.OldestPending = s.Added
			}
			if s.Stalled != "" {
				st.Stalled = append(st.Stalled, attest.Stall{Block: s.Block, Level: s.Level, Reason: s.Stalled})
			}
		}
	}
	if r.ver != nil {
		st.Verifier, st.Held, st.Parked = r.ver.Stats(), r.ver.Pending(), r.ver.Parked()
	}
	return st
}

// Attestation is what the requester holds for a block: its proof once
// finalized, else its pending state.
type Attestation struct {
	Proof *attest.Proof
	State *attest.State
}

// Attestation returns the block's proof or pending state; both nil when
// the requester never scheduled it (or it is not a requester: ErrNotRequester).
func (r *Runner) Attestation(id block.ID) (Attestation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sched == nil {
		return Attestation{}, ErrNotRequester
	}
	return r.attestation(id)
}

func (r *Runner) attestation(id block.ID) (Attestation, error) {
	p, ok, err := r.deps.Store.Proof(id)
	switch {
	case err != nil:
		return Attestation{}, err
	case ok:
		return Attestation{Proof: &p}, nil
	}
	if r.sched.Has(id) {
		for _, s := range r.sched.States() {
			if s.Block == id {
				return Attestation{State: &s}, nil
			}
		}
	}
	return Attestation{}, nil
}

// Wait returns the block's proof once it is finalized (at once if it is),
// or ctx's error. A block never scheduled is waited for too: it may become
// irreversible later.
func (r *Runner) Wait(ctx context.Context, id block.ID) (attest.Proof, error) {
	r.mu.Lock()
	if r.sched == nil {
		r.mu.Unlock()
		return attest.Proof{}, ErrNotRequester
	}
	a, err := r.attestation(id)
	if err != nil || a.Proof != nil {
		r.mu.Unlock()
		if a.Proof != nil {
			return *a.Proof, err
		}
		return attest.Proof{}, err
	}
	c := make(chan attest.Proof, 1)
	r.waiters[id] = append(r.waiters[id], c)
	r.mu.Unlock()
	select {
	case p, ok := <-c:
		if !ok {
			return attest.Proof{}, ErrStopped
		}
		return p, nil
	case <-ctx.Done():
		r.mu.Lock()
		ws := r.waiters[id]
		if i := slices.Index(ws, c); i >= 0 {
			r.waiters[id] = slices.Delete(ws, i, i+1)
		}
		if len(r.waiters[id]) == 0 {
			delete(r.waiters, id)
		}
		r.mu.Unlock()
		return attest.Proof{}, ctx.Err()
	}
}

// failWaiters closes every waiter's channel (the runner stops).
func (r *Runner) failWaiters() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, ws := range r.waiters {
		for _, c := range ws {
			close(c)
		}
		delete(r.waiters, id)
	}
}

// latencies is a ring of recent finalization latencies.
type latencies struct {
	v    []time.Duration
	next int
	full bool
}

func newLatencies(n int) latencies { return latencies{v: make([]time.Duration, n)} }

func (l *latencies) add(d time.Duration) {
	l.v[l.next] = d
	l.next++
	if l.next == len(l.v) {
		l.next, l.full = 0, true
	}
}

func (l *latencies) summary() (p50, p99, top time.Duration, n int) {
	s := l.v[:l.next]
	if l.full {
		s = l.v
	}
	if len(s) == 0 {
		return 0, 0, 0, 0
	}
	s = slices.Clone(s)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.99), s[len(s)-1], len(s)
}
