package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// perturbResult is one perturbation as the testnet JSON reports it.
type perturbResult struct {
	Spec string `json:"spec"`
	// AtS and HealedS are offsets from the start of the run: when it began
	// and when it ended (the node restarted, continued, reconnected, the
	// partition healed; for kill, at once).
	AtS     float64 `json:"at_s"`
	HealedS float64 `json:"healed_s"`
	// IrreversibleAtHeal is the highest irreversible height any node held
	// when it healed; RecoveryMs the time from then until every node that
	// should be running held a higher one (irreversibility resumed
	// everywhere, the perturbed nodes included). HeadAtHeal is the highest
	// head any node held at the heal; CaughtUpMs the time until every such
	// node held a head at least that high (a restarted, resumed or
	// reconnected node, or a partition's minority, caught up with the
	// chain as it was when the perturbation ended). -1: not within the run
	// and settle.
	IrreversibleAtHeal uint64  `json:"irreversible_at_heal"`
	RecoveryMs         float64 `json:"recovery_ms"`
	HeadAtHeal         uint64  `json:"head_at_heal"`
	CaughtUpMs         float64 `json:"caught_up_ms"`
	Error              string  `json:"error,omitempty"`
}

// perturber applies --perturb on schedule and measures recoveries.
type perturber struct {
	net  *nsNet
	ps   []perturbation
	view *liveView

	mu   sync.Mutex
	down map[int]bool // killed and not restarted: not expected to answer
	res  []perturbResult
	wg   sync.WaitGroup
}

func newPerturber(net *nsNet, ps []perturbation, view *liveView) *perturber {
	return &perturber{net: net, ps: ps, view: view, down: map[int]bool{}, res: make([]perturbResult, len(ps))}
}

// perturbEvent is one action: a perturbation's start or its heal.
type perturbEvent struct {
	at   time.Duration
	idx  int
	heal bool
}

// run applies every event at its time. When the run ends first, pending
// heals are applied at once: nothing stays paused, cut or unplugged.
func (pt *perturber) run(runCtx, measureCtx context.Context, began time.Time) {
	defer pt.wg.Wait()
	var evs []perturbEvent
	for i, p := range pt.ps {
		evs = append(evs, perturbEvent{at: p.start, idx: i})
		if p.end > p.start {
			evs = append(evs, perturbEvent{at: p.end, idx: i, heal: true})
		}
	}
	slices.SortStableFunc(evs, func(a, b perturbEvent) int { return int(a.at - b.at) })
	started := map[int]bool{}
	for _, ev := range evs {
		if !ev.heal && runCtx.Err() != nil {
			continue // never started: nothing to heal
		}
		if wait := time.Until(began.Add(ev.at)); wait > 0 && runCtx.Err() == nil {
			select {
			case <-runCtx.Done():
			case <-time.After(wait):
			}
		}
		if ev.heal && !started[ev.idx] {
			continue
		}
		if !ev.heal && runCtx.Err() != nil {
			continue
		}
		pt.apply(measureCtx, ev, began)
		started[ev.idx] = true
	}
}

func (pt *perturber) apply(ctx context.Context, ev perturbEvent, began time.Time) {
	p := pt.ps[ev.idx]
	r := &pt.res[ev.idx]
	r.Spec = p.spec
	var err error
	if !ev.heal {
		r.AtS = time.Since(began).Seconds()
		err = pt.start(ctx, p)
	} else {
		err = pt.heal(p)
	}
	if err != nil {
		pt.mu.Lock()
		r.Error = err.Error()
		pt.mu.Unlock()
	}
	switch {
	case p.kind == perturbRestart && err == nil:
		// The restarted node is healed once it answers; the wait runs
		// beside the schedule (a restart under load took 4–10 s to answer
		// and used to hold back every later perturbation as long).
		pt.wg.Go(func() {
			if err := pt.net.waitHealthy(ctx, p.node); err != nil {
				pt.mu.Lock()
				r.Error = err.Error()
				pt.mu.Unlock()
			}
			pt.healed(ctx, ev.idx, began)
		})
	case ev.heal || p.end == p.start:
		pt.healed(ctx, ev.idx, began)
	}
}

// healed records the heal time of perturbation idx and measures its
// recovery.
func (pt *perturber) healed(ctx context.Context, idx int, began time.Time) {
	at := time.Now()
	pt.mu.Lock()
	pt.res[idx].HealedS = at.Sub(began).Seconds()
	pt.mu.Unlock()
	pt.wg.Go(func() { pt.measure(ctx, idx, at) })
}

func (pt *perturber) start(ctx context.Context, p perturbation) error {
	net := pt.net
	switch p.kind {
	case perturbKill:
		pt.setDown(p.node, true)
		net.mu.Lock()
		defer net.mu.Unlock()
		net.procs[p.node].kill()
		return nil
	case perturbRestart:
		err := net.restart(ctx, p.node)
		pt.setDown(p.node, false)
		return err
	case perturbPause:
		return net.procs[p.node].pause()
	case perturbDisconnect:
		return net.hosts[p.node].SetPort(false)
	case perturbPartition:
		return net.partition(p.groups, true)
	}
	return fmt.Errorf("unknown perturbation %q", p.kind)
}

func (pt *perturber) heal(p perturbation) error {
	net := pt.net
	switch p.kind {
	case perturbPause:
		return net.procs[p.node].cont()
	case perturbDisconnect:
		return net.hosts[p.node].SetPort(true)
	case perturbPartition:
		return net.partition(p.groups, false)
	}
	return nil
}

func (pt *perturber) setDown(i int, down bool) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	pt.down[i] = down
}

// measure records the highest irreversible height and the highest head
// any node held at the heal, then waits until every node expected to run
// holds an irreversible block above the first (RecoveryMs) and a head at
// or above the second (CaughtUpMs).
func (pt *perturber) measure(ctx context.Context, idx int, healed time.Time) {
	var mark, head uint64
	for _, s := range pt.view.sample(ctx) {
		if s.err == nil {
			mark = max(mark, s.status.Irreversible.Height)
			head = max(head, s.status.Head.Height)
		}
	}
	pt.mu.Lock()
	r := &pt.res[idx]
	r.IrreversibleAtHeal, r.HeadAtHeal, r.RecoveryMs, r.CaughtUpMs = mark, head, -1, -1
	pt.mu.Unlock()
	for ctx.Err() == nil {
		irr, caught := pt.allAbove(pt.view.sample(ctx), mark, head)
		ms := float64(time.Since(healed).Microseconds()) / 1000
		pt.mu.Lock()
		if irr && r.RecoveryMs < 0 {
			r.RecoveryMs = ms
		}
		if caught && r.CaughtUpMs < 0 {
			r.CaughtUpMs = ms
		}
		done := r.RecoveryMs >= 0 && r.CaughtUpMs >= 0
		pt.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// allAbove reports whether every node expected to run holds an
// irreversible height above mark, and whether each holds a head at least
// head.
func (pt *perturber) allAbove(s []nodeSample, mark, head uint64) (irr, caught bool) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	irr, caught = true, true
	for i, x := range s {
		if pt.down[i] {
			continue
		}
		if x.err != nil {
			return false, false
		}
		irr = irr && x.status.Irreversible.Height > mark
		caught = caught && x.status.Head.Height >= head
	}
	return irr, caught
}

func (pt *perturber) results() []perturbResult {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return slices.Clone(pt.res)
}

// restart stops node i if it runs and starts it again in its namespace;
// waitHealthy then waits until it answers.
func (net *nsNet) restart(_ context.Context, i int) error {
	net.mu.Lock()
	defer net.mu.Unlock()
	p := net.procs[i]
	if p.alive() {
		if err := p.stop(15 * time.Second); err != nil {
			return err
		}
	}
	np, err := startProcWith(net.command(i), p.info)
	if err == nil {
		p.cmd, p.exited = np.cmd, np.exited
	}
	return err
}

// waitHealthy waits (at most a minute) until node i answers /healthz.
func (net *nsNet) waitHealthy(ctx context.Context, i int) error {
	net.mu.Lock()
	p := net.procs[i]
	net.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return p.waitHealthy(wctx)
}

// partition cuts (or heals) every pair of nodes in different groups:
// one `ip -batch` per member, all members at once, so that a 16-node
// partition starts and heals within a fraction of a second (one exec per
// route, one host after another, took 24 s to heal under load).
func (net *nsNet) partition(groups [][]int, cut bool) error {
	var wg sync.WaitGroup
	errs := make([]error, len(net.hosts))
	for gi, g := range groups {
		var others []netip.Addr
		for gj, o := range groups {
			if gj != gi {
				for _, j := range o {
					others = append(others, net.hosts[j].IP)
				}
			}
		}
		for _, m := range g {
			wg.Go(func() {
				if cut {
					errs[m] = net.hosts[m].Block(others)
				} else {
					errs[m] = net.hosts[m].Unblock(others)
				}
			})
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}
