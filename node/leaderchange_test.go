package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

// submitResult is one submit of a load: which node, how it ended, how long
// it took.
type submitResult struct {
	tx    []byte
	node  int
	start time.Time
	err   error
	took  time.Duration
}

// submitAnswerBound is how long any submit may take in the leader-change
// test, error or not: the producer answer timeout and a second, far under
// SubmitTimeout (30 s), which is what a transaction lost after acceptance
// used to cost.
var submitAnswerBound = DefaultLimits().SubmitAckTimeout + time.Second

// Under a steady transaction load, the leader steps down three times (its
// raft links are cut: "failed to contact quorum") and then crashes. Every
// submit ends within submitAnswerBound, either included or with a quick,
// truthful error (no producer, producer timeout, rejected, stopped), never
// ErrTxTimeout; and every transaction reported included becomes
// irreversible, so none was lost in a deposed leader's mempool or in one of
// its orphaned blocks. The crashed node restarts before that check: its
// own Submits answered "included" by the block it made the instant before
// the crash may exist on its disk only (the block had not left it), and
// come back when it does (TestCrashedLeadersUnsentBlockComesBackOnRestart).
func TestSubmitsSurviveLeaderChangesUnderLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)

		var mu sync.Mutex
		var results []submitResult
		var down sync.Map // node index -> killed
		var wg sync.WaitGroup
		stopLoad := make(chan struct{})
		loadDone := make(chan struct{})
		go func() { // 200 transactions per second over every running node
			defer close(loadDone)
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for seq := 0; ; seq++ {
				select {
				case <-stopLoad:
					return
				case <-tick.C:
				}
				i := seq % len(tn.specs)
				if _, killed := down.Load(i); killed {
					continue
				}
				n := tn.specs[i].n
				tx := kvTx(fmt.Sprintf("load/%d", seq), "v")
				wg.Add(1)
				go func() {
					defer wg.Done()
					start := time.Now()
					_, err := n.Submit(context.Background(), tx)
					mu.Lock()
					results = append(results, submitResult{tx: tx, node: i, start: start, err: err, took: time.Since(start)})
					mu.Unlock()
				}()
			}
		}()

		leader := func() int {
			var l int
			waitFor(t, 10*time.Second, "a leader", func() bool { l = tn.leader(); return l >= 0 })
			return l
		}
		terms := func() uint64 { return tn.specs[3].n.Status().Head.Term }
		time.Sleep(time.Second)
		for range 3 {
			l := leader()
			before := terms()
			tn.raft.Isolate(raftAddr(tn.specs[l].n), true)
			waitFor(t, 10*time.Second, "a new leader's block", func() bool { return terms() > before })
			time.Sleep(300 * time.Millisecond)
			tn.raft.Isolate(raftAddr(tn.specs[l].n), false)
			time.Sleep(time.Second)
		}
		l := leader()
		before := terms()
		// The full node's submits must not go to the dead node: stop
		// submitting there first, then crash it.
		down.Store(l, true)
		tn.stop(l, true)
		waitFor(t, 10*time.Second, "a new leader's block after the crash", func() bool { return terms() > before })
		time.Sleep(2 * time.Second)
		close(stopLoad)
		<-loadDone
		wg.Wait()
		full := tn.specs[3].n
		unsent := 0
		for _, r := range results {
			if r.node == l && r.err == nil {
				if _, err := full.TxStatus(context.Background(), txHash(r.tx)); errors.Is(err, ErrNotFound) {
					unsent++
				}
			}
		}
		t.Logf("%d transactions reported included at the crashed %s were unknown to %s before it restarted", unsent, tn.specs[l].name, tn.specs[3].name)
		tn.start(l)

		var included, failed int
		reasons := map[string]int{}
		var slowest time.Duration
		for _, r := range results {
			if r.took > 3*time.Second {
				t.Logf("slow: %s %s %s %v %v", r.start.Format("15:04:05.000"), tn.specs[r.node].name, txHash(r.tx), r.took, r.err)
			}
		}
		for _, r := range results {
			slowest = max(slowest, r.took)
			require.LessOrEqual(t, r.took, submitAnswerBound, "submit at %s: %v", tn.specs[r.node].name, r.err)
			if r.err == nil {
				included++
				continue
			}
			failed++
			var rej *TxRejectedError
			switch {
			case errors.Is(r.err, ErrNoProducer):
				reasons["no-producer"]++
			case errors.Is(r.err, ErrProducerTimeout):
				reasons["producer-timeout"]++
			case errors.Is(r.err, ErrStopped):
				require.Equal(t, l, r.node, "only the crashed node's own submits fail with ErrStopped")
				reasons["stopped"]++
			case errors.As(r.err, &rej):
				reasons["rejected-"+rej.Reason]++
			default:
				t.Fatalf("submit at %s ended with %v after %v: an accepted transaction was lost", tn.specs[r.node].name, r.err, r.took)
			}
		}
		t.Logf("%d submits: %d included, %d failed %v; slowest %v", len(results), included, failed, reasons, slowest)
		require.Greater(t, included, len(results)*9/10)
		// Every transaction reported included ends irreversible: none sat
		// in an orphaned block.
		for _, r := range results {
			if r.err != nil {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			rec, err := full.WaitTx(ctx, txHash(r.tx), TxIrreversible)
			cancel()
			require.NoError(t, err, "transaction submitted at %s", tn.specs[r.node].name)
			require.Equal(t, TxIrreversible, rec.State)
		}
		tn.converged(10 * time.Second)
	})
}

// A block the leader made but raft never committed (the leader was cut off
// right after making it) loses to the next term's block at its height; its
// transactions go back to a mempool and reappear in a later block.
func TestOrphanedBlockTransactionsReappear(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		var l int
		waitFor(t, 5*time.Second, "a leader", func() bool { l = tn.leader(); return l >= 0 })
		ln := tn.specs[l].n
		full := tn.specs[3].n

		// Cut the leader's raft links, and before it notices, make a block
		// with a few transactions outside the engine (so its id never goes
		// to the raft log): the deposed leader's last block.
		tn.raft.Isolate(raftAddr(ln), true)
		var txs [][]byte
		var orphan *block.Block
		require.NoError(t, ln.call(context.Background(), func() {
			for i := range 20 {
				tx := kvTx(fmt.Sprintf("orphan/%d", i), "v")
				txs = append(txs, tx)
				require.NoError(t, ln.accept(txHash(tx), tx))
			}
			var err error
			head := ln.chain.Head()
			orphan, err = ln.build(head.Term, head.ID(), time.Now())
			require.NoError(t, err)
		}))
		require.Len(t, orphan.Txs, len(txs))
		waitFor(t, 5*time.Second, "the orphan on the full node", func() bool {
			r, err := full.TxStatus(context.Background(), txHash(txs[0]))
			return err == nil && r.Block == orphan.ID()
		})

		for _, tx := range txs {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			r, err := full.WaitTx(ctx, txHash(tx), TxIrreversible)
			cancel()
			require.NoError(t, err)
			require.NotEqual(t, orphan.ID(), r.Block)
			require.Greater(t, tn.specs[3].n.Status().Head.Term, orphan.Term)
		}
		tn.raft.Isolate(raftAddr(ln), false)
		tn.converged(10 * time.Second)
	})
}

// A leader that crashes holding a transaction only in its mempool, together
// with another producer (no majority left): the submitter gets a quick
// error, ErrNoProducer or ErrProducerTimeout, not ErrTxTimeout after
// SubmitTimeout. (With a majority up, the submitter's node sends it to the
// next leader: TestSubmitsSurviveLeaderChangesUnderLoad.)
func TestSubmitFailsFastWhenTheLeaderDiesWithItsTransaction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		var l int
		waitFor(t, 5*time.Second, "a leader", func() bool { l = tn.leader(); return l >= 0 })
		ln, full := tn.specs[l].n, tn.specs[3].n
		type result struct {
			err error
			at  time.Time
		}
		// Catch a transaction in the leader's mempool, its acceptance
		// answered, before the next block takes it (try again if a block
		// came first).
		var done chan result
		for attempt := 0; ; attempt++ {
			require.Less(t, attempt, 10, "never caught a transaction in the mempool")
			tx := kvTx(fmt.Sprintf("doomed/%d", attempt), "v")
			done = make(chan result, 1)
			go func() {
				_, err := full.Submit(context.Background(), tx)
				done <- result{err, time.Now()}
			}()
			inPool := false
			for range 50 {
				acked := false
				require.NoError(t, ln.call(context.Background(), func() { inPool = ln.lp.pool.Has(txHash(tx)) }))
				require.NoError(t, full.call(context.Background(), func() { acked = full.lp.relays.Len() == 0 }))
				if inPool = inPool && acked; inPool {
					break
				}
				time.Sleep(time.Millisecond)
			}
			if inPool {
				break
			}
			require.NoError(t, (<-done).err)
		}
		crash := time.Now()
		tn.stop(l, true)
		tn.stop((l+1)%3, true)
		r := <-done
		require.Error(t, r.err)
		require.NotErrorIs(t, r.err, ErrTxTimeout)
		require.True(t, errors.Is(r.err, ErrNoProducer) || errors.Is(r.err, ErrProducerTimeout), "%v", r.err)
		require.ErrorContains(t, r.err, "accepted, then its producer was lost")
		require.Equal(t, OutcomeUnknown, SubmitOutcome(r.err), "a producer had accepted it: it may come back")
		require.LessOrEqual(t, r.at.Sub(crash), DefaultLimits().SubmitAckTimeout+time.Second)
		t.Logf("answered %v after the crash: %v", r.at.Sub(crash), r.err)
	})
}

// A leader that crashes the instant after making a block, before the block
// left it, takes the block's transactions along: its own Submits reported
// them included (in a block on its best chain), yet no other node has
// them. The block is on its disk (build syncs before sending); when the
// node restarts, the next term's chain wins fork choice over it, and its
// transactions go back to a mempool and become irreversible. (The load
// test above crashed a leader in this instant about once in a few hundred
// runs and expected irreversibility without the restart.)
func TestCrashedLeadersUnsentBlockComesBackOnRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		var l int
		waitFor(t, 5*time.Second, "a leader", func() bool { l = tn.leader(); return l >= 0 })
		ln, full := tn.specs[l].n, tn.specs[3].n

		// Nothing the leader sends from now on arrives: its raft links are
		// cut, its links broken, and a reconnection would take an hour.
		tn.raft.Isolate(raftAddr(ln), true)
		for i, sp := range tn.specs {
			if i != l {
				require.NoError(t, tn.mem.SetLink(tn.specs[l].id, sp.id, link.MemConfig{Latency: time.Hour}))
				tn.mem.Disconnect(tn.specs[l].id, sp.id)
			}
		}
		var txs [][]byte
		var unsent *block.Block
		require.NoError(t, ln.call(context.Background(), func() {
			for i := range 20 {
				tx := kvTx(fmt.Sprintf("unsent/%d", i), "v")
				txs = append(txs, tx)
				require.NoError(t, ln.accept(txHash(tx), tx))
			}
			var err error
			head := ln.chain.Head()
			unsent, err = ln.build(head.Term, head.ID(), time.Now())
			require.NoError(t, err)
		}))
		require.Len(t, unsent.Txs, len(txs))
		for _, tx := range txs {
			r, err := ln.TxStatus(context.Background(), txHash(tx))
			require.NoError(t, err)
			require.Equal(t, TxIncluded, r.State, "what the leader's Submit reports")
		}
		tn.stop(l, true)
		tn.raft.Isolate(raftAddr(ln), false)
		for i, sp := range tn.specs {
			if i != l {
				require.NoError(t, tn.mem.SetLink(tn.specs[l].id, sp.id, link.MemConfig{Latency: 2 * time.Millisecond}))
			}
		}

		// The others carry on without the transactions: nobody else ever
		// saw them (the load test's failure).
		_, irr := full.Head()
		others := []int{(l + 1) % 3, (l + 2) % 3, 3}
		tn.irreversibleAtLeastOn(others, irr.Height+5, 10*time.Second)
		for _, i := range others {
			_, err := tn.specs[i].n.TxStatus(context.Background(), txHash(txs[0]))
			require.ErrorIs(t, err, ErrNotFound, "at %s", tn.specs[i].name)
		}

		tn.start(l)
		for _, tx := range txs {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			r, err := full.WaitTx(ctx, txHash(tx), TxIrreversible)
			cancel()
			require.NoError(t, err)
			require.NotEqual(t, unsent.ID(), r.Block)
		}
		tn.converged(10 * time.Second)
	})
}
