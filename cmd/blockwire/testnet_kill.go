package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftstore"
	"github.com/blockwire/blockwire/node"
)

// This file is testnet's --kill-leader (loopback mode; --netns has the
// general --perturb): at a time into the run, SIGKILL the producer that
// leads consensus at that moment — under bft the leader of the view that
// just began (caught within milliseconds of its start, so it dies before
// it proposes: the worst case, the view must time out), under cft the raft
// leader — keep it down for --kill-down, restart it from its directory,
// and report what it cost: the stall in finalization, the views the
// survivors skipped, the recovery, and (bft) whether the restarted
// producer's safety records contradict the ones it held when it died.

type killOptions struct {
	at, down time.Duration
}

func addKillFlags(f *pflag.FlagSet, o *killOptions) {
	f.DurationVar(&o.at, "kill-leader", 0, "SIGKILL the consensus leader this long into the run (bft: the leader of the view just begun; cft: the raft leader); loopback only, --netns has --perturb")
	f.DurationVar(&o.down, "kill-down", 5*time.Second, "with --kill-leader: restart the killed producer after this long (0: leave it down)")
}

func (o killOptions) validate(duration time.Duration, netns bool) error {
	switch {
	case o.at == 0:
		return nil
	case netns:
		return errors.New("testnet: --kill-leader is for loopback; with --netns use --perturb kill@T:nodeN")
	case o.at < 0 || o.down < 0:
		return errors.New("testnet: --kill-leader and --kill-down must be positive")
	case o.at+o.down >= duration:
		return fmt.Errorf("testnet: --kill-leader %v + --kill-down %v must end before --duration %v", o.at, o.down, duration)
	}
	return nil
}

// killResult is the leader kill as testnet's JSON reports it.
type killResult struct {
	Node string `json:"node"`
	// View is the bft view it led when killed (cft: the raft term).
	View uint64 `json:"view"`
	// AtS and RestartedS are offsets from the start of the run.
	AtS        float64 `json:"at_s"`
	RestartedS float64 `json:"restarted_s,omitempty"`
	// StallMs: from the kill until the first block proposed after it was
	// final at a surviving producer (the killed leader's view has to time
	// out first; blocks proposed before the kill still finalize). GapMaxMs: the longest gap between two
	// consecutive final blocks' finalizations while it was down (compare
	// consensus.final_interval_p50_ms). FinalizedWhileDown counts the
	// blocks made final then.
	StallMs            float64 `json:"stall_ms"`
	GapMaxMs           float64 `json:"gap_max_ms"`
	FinalizedWhileDown int     `json:"finalized_while_down"`
	// SlowGaps are the gaps between consecutive finalizations over three
	// times consensus.final_interval_p50_ms that ended while it was down,
	// in order: the views that had to time out (the rest of its turns
	// were skipped in one nullify round).
	SlowGaps []slowGap `json:"slow_gaps,omitempty"`
	// ViewChangesWhileDown: consensus.view_changes over its downtime.
	ViewChangesWhileDown uint64 `json:"view_changes_while_down"`
	// RecoveryMs: from the restart until it held an irreversible block at
	// least as high as any node's at the restart (-1: not in the run).
	RecoveryMs float64 `json:"recovery_ms"`
	// TxFailedWhileDown: submits that failed from the kill until the
	// restarted node recovered (those waiting at the killed node lose
	// their connection; the load avoids it while it is down).
	TxFailedWhileDown uint64 `json:"tx_failed_while_down"`
	// RecordsAtKill and RecordsAtEnd count its bft safety records read
	// from its database after the kill and after it stopped at the end;
	// RecordsConsistent: together they never hold two notarize votes of
	// one view for different blocks, nor a nullify and a finalize of one
	// view (what a producer that forgot its records would sign).
	RecordsAtKill     int    `json:"records_at_kill,omitempty"`
	RecordsAtEnd      int    `json:"records_at_end,omitempty"`
	RecordsConsistent *bool  `json:"records_consistent,omitempty"`
	Error             string `json:"error,omitempty"`

	killedAt, restartedAt, recoveredAt time.Time
	idx                                int
	preRecords                         []bft.Record
	failedBefore                       uint64
	atKill, atRestart                  []nodeSample
}

// leaderKiller runs --kill-leader beside the run.
type leaderKiller struct {
	o       killOptions
	engine  node.Engine
	self    string
	procs   []*proc
	view    *liveView
	load    *txLoad
	mu      sync.Mutex
	downIdx int // -1 when every node runs
	res     killResult
}

// newLeaderKiller returns nil without --kill-leader. It must be made
// before the load runs: the load asks it which node is down.
func newLeaderKiller(o killOptions, engine node.Engine, self string, procs []*proc, view *liveView, load *txLoad) *leaderKiller {
	if o.at == 0 {
		return nil
	}
	k := &leaderKiller{o: o, engine: engine, self: self, procs: procs, view: view, load: load, downIdx: -1}
	load.skip = k.isDown
	return k
}

func (k *leaderKiller) isDown(i int) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return i == k.downIdx
}

// run kills at o.at and restarts after o.down; it returns when the
// restarted node recovered or ctx (the run and its drain) ended.
func (k *leaderKiller) run(ctx context.Context, began time.Time) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Until(began.Add(k.o.at))):
	}
	r := &k.res
	idx, view, err := k.findLeader(ctx)
	if err != nil {
		r.Error = err.Error()
		return
	}
	p := k.procs[idx]
	r.failedBefore = k.load.failed.Load()
	k.mu.Lock()
	k.downIdx = idx
	k.mu.Unlock()
	p.kill()
	r.killedAt, r.idx, r.Node, r.View = time.Now(), idx, p.info.Name, view
	r.AtS = r.killedAt.Sub(began).Seconds()
	r.atKill = k.view.sample(ctx)
	if k.engine == node.EngineBFT && p.info.Producer {
		if r.preRecords, err = readSafetyRecords(p.info.Dir); err != nil {
			r.Error = err.Error()
		}
		r.RecordsAtKill = len(r.preRecords)
	}
	r.RecoveryMs = -1
	if k.o.down == 0 {
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Until(r.killedAt.Add(k.o.down))):
	}
	r.atRestart = k.view.sample(ctx)
	if err := k.restart(ctx, idx); err != nil {
		r.Error = err.Error()
		return
	}
	r.restartedAt = time.Now()
	r.RestartedS = r.restartedAt.Sub(began).Seconds()
	k.mu.Lock()
	k.downIdx = -1
	k.mu.Unlock()
	k.awaitRecovery(ctx)
}

// findLeader asks the producers who leads. Under bft it waits for the
// next view to begin and names its leader, so the kill lands at the
// start of that leader's view.
func (k *leaderKiller) findLeader(ctx context.Context) (int, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var start uint64
	for ctx.Err() == nil {
		for _, p := range k.procs {
			if !p.info.Producer {
				continue
			}
			var cs node.ConsensusStatus
			if err := p.client.do(ctx, "GET", "/consensus", nil, &cs, nil); err != nil {
				continue
			}
			name, view, ok := leaderOf(cs)
			if !ok {
				continue
			}
			if k.engine == node.EngineBFT && (start == 0 || view <= start) {
				start = max(start, view)
				break // poll the same producer until the view moves
			}
			for i, q := range k.procs {
				if q.info.Name == name {
					return i, view, nil
				}
			}
			return 0, 0, fmt.Errorf("testnet: leader %q is not one of this testnet's nodes", name)
		}
		time.Sleep(2 * time.Millisecond) // a poll, not an assertion: the view lasts ~100 ms
	}
	return 0, 0, fmt.Errorf("testnet: no producer named a leader: %w", ctx.Err())
}

// leaderOf names the leader in a producer's /consensus: the bft view's
// leader (by key) or the raft leader (by peer id), as its genesis name.
func leaderOf(cs node.ConsensusStatus) (string, uint64, bool) {
	for _, p := range cs.Producers {
		switch {
		case cs.BFT != nil && cs.BFT.Member && p.PublicKey == cs.BFT.Leader:
			return p.Name, cs.BFT.View, true
		case cs.Raft != nil && cs.Raft.Leader != "" && p.PeerID == string(cs.Raft.Leader):
			return p.Name, cs.Raft.Term, true
		}
	}
	return "", 0, false
}

// restart starts node idx again from its directory (its keys, chain and
// safety records) and waits until it answers.
func (k *leaderKiller) restart(ctx context.Context, idx int) error {
	p := k.procs[idx]
	np, err := startProc(k.self, p.info)
	if err != nil {
		return err
	}
	k.mu.Lock()
	p.cmd, p.exited = np.cmd, np.exited
	k.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return p.waitHealthy(wctx)
}

// awaitRecovery waits until the restarted node holds an irreversible
// block as high as any node held at the restart.
func (k *leaderKiller) awaitRecovery(ctx context.Context) {
	r := &k.res
	mark, _ := highestIrreversible(r.atRestart)
	for ctx.Err() == nil {
		var st node.Status
		if err := k.procs[r.idx].client.do(ctx, "GET", "/status", nil, &st, nil); err == nil && st.Irreversible.Height >= mark.Height {
			r.recoveredAt = time.Now()
			r.RecoveryMs = ms(r.recoveredAt.Sub(r.restartedAt))
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// finish computes the figures from the final chain's timeline, stops the
// restarted producer and checks its safety records (bft).
func (k *leaderKiller) finish(fig *consensusFigures, timeline []finalBlock, problems *[]string) *killResult {
	r := &k.res
	if r.killedAt.IsZero() {
		*problems = append(*problems, "--kill-leader: no leader was killed: "+r.Error)
		return r
	}
	end := r.restartedAt
	if end.IsZero() {
		end = time.Now()
	}
	r.StallMs, r.GapMaxMs, r.FinalizedWhileDown = killGaps(timeline, r.killedAt, end)
	r.SlowGaps = slowGaps(timeline, r.killedAt, end, 3*time.Duration(fig.FinalIntervalP50Ms*float64(time.Millisecond)))
	if r.atRestart != nil {
		r.ViewChangesWhileDown = viewChanges(string(k.engine), r.atKill, r.atRestart)
	}
	if r.FinalizedWhileDown == 0 {
		*problems = append(*problems, fmt.Sprintf("--kill-leader: no block became final while %s was down", r.Node))
	}
	r.TxFailedWhileDown = k.load.failed.Load() - r.failedBefore
	p := k.procs[r.idx]
	if k.engine != node.EngineBFT || !p.info.Producer || r.restartedAt.IsZero() {
		return r
	}
	if err := p.stop(15 * time.Second); err != nil {
		r.Error = err.Error()
		return r
	}
	post, err := readSafetyRecords(p.info.Dir)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.RecordsAtEnd = len(post)
	ok := true
	if err := contradiction(append(r.preRecords, post...)); err != nil {
		ok = false
		r.Error = err.Error()
		*problems = append(*problems, fmt.Sprintf("--kill-leader: %s double-signed after its restart: %v", r.Node, err))
	}
	r.RecordsConsistent = &ok
	return r
}

// killGaps: the stall from the kill until the first block proposed after
// it was final, the longest gap between consecutive finalizations ending in (kill,
// end], and how many blocks became final in that window.
func killGaps(timeline []finalBlock, kill, end time.Time) (stallMs, gapMs float64, n int) {
	stallMs = -1
	for k, b := range timeline {
		if stallMs < 0 && b.proposed.After(kill) {
			stallMs = ms(b.final.Sub(kill))
		}
		if !b.final.After(kill) || b.final.After(end) {
			continue
		}
		n++
		if k > 0 {
			gapMs = max(gapMs, ms(b.final.Sub(timeline[k-1].final)))
		}
	}
	return stallMs, gapMs, n
}

// slowGap is one gap between consecutive finalizations.
type slowGap struct {
	// AfterKillMs is when the gap ended, after the kill.
	AfterKillMs float64 `json:"after_kill_ms"`
	Ms          float64 `json:"ms"`
}

// slowGaps lists the gaps longer than over between consecutive
// finalizations that ended in (kill, end].
func slowGaps(timeline []finalBlock, kill, end time.Time, over time.Duration) []slowGap {
	var out []slowGap
	for k := 1; k < len(timeline); k++ {
		b := timeline[k]
		if !b.final.After(kill) || b.final.After(end) {
			continue
		}
		if g := b.final.Sub(timeline[k-1].final); g > over && over > 0 {
			out = append(out, slowGap{AfterKillMs: ms(b.final.Sub(kill)), Ms: ms(g)})
		}
	}
	return out
}

// readSafetyRecords reads a stopped producer's bft safety records from its
// database (the process must have exited: pebble locks the directory).
func readSafetyRecords(dir string) ([]bft.Record, error) {
	db, err := chain.OpenDB(filepath.Join(dir, "data"), chain.DefaultDBConfig())
	if err != nil {
		return nil, fmt.Errorf("testnet: reading safety records: %w", err)
	}
	recs, err := bftstore.New(db).Load()
	if cerr := db.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return recs, err
}

// contradiction reports two notarize records of one view for different
// blocks, or a nullify and a finalize in one view.
func contradiction(recs []bft.Record) error {
	type seen struct {
		notarized           block.ID
		nullified, finalize bool
	}
	views := map[uint64]*seen{}
	for _, r := range recs {
		s := views[r.View]
		if s == nil {
			s = &seen{}
			views[r.View] = s
		}
		switch r.Kind {
		case bft.RecNotarized:
			if !s.notarized.IsZero() && s.notarized != r.Block {
				return fmt.Errorf("view %d: notarize records for %s and %s", r.View, s.notarized, r.Block)
			}
			s.notarized = r.Block
		case bft.RecNullified:
			s.nullified = true
		case bft.RecFinalized:
			s.finalize = true
		}
		if s.nullified && s.finalize {
			return fmt.Errorf("view %d: nullified and finalized", r.View)
		}
	}
	return nil
}

// start runs the killer beside the run (a nil killer: a closed channel);
// the channel closes when it has restarted the node and seen it recover,
// or given up (the run, its drain and 30 s more).
func (k *leaderKiller) start(ctx context.Context, duration time.Duration, began time.Time) <-chan struct{} {
	done := make(chan struct{})
	if k == nil {
		close(done)
		return done
	}
	kctx, cancel := context.WithDeadline(ctx, began.Add(duration+30*time.Second))
	go func() {
		defer close(done)
		defer cancel()
		k.run(kctx, began)
	}()
	return done
}

// engineOf is the engine the nodes report (a reused DIR keeps its own).
func engineOf(s []nodeSample) string {
	for _, x := range s {
		if x.err == nil && x.status.Engine != "" {
			return string(x.status.Engine)
		}
	}
	return ""
}

func producerFlags(procs []*proc) []bool {
	out := make([]bool, len(procs))
	for i, p := range procs {
		out[i] = p.info.Producer
	}
	return out
}
