package node

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
)

// irrHistory is every irreversible block any node reported, by height: the
// CFT safety invariant is that no two nodes ever hold different
// irreversible blocks at one height, so every node's irreversible chain is
// a prefix of the longest one.
type irrHistory map[uint64]block.ID

// observe reads each running node's whole irreversible chain and checks it
// against every chain seen before (on this node, on others, before
// restarts).
func (hist irrHistory) observe(t *testing.T, tn *testNet) {
	t.Helper()
	for _, sp := range tn.specs {
		n := sp.n
		if n == nil {
			continue
		}
		var ids []block.ID
		var err error
		require.NoError(t, n.call(context.Background(), func() {
			irr := n.chain.IrreversibleID()
			for h := uint64(1); h <= irr.Height() && err == nil; h++ {
				var id block.ID
				id, err = n.chain.Log().IDAt(h)
				ids = append(ids, id)
			}
		}))
		require.NoError(t, err, sp.name)
		for i, id := range ids {
			h := uint64(i + 1)
			if prev, ok := hist[h]; ok {
				require.Equal(t, prev, id, "%s holds another irreversible block at height %d", sp.name, h)
			} else {
				hist[h] = id
			}
		}
	}
}

// changeProducers submits a producer-set change at node via and waits until
// every running node holds the resulting set in force.
func (tn *testNet) changeProducers(via *Node, op prodset.Op, who *Node) TxReceipt {
	t := tn.t
	t.Helper()
	tx := tn.quorumChange(via, op, who)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := via.Submit(ctx, tx)
	require.NoError(t, err)
	r, err = via.WaitTx(ctx, r.Hash, TxIrreversible)
	require.NoError(t, err)
	waitFor(t, 10*time.Second, "every node holds the new set", func() bool {
		for _, n := range tn.running() {
			if n.set.Load().Has(who.ID()) != (op == prodset.OpAdd) {
				return false
			}
		}
		return true
	})
	return r
}

// leadTo transfers raft leadership to n.
func (tn *testNet) leadTo(n *Node) {
	tn.t.Helper()
	waitFor(tn.t, 20*time.Second, "leadership moves to "+n.cfg.Node.Name, func() bool {
		l := tn.leaderOf()
		if l == n {
			return true
		}
		if l != nil {
			_ = l.engine().TransferLeadershipTo(raft.ServerID(n.ID().String()), raftAddr(n))
		}
		return false
	})
}

// irreversibleFrom waits until every running node's irreversible block
// was produced by p and lies above height above.
func (tn *testNet) irreversibleFrom(p *Node, above uint64) {
	tn.t.Helper()
	waitFor(tn.t, 10*time.Second, "a block of "+p.cfg.Node.Name+" irreversible everywhere", func() bool {
		for _, n := range tn.running() {
			if _, irr := n.Head(); irr.Producer != p.PublicKey() || irr.Height <= above {
				return false
			}
		}
		return true
	})
}

// raftServers is the leader's latest raft configuration as peer ids.
func (tn *testNet) raftServers() map[link.PeerID]bool {
	l := tn.leaderOf()
	if l == nil {
		return nil
	}
	conf, err := l.engine().Configuration()
	if err != nil {
		return nil
	}
	out := map[link.PeerID]bool{}
	for _, s := range conf.Servers {
		if id, err := peer.Decode(string(s.ID)); err == nil {
			out[id] = s.Suffrage == raft.Voter
		}
	}
	return out
}

// requireProducers checks that Consensus().Producers on every running node
// lists exactly want (the set in force), with its hash.
func (tn *testNet) requireProducers(want ...*Node) {
	t := tn.t
	t.Helper()
	ids := map[string]bool{}
	for _, w := range want {
		ids[w.ID().String()] = true
	}
	for _, n := range tn.running() {
		cs := n.Consensus()
		got := map[string]bool{}
		for _, p := range cs.Producers {
			got[p.PeerID] = true
		}
		require.Equal(t, ids, got, "%s lists the producers in force", n.cfg.Node.Name)
		require.Equal(t, n.set.Load().Hash(), cs.ProducerSet, n.cfg.Node.Name)
		// What the admin API's /consensus serves.
		raw, err := json.Marshal(cs)
		require.NoError(t, err)
		var doc struct {
			Producers []struct {
				PeerID string `json:"peer_id"`
			} `json:"producers"`
			ProducerSet string `json:"producer_set"`
		}
		require.NoError(t, json.Unmarshal(raw, &doc))
		require.Len(t, doc.Producers, len(want))
		for _, p := range doc.Producers {
			require.True(t, ids[p.PeerID], "%s serves %s", n.cfg.Node.Name, p.PeerID)
		}
		require.Equal(t, cs.ProducerSet.String(), doc.ProducerSet)
	}
}

// requireRefusedEverywhere makes the removed producer rm sign a block on
// its head and checks that every other running node refuses it as the
// block of a producer outside the set in force, and stores none of it.
func (tn *testNet) requireRefusedEverywhere(rm *Node) {
	t := tn.t
	t.Helper()
	ctx := context.Background()
	var forged *block.Block
	var err error
	require.NoError(t, rm.call(ctx, func() { forged, err = rm.build(rm.chain.Head().Term, block.ID{}, time.Now()) }))
	require.NoError(t, err)
	require.Equal(t, rm.PublicKey(), forged.Producer)
	for _, n := range tn.running() {
		if n == rm {
			continue
		}
		var reason string
		require.NoError(t, n.call(ctx, func() { reason, err = n.checkProducer(forged) }))
		require.Equal(t, "unknown-producer", reason, n.cfg.Node.Name)
		require.Error(t, err)
	}
	waitFor(t, 10*time.Second, "every other node refused the removed producer's block", func() bool {
		for _, n := range tn.running() {
			if n != rm && n.Counters().Rejected["unknown-producer"] == 0 {
				return false
			}
		}
		return true
	})
	for _, n := range tn.running() {
		if n != rm {
			_, err := n.Block(forged.ID())
			require.Error(t, err, "%s stored the removed producer's block", n.cfg.Node.Name)
		}
	}
}

// Issue: a change removing the producer that leads, submitted at another
// node, timed out although every head state listed that producer. Cause:
// the change was byte for byte a transaction the leader had refused
// earlier (when it was not a producer yet), and the leader took its
// "rejected" record for a duplicate: it answered "accepted" and never
// queued it. A rejection is not final; change transactions also carry a
// nonce so that two requests are two transactions.
//
// Here a full node is added, made leader, and removed by a change that is
// the same bytes as one refused before. The change commits; once it is
// irreversible the removed leader carries out its own RemoveServer and
// steps down, another producer leads, irreversibility goes on, and a block
// the removed node signs afterwards is refused by every node.
func TestRemovingTheLeadingProducer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		hist := irrHistory{}
		tn.irreversibleAtLeast(3, 10*time.Second)
		p0, p1, p2, f := tn.specs[0].n, tn.specs[1].n, tn.specs[2].n, tn.specs[3].n

		// Change 2, signed by all three genesis producers (a quorum of
		// three and, once f is in, of four).
		removeF := tn.signedChange(prodset.OpRemove, f, 2, p0, p1, p2)
		_, err := f.Submit(ctx, removeF)
		requireRejected(t, err, prodset.ReasonNonceGap)

		tn.changeProducers(f, prodset.OpAdd, f)
		tn.requireProducers(p0, p1, p2, f)
		tn.leadTo(f)
		_, irr := p0.Head()
		tn.irreversibleAtLeast(irr.Height+2, 10*time.Second)

		// The very bytes refused before, now valid: included, irreversible.
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		r, err := p0.Submit(sctx, removeF)
		require.NoError(t, err)
		carrier, err := p0.Block(r.Block)
		require.NoError(t, err)
		require.Equal(t, f.PublicKey(), carrier.Producer, "the leader included its own removal")
		_, err = p0.WaitTx(sctx, r.Hash, TxIrreversible)
		require.NoError(t, err)
		steppedDown := time.Now()
		waitFor(t, 5*time.Second, "another producer leads and raft dropped the removed one", func() bool {
			l := tn.leaderOf()
			_, listed := tn.raftServers()[f.ID()]
			return l != nil && l != f && !listed && f.engine() == nil
		})
		after := time.Now()
		tn.irreversibleAtLeast(r.Height+3, 5*time.Second)
		t.Logf("leader removed: another leads %v after the change was irreversible; irreversibility at +3 after %v",
			after.Sub(steppedDown), time.Since(steppedDown))
		require.False(t, f.Consensus().Member)
		tn.requireProducers(p0, p1, p2)
		hist.observe(t, tn)

		tn.requireRefusedEverywhere(f)
		// f would offer its block again on every reconnect; stop it.
		tn.stop(3, false)
		_, irr = p0.Head()
		tn.irreversibleAtLeast(irr.Height+3, 10*time.Second)
		hist.observe(t, tn)
	})
}

// Producer-set changes go one at a time: a change submitted while another
// is pending (in the leader's mempool, in a block that is not irreversible
// yet, or committed but not yet in raft's configuration) is refused at
// once with ErrChangePending, on the node where it was submitted. Here two
// changes that together would remove two of three producers are submitted
// at the same instant: exactly one is accepted. Once it is irreversible the
// other, submitted again as the same bytes, is refused as a replay (both
// carried change nonce 1); signed again with nonce 2 it is accepted.
func TestConcurrentChangesOneIsRefusedAtSubmit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		hist := irrHistory{}
		tn.irreversibleAtLeast(3, 10*time.Second)
		var l int
		waitFor(t, 5*time.Second, "a leader", func() bool { l = tn.leader(); return l >= 0 })
		var others []*Node
		for i := range 3 {
			if i != l {
				others = append(others, tn.specs[i].n)
			}
		}
		full := tn.specs[3].n
		txs := make([][]byte, 2)
		for i, o := range others {
			txs[i] = tn.quorumChange(full, prodset.OpRemove, o)
		}
		errs := make([]error, 2)
		receipts := make([]TxReceipt, 2)
		var wg sync.WaitGroup
		for i := range txs {
			wg.Go(func() { receipts[i], errs[i] = full.Submit(ctx, txs[i]) })
		}
		wg.Wait()
		var won, lost int
		switch {
		case errs[0] == nil && errors.Is(errs[1], ErrChangePending):
			won, lost = 0, 1
		case errs[1] == nil && errors.Is(errs[0], ErrChangePending):
			won, lost = 1, 0
		default:
			t.Fatalf("want one change accepted and one refused as pending, got %v and %v", errs[0], errs[1])
		}
		var rej *TxRejectedError
		require.ErrorAs(t, errs[lost], &rej)
		require.Equal(t, ReasonChangePending, rej.Reason)
		require.ErrorIs(t, errs[lost], ErrTxRejected)

		_, err := full.WaitTx(ctx, receipts[won].Hash, TxIrreversible)
		require.NoError(t, err)
		waitFor(t, 10*time.Second, "the first change carried out in raft", func() bool {
			_, listed := tn.raftServers()[others[won].ID()]
			return !listed && len(tn.raftServers()) == 2
		})
		// The refused change carries the nonce the first one used up.
		_, err = full.Submit(ctx, txs[lost])
		requireRejected(t, err, prodset.ReasonReplayed, "the refused change's nonce is used up")
		waitFor(t, 10*time.Second, "the full node saw the first change irreversible", func() bool {
			return full.Consensus().NextChangeNonce == 2 && len(full.Consensus().Producers) == 2
		})
		r, err := full.Submit(ctx, tn.quorumChange(full, prodset.OpRemove, others[lost]))
		require.NoError(t, err, "the other change, signed again with the next nonce")
		_, err = full.WaitTx(ctx, r.Hash, TxIrreversible)
		require.NoError(t, err)
		leader := tn.specs[l].n
		waitFor(t, 10*time.Second, "every node holds the one-producer set", func() bool {
			for _, n := range tn.running() {
				if n.set.Load().Len() != 1 {
					return false
				}
			}
			return true
		})
		tn.requireProducers(leader)
		waitFor(t, 10*time.Second, "raft has one voter left", func() bool {
			s := tn.raftServers()
			return len(s) == 1 && s[leader.ID()]
		})
		_, irr := leader.Head()
		tn.irreversibleAtLeast(irr.Height+3, 10*time.Second)
		hist.observe(t, tn)
	})
}

// A producer added by a change keeps its role across a restart from its
// pebble directory although its config says role = "full": the set in
// force at its irreversible block holds it, so it starts raft (no bootstrap
// configuration), is a voter again, and can lead.
func TestAddedProducerRestartsAsProducer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		hist := irrHistory{}
		tn.irreversibleAtLeast(3, 10*time.Second)
		f := tn.specs[3].n
		tn.changeProducers(tn.specs[0].n, prodset.OpAdd, f)
		waitFor(t, 10*time.Second, "the added node is a raft voter", func() bool { return tn.raftServers()[f.ID()] })
		hist.observe(t, tn)

		tn.stop(3, false)
		_, irr := tn.specs[0].n.Head()
		tn.irreversibleAtLeast(irr.Height+5, 10*time.Second)
		f = tn.start(3)
		require.True(t, f.Consensus().Member, "a producer again right after New and Start")
		require.NotNil(t, f.engine())
		tn.requireProducers(tn.specs[0].n, tn.specs[1].n, tn.specs[2].n, f)
		waitFor(t, 10*time.Second, "the restarted producer applies the raft log", func() bool {
			return tn.raftServers()[f.ID()] && f.engine().Status().AppliedIndex > 0
		})
		tn.leadTo(f)
		tn.irreversibleFrom(f, 0)
		hist.observe(t, tn)
	})
}

// A genesis producer that leads is removed and later added back by a
// second change: it stops its engine and follows headers like a full node,
// then starts raft again from its own database, becomes a voter, leads,
// and its blocks are irreversible everywhere.
func TestRemovedProducerIsAddedBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		hist := irrHistory{}
		tn.irreversibleAtLeast(3, 10*time.Second)
		var l int
		waitFor(t, 5*time.Second, "a leader", func() bool { l = tn.leader(); return l >= 0 })
		p := tn.specs[l].n
		full := tn.specs[3].n

		r := tn.changeProducers(full, prodset.OpRemove, p)
		waitFor(t, 10*time.Second, "the removed leader left raft", func() bool {
			_, listed := tn.raftServers()[p.ID()]
			return !listed && p.engine() == nil && tn.leaderOf() != nil
		})
		require.False(t, p.Consensus().Member)
		tn.irreversibleAtLeast(r.Height+3, 10*time.Second)
		hist.observe(t, tn)

		r = tn.changeProducers(full, prodset.OpAdd, p)
		require.True(t, p.Consensus().Member)
		waitFor(t, 10*time.Second, "the producer is a raft voter again", func() bool {
			return tn.raftServers()[p.ID()] && p.engine() != nil
		})
		var all []*Node
		for i := range 3 {
			all = append(all, tn.specs[i].n)
		}
		tn.requireProducers(all...)
		tn.leadTo(p)
		tn.irreversibleFrom(p, r.Height)
		hist.observe(t, tn)
	})
}
