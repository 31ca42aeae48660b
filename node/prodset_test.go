package node

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodapp"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node/producers"
)

func isVoter(conf raft.Configuration, n *Node) bool {
	for _, s := range conf.Servers {
		if s.ID == raft.ServerID(n.ID().String()) {
			return s.Suffrage == raft.Voter
		}
	}
	return false
}

// leaderOf returns the running node that leads raft, nil if none does.
func (tn *testNet) leaderOf() *Node {
	for _, n := range tn.running() {
		if e := n.engine(); e != nil && e.Status().State == raft.Leader.String() {
			return n
		}
	}
	return nil
}

// Three producers and a full node. A change transaction submitted to the
// full node adds it: once the block is irreversible every node holds the
// new set, the full node starts raft and becomes a voter, and after a
// leadership transfer it produces blocks that every node makes
// irreversible. Then a change removes producer p1: its engine stops, raft
// drops it, and a block p1 signs afterwards is refused by every other node
// ("unknown-producer", removed from the set).
func TestProducerSetChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		f := tn.specs[3].n

		// Invalid changes are rejected: removing a non-producer.
		_, err := f.Submit(ctx, tn.quorumChange(f, prodset.OpRemove, f))
		requireRejected(t, err, prodset.ReasonBadChange)
		require.ErrorContains(t, err, "not a producer")

		add := tn.quorumChange(f, prodset.OpAdd, f)
		r, err := f.Submit(ctx, add)
		require.NoError(t, err)
		_, err = f.WaitTx(ctx, r.Hash, TxIrreversible)
		require.NoError(t, err)

		waitFor(t, 10*time.Second, "every node holds the 4-producer set", func() bool {
			for _, n := range tn.running() {
				if !n.set.Load().Has(f.ID()) {
					return false
				}
			}
			return true
		})
		var recorded bool
		n0 := tn.specs[0].n
		require.NoError(t, n0.call(ctx, func() { _, recorded, err = n0.chain.IrreversibleState().Get(ProducerSetKey) }))
		require.NoError(t, err)
		require.True(t, recorded, "the set is recorded in state")
		waitFor(t, 10*time.Second, "the full node is a raft voter", func() bool {
			e, l := f.engine(), tn.leaderOf()
			if e == nil || l == nil {
				return false
			}
			conf, err := l.engine().Configuration()
			return err == nil && isVoter(conf, f) && e.Status().AppliedIndex > 0
		})

		// Hand leadership to the new producer.
		waitFor(t, 20*time.Second, "the new producer leads", func() bool {
			l := tn.leaderOf()
			if l == f {
				return true
			}
			if l != nil {
				_ = l.engine().TransferLeadershipTo(raft.ServerID(f.ID().String()), raftAddr(f))
			}
			return false
		})
		tn.irreversibleFrom(f, 0)
		after := uint64(0)
		for _, n := range tn.running() {
			_, irr := n.Head()
			after = max(after, irr.Height)
			require.Zero(t, n.Counters().Rejected["unknown-producer"], "no block refused so far")
		}
		tn.irreversibleAtLeast(after+3, 10*time.Second)

		// Remove p1.
		p1 := tn.specs[1].n
		rm := tn.quorumChange(tn.specs[0].n, prodset.OpRemove, p1)
		r, err = tn.specs[0].n.Submit(ctx, rm)
		require.NoError(t, err)
		_, err = tn.specs[0].n.WaitTx(ctx, r.Hash, TxIrreversible)
		require.NoError(t, err)
		waitFor(t, 10*time.Second, "p1 left the set everywhere and raft", func() bool {
			for _, n := range tn.running() {
				if n.set.Load().Has(p1.ID()) {
					return false
				}
			}
			l := tn.leaderOf()
			if l == nil || p1.engine() != nil {
				return false
			}
			conf, err := l.engine().Configuration()
			return err == nil && len(conf.Servers) == 3 && !isVoter(conf, p1)
		})
		tn.irreversibleAtLeast(r.Height+2, 10*time.Second)

		// p1 signs a block on its head anyway and disseminates it.
		var forged *block.Block
		require.NoError(t, p1.call(ctx, func() {
			head := p1.chain.Head()
			forged, err = p1.build(head.Term, block.ID{}, time.Now())
		}))
		require.NoError(t, err)
		require.Equal(t, p1.PublicKey(), forged.Producer)
		for i, sp := range tn.specs {
			if i == 1 {
				continue
			}
			n := sp.n
			var reason string
			var cerr error
			require.NoError(t, n.call(ctx, func() { reason, cerr = n.checkProducer(forged) }))
			require.Equal(t, "unknown-producer", reason, sp.name)
			require.ErrorContains(t, cerr, "was removed from the producer set", sp.name)
		}
		waitFor(t, 10*time.Second, "every other node refused p1's block", func() bool {
			for i, sp := range tn.specs {
				if i != 1 && sp.n.Counters().Rejected["unknown-producer"] == 0 {
					return false
				}
			}
			return true
		})
		for i, sp := range tn.specs {
			if i == 1 {
				continue
			}
			_, err := sp.n.Block(forged.ID())
			require.Error(t, err, "%s stored the removed producer's block", sp.name)
		}
		// The removed producer's raft is refused like any outsider's
		// (issue 10): each producer charges it until it is banned.
		var producers []*Node
		for i, sp := range tn.specs {
			if i != 1 {
				producers = append(producers, sp.n)
			}
		}
		raftAttack(t, true, producers, routedRaft(t, p1), p1.ID())

		// p1 would offer its block again on every reconnect; stop it. The
		// chain goes on under the remaining three producers.
		tn.stop(1, false)
		_, irr := tn.specs[0].n.Head()
		tn.irreversibleAtLeast(irr.Height+3, 10*time.Second)
	})
}

// The App wrapper refuses KV writes under the node's reserved prefix, the
// unsigned version 2 change and malformed changes, at Submit's stateless
// check and when executing.
func TestProducerAppRefusesReservedWritesAndUnsignedChanges(t *testing.T) {
	k := newKey(t)
	id, err := peer.IDFromPrivateKey(k)
	require.NoError(t, err)
	pk, err := prodset.PeerKey(string(id))
	require.NoError(t, err)
	gen, err := producers.Genesis([]block.PublicKey{pk}, []link.PeerID{id})
	require.NoError(t, err)

	v := prodapp.Validator(nil)
	require.NoError(t, v(kvTx("a", "b")))
	legacy := []byte(prodset.LegacyTxPrefix + "\x02\x05abcde\x01")
	var te *chain.TxError
	require.ErrorAs(t, v(legacy), &te)
	require.Equal(t, string(prodset.ReasonUnsigned), te.Reason)
	require.ErrorAs(t, v([]byte(prodset.TxPrefix+"\x09")), &te)
	require.Equal(t, "malformed", te.Reason)

	kv := chain.DefaultKVLimits()
	app := prodapp.New(chain.NewKV(kv), gen.Set(), block.ID{}, prodset.Quorum{}, &kv)
	ex, err := app.StartBlock(nil, &block.Header{})
	require.NoError(t, err)
	for _, key := range [][]byte{ProducerSetKey, prodset.NonceKey, []byte("\x00blockwire/other")} {
		err = ex.ApplyTx(chain.AppendKVTx(nil, chain.KVOp{Kind: chain.KVSet, Key: key, Value: []byte("x")}))
		require.ErrorContains(t, err, "reserved-key")
	}
	require.ErrorAs(t, ex.ApplyTx(legacy), &te)
	require.Equal(t, string(prodset.ReasonUnsigned), te.Reason)
}
