package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/node/admin"
)

// nodeSample is one node's status at one moment.
type nodeSample struct {
	at     time.Time
	status node.Status
	err    error
}

// liveView polls every node's status and shows it: redrawn in place on a
// terminal, as plain lines every few seconds otherwise (CI logs, pipes).
type liveView struct {
	w        io.Writer
	tty      bool
	procs    []*proc
	prev     []nodeSample
	drawn    int
	lastLine time.Time
}

func newLiveView(w io.Writer, procs []*proc) *liveView {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return &liveView{w: w, tty: tty, procs: procs}
}

// sample fetches every node's status concurrently.
func (v *liveView) sample(ctx context.Context) []nodeSample {
	out := make([]nodeSample, len(v.procs))
	var wg sync.WaitGroup
	for i, p := range v.procs {
		wg.Go(func() {
			var st node.Status
			err := p.client.do(ctx, "GET", "/status", nil, &st, nil)
			out[i] = nodeSample{at: time.Now(), status: st, err: err}
		})
	}
	wg.Wait()
	return out
}

// sampleAnswered is sample with up to tries more attempts, a second
// apart, for the nodes that did not answer. A node process on a saturated
// host (16 nodes on 2 cores beside other work) can miss one 2 s status
// call just as the run ends; without the retries the summary called such
// nodes "not answering" and the run failed though they ran fine.
func (v *liveView) sampleAnswered(ctx context.Context, tries int) []nodeSample {
	out := v.sample(ctx)
	for range tries {
		var missing []int
		for i, s := range out {
			if s.err != nil {
				missing = append(missing, i)
			}
		}
		if len(missing) == 0 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second)
		var wg sync.WaitGroup
		for _, i := range missing {
			wg.Go(func() {
				var st node.Status
				if err := v.procs[i].client.do(ctx, "GET", "/status", nil, &st, nil); err == nil {
					out[i] = nodeSample{at: time.Now(), status: st}
				} else {
					out[i].err = err
				}
			})
		}
		wg.Wait()
	}
	return out
}

// run refreshes the view every second until ctx ends.
func (v *liveView) run(ctx context.Context, load *txLoad) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	v.prev = v.sample(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cur := v.sample(ctx)
			v.draw(cur, load)
			v.prev = cur
		}
	}
}

func (v *liveView) draw(cur []nodeSample, load *txLoad) {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tHEAD\tIRREVERSIBLE\tPEERS\tBLOCKS/S\tLAG\tSYNC\tLEADER")
	var maxHead uint64
	for _, s := range cur {
		maxHead = max(maxHead, s.status.Head.Height)
	}
	for i, s := range cur {
		name := v.procs[i].info.Name
		if s.err != nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\tdown: %v\t\n", name, shortErr(s.err))
			continue
		}
		rate := 0.0
		if p := v.prev[i]; p.err == nil && s.at.After(p.at) {
			rate = float64(s.status.Head.Height-min(s.status.Head.Height, p.status.Head.Height)) / s.at.Sub(p.at).Seconds()
		}
		leader := ""
		if s.status.Producing {
			leader = "producing"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%d\t%s\t%s\n", name, s.status.Role, s.status.Head.Height,
			s.status.Irreversible.Height, s.status.Peers, rate, maxHead-s.status.Head.Height, s.status.Sync, leader)
	}
	_ = tw.Flush()
	if load != nil && load.rate > 0 {
		fmt.Fprintf(&b, "tx: %d submitted, %d committed, %d failed, %d in flight, p50 %.0f ms, p99 %.0f ms\n",
			load.submitted.Load(), load.committed.Load(), load.failed.Load(), load.inFlight.Load(),
			load.percentile(0.5), load.percentile(0.99))
	}
	text := b.String()
	if v.tty {
		// Move up over the previous frame and clear it, then redraw.
		if v.drawn > 0 {
			fmt.Fprintf(v.w, "\033[%dA\033[J", v.drawn)
		}
		fmt.Fprint(v.w, text)
		v.drawn = strings.Count(text, "\n")
		return
	}
	if time.Since(v.lastLine) >= 5*time.Second {
		fmt.Fprintf(v.w, "--- %s\n%s", time.Now().Format(time.TimeOnly), text)
		v.lastLine = time.Now()
	}
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// summarize fills the head, irreversibility and rate figures of res from
// the first and last samples.
func summarize(res *testnetResult, first, last []nodeSample, elapsed time.Duration) {
	res.HeadMin, res.IrreversibleMin = ^uint64(0), ^uint64(0)
	firstIrrMin := ^uint64(0)
	var headGain uint64
	for i, s := range last {
		if s.err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("node%d is not answering: %v", i, s.err))
			continue
		}
		res.HeadMin, res.HeadMax = min(res.HeadMin, s.status.Head.Height), max(res.HeadMax, s.status.Head.Height)
		res.IrreversibleMin = min(res.IrreversibleMin, s.status.Irreversible.Height)
		res.IrreversibleMax = max(res.IrreversibleMax, s.status.Irreversible.Height)
		if first[i].err == nil {
			firstIrrMin = min(firstIrrMin, first[i].status.Irreversible.Height)
			headGain = max(headGain, s.status.Head.Height-min(s.status.Head.Height, first[i].status.Head.Height))
		}
	}
	if res.HeadMin == ^uint64(0) {
		res.HeadMin, res.IrreversibleMin = 0, 0
	}
	res.IrreversibleAdv = firstIrrMin != ^uint64(0) && res.IrreversibleMin > firstIrrMin
	if !res.IrreversibleAdv {
		res.Problems = append(res.Problems, "irreversibility did not advance on every node")
	}
	res.BlocksPerS = float64(headGain) / elapsed.Seconds()
}

// compareStateRoots fetches the block at the lowest irreversible height from
// every node: the same id and the same state root (the state after its
// parent, which every node recomputed when it accepted the block) means the
// nodes agree on the chain and its state up to there.
func compareStateRoots(ctx context.Context, res *testnetResult, clients []*adminClient) {
	h := res.IrreversibleMin
	res.ComparedHeight = h
	if h < 2 {
		res.Problems = append(res.Problems, "no common irreversible block beyond genesis to compare")
		return
	}
	var id block.ID
	var root block.Hash
	res.StateRootsEqual = true
	for i, c := range clients {
		var b admin.Block
		if err := c.do(ctx, "GET", fmt.Sprintf("/blocks/%d", h), nil, &b, nil); err != nil {
			res.StateRootsEqual = false
			res.Problems = append(res.Problems, fmt.Sprintf("node%d: block %d: %v", i, h, err))
			continue
		}
		if i == 0 {
			id, root = b.ID, b.StateRoot
			continue
		}
		if b.ID != id || b.StateRoot != root {
			res.StateRootsEqual = false
			res.Problems = append(res.Problems, fmt.Sprintf("node%d disagrees at height %d: block %s state %s, node0 has %s state %s",
				i, h, b.ID, b.StateRoot, id, root))
		}
	}
}

func printTestnetSummary(w io.Writer, r testnetResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "nodes\t%d (%d producers), ran %.1f s, data in %s\n", r.Nodes, r.Producers, r.DurationS, r.Dir)
	fmt.Fprintf(tw, "heads\t%d..%d (%.1f blocks/s)\n", r.HeadMin, r.HeadMax, r.BlocksPerS)
	fmt.Fprintf(tw, "irreversible\t%d..%d (advanced: %v)\n", r.IrreversibleMin, r.IrreversibleMax, r.IrreversibleAdv)
	fmt.Fprintf(tw, "state roots equal\t%v (compared at height %d)\n", r.StateRootsEqual, r.ComparedHeight)
	if r.TxSubmitted > 0 {
		fmt.Fprintf(tw, "transactions\t%d submitted, %d committed (%.0f/s), %d failed, %d shed; p50 %.1f ms, p99 %.1f ms (last answers %.1f s after the end)\n",
			r.TxSubmitted, r.TxCommitted, r.TxPerS, r.TxFailed, r.TxShed, r.TxP50Ms, r.TxP99Ms, r.DrainS)
		for reason, n := range r.TxErrors {
			fmt.Fprintf(tw, "\t%d failed: %s\n", n, reason)
		}
	}
	printDiscoverySummary(tw, r.Discovery)
	printConsensusSummary(tw, r.Consensus, r.LeaderKill)
	printNetnsSummary(tw, r.NetnsResult)
	if a := r.Attest; a != nil {
		fmt.Fprintf(tw, "attestation	%d verifiers, %s: %d blocks attested, %d pending, %d stalled; p50 %.0f ms, p99 %.0f ms; %.1f requests, %.1f messages per block\n",
			a.Verifiers, a.Levels, a.Attested, a.Pending, a.Stalled, a.P50Ms, a.P99Ms, a.RequestsPerBlock, a.MessagesPerBlock)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(tw, "PROBLEM\t%s\n", p)
	}
	return tw.Flush()
}
