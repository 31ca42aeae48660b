package main

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// run drives a started namespace testnet: loads, perturbations and the live
// view for --duration, then the settle wait, the checks and the figures.
func (net *nsNet) run(ctx context.Context, cmd *cobra.Command, o testnetOptions, perturbs []perturbation, res testnetResult) (testnetResult, error) {
	nr := res.NetnsResult
	clients := net.clients(submitWait)
	// The loads start once every node reaches a producer, as on loopback
	// (testnet_ready.go): a submit before then fails at once with "no
	// producer" although no producer is down.
	if o.txRate > 0 || o.ns.blockSize > 0 {
		wait, err := waitProducersReachable(ctx, net.procs, clients)
		if res.ReachS = wait.Seconds(); err != nil {
			return res, err
		}
	}
	view := newLiveView(cmd.ErrOrStderr(), net.procs)
	first := view.sample(ctx)

	runCtx, stopRun := context.WithTimeout(ctx, o.duration)
	defer stopRun()
	// Recovery measurements may outlast the run by the settle time.
	measureCtx, stopMeasure := context.WithTimeout(ctx, o.duration+o.ns.settle)
	defer stopMeasure()

	load := newTxLoad(o.txRate, clients)
	// Acknowledged as committed means irreversible: the history check
	// looks for exactly these in every node's final chain.
	load.wait = "irreversible"
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		load.run(runCtx, uint64(time.Now().UnixNano()))
	}()
	payload := newPayloadLoad(o.ns.blockSize, o.blockInterval, net.clients(30*time.Second), net.producers())
	payload.retry = payloadRetry(o.blockInterval, net.timers.Heartbeat)
	payloadDone := make(chan struct{})
	go func() {
		defer close(payloadDone)
		payload.run(runCtx)
	}()
	pert := newPerturber(net, perturbs, view)
	pertDone := make(chan struct{})
	began := time.Now()
	go func() {
		defer close(pertDone)
		pert.run(runCtx, measureCtx, began)
	}()
	view.run(runCtx, load)
	elapsed := time.Since(began)
	atEnd := view.sampleAnswered(context.Background(), 5)
	<-payloadDone
	drainBegan := time.Now()
	<-loadDone
	res.DrainS = time.Since(drainBegan).Seconds()
	// Every node that should run must reach the highest irreversible
	// height any node (or any acknowledged transaction) reached.
	net.settle(ctx, view, load.maxAckedHeight(), o.ns.settle)
	<-pertDone
	nr.Perturbations = pert.results()
	last := view.sampleAnswered(context.Background(), 5)
	net.dumpStacks(&res, last)

	res.DurationS = elapsed.Seconds()
	summarize(&res, first, atEnd, elapsed)
	nr.LeaderChanges = termsBegun(first, atEnd, net.producers())
	res.TxSubmitted, res.TxCommitted = load.submitted.Load(), load.committed.Load()
	res.TxFailed, res.TxShed = load.failed.Load(), load.shed.Load()
	res.TxErrors = load.errors
	res.TxPerS = float64(res.TxCommitted) / elapsed.Seconds()
	res.TxP50Ms, res.TxP99Ms = load.percentile(0.50), load.percentile(0.99)
	nr.PayloadSubmitted, nr.PayloadFailed = payload.submitted.Load(), payload.failed.Load()
	nr.PayloadErrors, nr.PayloadResent = payload.errorCounts(), payload.resent.Load()
	if nr.PayloadFailed > nr.PayloadSubmitted/10 {
		e, _ := payload.lastErr.Load().(string)
		res.Problems = append(res.Problems, fmt.Sprintf("%d of %d payload transactions failed (last: %s): blocks are smaller than --block-size", nr.PayloadFailed, nr.PayloadSubmitted, e))
	}
	compareStateRoots(context.Background(), &res, clients)
	if o.spec.Seeds > 0 {
		collectDiscovery(context.Background(), &res, o.spec.Seeds, nodeNames(net.nodes), clients)
		nr.PeersReachedTarget, nr.PeersMin = res.Discovery.AllReached, res.Discovery.PeersMin
	} else {
		net.checkPeers(&res, last)
	}
	for _, p := range nr.Perturbations {
		if p.RecoveryMs < 0 {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: irreversibility did not resume within the run and %v of settling", p.Spec, o.ns.settle))
		}
		if p.CaughtUpMs < 0 {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: a node did not catch up to head %d within the run and %v of settling", p.Spec, p.HeadAtHeal, o.ns.settle))
		}
	}
	hist := checkHistory(context.Background(), clients, last, load.acked())
	nr.LostCommittedTx, nr.DupCommittedTx, nr.CommittedChecked = hist.lost, hist.duplicated, hist.checked
	nr.BehindCommittedTx = hist.behind
	nr.DivergentHeights, nr.HeightsCompared = hist.divergent, hist.compared
	res.Problems = append(res.Problems, hist.problems...)
	nr.propagationFigures = measurePropagation(context.Background(), clients, first, last, len(net.procs), o.ns.blockSize,
		filepath.Join(o.spec.Dir, "propagation.json"), net.nodes)
	if nr.BlocksMeasured == 0 {
		res.Problems = append(res.Problems, "no block reached every node in the measuring window: no propagation figures")
	}
	return res, nil
}

// termsBegun is the highest raft term any of the producers reported in
// last minus the highest in first (0 when no producer answered either
// time). A producer's Status.Term is raft's current term.
func termsBegun(first, last []nodeSample, producers []int) uint64 {
	highest := func(s []nodeSample) (uint64, bool) {
		var t uint64
		ok := false
		for _, i := range producers {
			if i < len(s) && s[i].err == nil {
				t, ok = max(t, s[i].status.Term), true
			}
		}
		return t, ok
	}
	a, okA := highest(first)
	b, okB := highest(last)
	if !okA || !okB || b < a {
		return 0
	}
	return b - a
}

// producers lists the producer nodes' indexes.
func (net *nsNet) producers() []int {
	var out []int
	for i, n := range net.nodes {
		if n.Producer {
			out = append(out, i)
		}
	}
	return out
}

// settle waits until every answering node holds the highest irreversible
// height any node held when the run ended (and target), or limit passes.
// The target is fixed at the start: irreversibility keeps advancing, and
// a full node learns it one block after the producers.
func (net *nsNet) settle(ctx context.Context, view *liveView, target uint64, limit time.Duration) {
	for _, x := range view.sample(ctx) {
		if x.err == nil {
			target = max(target, x.status.Irreversible.Height)
		}
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		lo := ^uint64(0)
		for _, x := range view.sample(ctx) {
			if x.err == nil {
				lo = min(lo, x.status.Irreversible.Height)
			}
		}
		if lo != ^uint64(0) && lo >= target {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkPeers: at the end every node should hold a link to each of its
// topology neighbours (the static peers it was given).
func (net *nsNet) checkPeers(res *testnetResult, last []nodeSample) {
	nr := res.NetnsResult
	nr.PeersReachedTarget, nr.PeersMin = true, int(^uint(0)>>1)
	for i, s := range last {
		if s.err != nil {
			nr.PeersReachedTarget = false
			continue
		}
		nr.PeersMin = min(nr.PeersMin, s.status.Peers)
		if want := len(net.graph[i]); s.status.Peers < want {
			nr.PeersReachedTarget = false
			res.Problems = append(res.Problems, fmt.Sprintf("node%d has %d peers, its topology gives it %d", i, s.status.Peers, want))
		}
	}
}

// dumpStacks sends SIGQUIT to every running node that did not answer its
// admin API in last: the Go runtime prints every goroutine's stack to the
// node's stderr.log and exits, so a wedged node explains itself (issue 19:
// a producer stopped answering at the end of a perturbation run and left
// nothing to read).
func (net *nsNet) dumpStacks(res *testnetResult, last []nodeSample) {
	net.mu.Lock()
	defer net.mu.Unlock()
	for i, s := range last {
		if s.err == nil || i >= len(net.procs) || net.procs[i] == nil || !net.procs[i].alive() {
			continue
		}
		p := net.procs[i]
		if err := p.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
			continue
		}
		res.Problems = append(res.Problems, fmt.Sprintf("%s did not answer its admin API after the run: sent it SIGQUIT; its goroutine stacks are in %s",
			p.info.Name, filepath.Join(p.info.Dir, "stderr.log")))
	}
}

// pause stops the process (SIGSTOP); cont continues it.
func (p *proc) pause() error { return p.cmd.Process.Signal(syscall.SIGSTOP) }
func (p *proc) cont() error  { return p.cmd.Process.Signal(syscall.SIGCONT) }

// alive reports whether the process has not exited.
func (p *proc) alive() bool {
	select {
	case err := <-p.exited:
		p.exited <- err
		return false
	default:
		return true
	}
}
