package node

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
	"github.com/blockwire/blockwire/transport/submit"
)

// rogue is a bare host on the test network with its own transport: it
// routes transactions to a node directly, skipping every check an honest
// node makes before it sends one, or sends blocks.
type rogue struct {
	t       *testing.T
	h       *link.MemHost
	tr      *transport.Transport
	answers chan *submit.Answer
	closed  chan error
}

func (tn *testNet) newRogue() *rogue {
	t := tn.t
	t.Helper()
	key := newKey(t)
	id, err := peer.IDFromPrivateKey(key)
	require.NoError(t, err)
	raw, err := key.Raw()
	require.NoError(t, err)
	cfg := transport.DefaultConfig()
	cfg.Route.Key = ed25519.PrivateKey(raw)
	cfg.Route.ReplyClasses = []route.Class{route.ClassTransaction}
	r := &rogue{t: t, answers: make(chan *submit.Answer, 16), closed: make(chan error, 16)}
	r.tr, err = transport.New(cfg)
	require.NoError(t, err)
	r.tr.HandleReplies(route.ClassTransaction, func(rep transport.Reply) {
		if a, err := submit.DecodeAnswer(rep.Payload); err == nil {
			r.answers <- a
		}
	})
	r.h, err = tn.mem.NewHost(id, link.DefaultConnConfig(), link.HandlerFuncs{
		OnConnected: r.tr.AddLink,
		OnReceive: func(l link.Link, lane link.Lane, msg []byte) {
			if lane == link.LaneConsensus || lane == link.LaneRouting {
				_ = r.tr.Receive(l, msg)
			}
		},
		OnDisconnected: func(l link.Link, err error) {
			r.tr.RemoveLink(l)
			r.closed <- err
		},
	}, zerolog.Nop())
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = r.h.Close()
		_ = r.tr.Close()
	})
	return r
}

// relay routes tx to n as a submit and returns the node's answer.
func (r *rogue) relay(n *Node, tx []byte) *submit.Answer {
	r.t.Helper()
	_, err := r.h.Connect(context.Background(), peer.AddrInfo{ID: n.ID()})
	require.NoError(r.t, err)
	waitFor(r.t, 5*time.Second, "a route to the node", func() bool { _, ok := r.tr.NextHop(n.rid); return ok })
	_, err = r.tr.Send(n.rid, route.ClassTransaction, submit.EncodeSubmit(tx))
	require.NoError(r.t, err)
	select {
	case rep := <-r.answers:
		return rep
	case <-time.After(10 * time.Second):
		r.t.Fatal("no answer to the routed submit")
		return nil
	}
}

// sendBlockOpen sends b to n over the blocks lane and does not wait.
func (r *rogue) sendBlockOpen(n *Node, b *block.Block) {
	r.t.Helper()
	l, err := r.h.Connect(context.Background(), peer.AddrInfo{ID: n.ID()})
	require.NoError(r.t, err)
	require.NoError(r.t, l.Send(link.LaneBlocks, blocksync.Encode(&blocksync.Block{Block: b})))
}

// forge makes the block a producer that skips the App's checks would make:
// tx on n's head, signed with key.
func forge(t *testing.T, n *Node, key crypto.PrivKey, tx []byte) *block.Block {
	t.Helper()
	raw, err := key.Raw()
	require.NoError(t, err)
	var blk *block.Block
	require.NoError(t, n.call(context.Background(), func() {
		head := n.chain.Head()
		root, ok := n.chain.StateRoot(head.ID())
		require.True(t, ok)
		blk, err = block.Seal(block.Header{Height: head.Height + 1, Parent: head.ID(), Term: head.Term,
			Timestamp: time.Now().UnixNano(), StateRoot: root, ProducerSet: n.setForBuild(block.ID{}).Hash(),
			Irreversible: head.Irreversible}, [][]byte{tx}, nil, ed25519.PrivateKey(raw))
	}))
	require.NoError(t, err)
	return blk
}

// Issue 10: a producer-set change without the authority of a quorum of the
// producers in force is refused, with its reason, through every entry
// point: Submit on any node (full node, follower, leader), a relayed submit
// that reaches a follower or the leader directly, and a block a producer
// signs with it (every node's App refuses the block). Cases: unsigned, the
// unsigned version 2, one signature of three, signed by non-producers,
// signed by a removed producer, an applied change replayed. On the old
// code every one of these changes was accepted.
func TestUnauthorisedChangesAreRefusedAtEveryEntryPoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		var l int
		waitFor(t, 5*time.Second, "a leader", func() bool { l = tn.leader(); return l >= 0 })
		leader, full := tn.specs[l].n, tn.specs[3].n
		var followers []*Node
		for i := range 3 {
			if i != l {
				followers = append(followers, tn.specs[i].n)
			}
		}
		outsider := newKey(t)
		leaderKey := tn.keyOf(leader)

		refused := func(name string, tx []byte, want prodset.Reason) {
			t.Helper()
			for _, n := range tn.running() {
				_, err := n.Submit(ctx, tx)
				requireRejected(t, err, want, "%s: Submit on %s", name, n.cfg.Node.Name)
			}
			for _, n := range []*Node{followers[0], leader} {
				rep := tn.newRogue().relay(n, tx)
				require.Equal(t, submit.Rejected, rep.Code, "%s: relayed to %s: %s", name, n.cfg.Node.Name, rep.Detail)
				require.True(t, strings.HasPrefix(rep.Detail, string(want)+": "), "%s: relayed to %s: %s", name, n.cfg.Node.Name, rep.Detail)
			}
			// In a block signed by the leader: the App refuses it with the
			// reason, and a node that receives it refuses the block.
			blk := forge(t, followers[0], leaderKey, tx)
			var err error
			require.NoError(t, followers[0].call(ctx, func() { _, err = followers[0].chain.Add(blk) }))
			require.Equal(t, chain.ReasonBadTx, chain.ReasonOf(err), "%s: %v", name, err)
			var te *chain.TxError
			require.ErrorAs(t, err, &te, name)
			require.Equal(t, string(want), te.Reason, name)
			// Relayed by a node that is not its signer: the relay may
			// have forwarded it before executing it, so the refusal is
			// the signer's fault and the relay keeps its link.
			before := full.Counters().Rejected["bad-tx"]
			blk = forge(t, full, leaderKey, tx)
			r := tn.newRogue()
			r.sendBlockOpen(full, blk)
			waitFor(t, 10*time.Second, "the refusal", func() bool { return full.Counters().Rejected["bad-tx"] == before+1 })
			select {
			case err := <-r.closed:
				require.Fail(t, "the relay lost its link", "%s: %v", name, err)
			default:
			}
			_, err = full.Block(blk.ID())
			require.Error(t, err, "%s: the full node stored the block", name)
		}

		f := full
		nonce := full.Consensus().NextChangeNonce
		require.Equal(t, uint64(1), nonce)
		refused("unsigned", tn.signedChange(prodset.OpAdd, f, nonce), prodset.ReasonUnsigned)
		refused("version 2", []byte(prodset.LegacyTxPrefix+"\x01\x05abcde\x05abcde\x07"), prodset.ReasonUnsigned)
		refused("one of three", tn.signedChange(prodset.OpAdd, f, nonce, followers[0]), prodset.ReasonNoQuorum)
		nonProducers, err := ChangeProducersTx(tn.genesis.ID(), prodset.OpAdd, f.ID(), nonce, tn.keyOf(full), outsider)
		require.NoError(t, err)
		refused("non-producers", nonProducers, prodset.ReasonSignerNotProducer)
		withOutsider, err := ChangeProducersTx(tn.genesis.ID(), prodset.OpAdd, f.ID(), nonce, tn.keyOf(leader), tn.keyOf(followers[0]), outsider)
		require.NoError(t, err)
		refused("a quorum and an outsider", withOutsider, prodset.ReasonSignerNotProducer)
		otherChain, err := ChangeProducersTx(block.ID{1}, prodset.OpAdd, f.ID(), nonce, tn.keyOf(leader), tn.keyOf(followers[0]))
		require.NoError(t, err)
		refused("signed for another chain", otherChain, prodset.ReasonBadSignature)
		require.Equal(t, 3, len(leader.Consensus().Producers), "no change took effect")

		// An authorised removal of a follower, then its replay and a change
		// the removed producer signs.
		removed := followers[1]
		rm := tn.signedChange(prodset.OpRemove, removed, 1, leader, followers[0])
		r, err := full.Submit(ctx, rm)
		require.NoError(t, err)
		_, err = full.WaitTx(ctx, r.Hash, TxIrreversible)
		require.NoError(t, err)
		waitFor(t, 10*time.Second, "every node holds the two-producer set", func() bool {
			for _, n := range tn.running() {
				if n.Consensus().NextChangeNonce != 2 || n.set.Load().Has(removed.ID()) {
					return false
				}
			}
			return true
		})
		followers = followers[:1]
		// The same change and nonce with another set of signatures: other
		// bytes, the same authority, used up.
		refused("replayed", tn.signedChange(prodset.OpRemove, removed, 1, leader, followers[0], removed), prodset.ReasonReplayed)
		refused("signed by a removed producer", tn.signedChange(prodset.OpAdd, f, 2, leader, removed), prodset.ReasonSignerNotProducer)
		// The very bytes applied before, in a block: refused as a replay.
		blk := forge(t, leader, leaderKey, rm)
		require.NoError(t, leader.call(ctx, func() { _, err = leader.chain.Add(blk) }))
		var te *chain.TxError
		require.ErrorAs(t, err, &te)
		require.Equal(t, string(prodset.ReasonReplayed), te.Reason)

		// Properly authorised, the add goes through.
		tn.changeProducers(full, prodset.OpAdd, f)
		require.Equal(t, RoleProducer, f.Role())
		waitFor(t, 10*time.Second, "the added node is a raft voter", func() bool { return tn.raftServers()[f.ID()] })
	})
}

// A submit that reaches a producer again after its change was applied —
// these very bytes, a re-send or a retry of the accepted submit whose
// answer or block had not reached the submitter yet — is not a replay: the
// change in the chain is this one. Every producer, leader or not, answers
// it as the leader's accept does (taken: the submitter sees it in the
// chain), and only other bytes at an applied nonce are refused as
// replayed. Before, a follower checked the change against its state
// alone and answered "replayed-change", and the waiting Submit failed for
// a transaction in the chain (CI: TestUnauthorisedChangesAreRefusedAtEveryEntryPoint).
func TestAnAppliedChangeSentAgainIsNotAReplay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		var l int
		waitFor(t, 5*time.Second, "a leader", func() bool { l = tn.leader(); return l >= 0 })
		leader, full := tn.specs[l].n, tn.specs[3].n
		follower := tn.specs[(l+1)%3].n
		rm := tn.signedChange(prodset.OpRemove, tn.specs[(l+2)%3].n, 1, leader, follower)
		r, err := full.Submit(ctx, rm)
		require.NoError(t, err)
		_, err = full.WaitTx(ctx, r.Hash, TxIrreversible)
		require.NoError(t, err)
		waitFor(t, 10*time.Second, "the change applied on every node", func() bool {
			for _, n := range tn.running() {
				if n.Consensus().NextChangeNonce != 2 {
					return false
				}
			}
			return true
		})
		for _, n := range []*Node{follower, leader} {
			rep := tn.newRogue().relay(n, rm)
			require.Equal(t, submit.Accepted, rep.Code, "the applied change relayed to %s: %s", n.cfg.Node.Name, rep.Detail)
		}
		for _, n := range tn.running() {
			got, err := n.Submit(ctx, rm)
			require.NoError(t, err, "Submit on %s", n.cfg.Node.Name)
			require.Equal(t, TxIrreversible, got.State, "Submit on %s", n.cfg.Node.Name)
		}
		// Other bytes (a third signature) at the applied nonce: a replay.
		replay := tn.signedChange(prodset.OpRemove, tn.specs[(l+2)%3].n, 1, leader, follower, tn.specs[(l+2)%3].n)
		rep := tn.newRogue().relay(follower, replay)
		require.Equal(t, submit.Rejected, rep.Code)
		require.True(t, strings.HasPrefix(rep.Detail, string(prodset.ReasonReplayed)+": "), rep.Detail)
	})
}

// Issue 12 item 4: the effective role is the producer set's, not the
// config's. A full node a change added says "producer" (status and
// Role) and, restarted with role = "producer" in its config, starts as a
// producer; a genesis producer a change removed says "full" and, restarted
// with its unchanged role = "producer" config, starts cleanly as a full
// node: no raft engine, not a member, following irreversibility.
func TestEffectiveRoleFollowsTheProducerSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		var l int
		waitFor(t, 5*time.Second, "a leader", func() bool { l = tn.leader(); return l >= 0 })
		ri := (l + 1) % 3
		full, rm := tn.specs[3].n, tn.specs[ri].n
		require.Equal(t, RoleFull, full.Status().Role)

		tn.changeProducers(full, prodset.OpAdd, full)
		require.Equal(t, RoleProducer, full.Status().Role, "added: effective role")
		require.Equal(t, RoleFull, full.Status().ConfigRole)
		waitFor(t, 10*time.Second, "the added node is a raft voter", func() bool { return tn.raftServers()[full.ID()] })
		tn.changeProducers(full, prodset.OpRemove, rm)
		require.Equal(t, RoleFull, rm.Status().Role, "removed: effective role")
		require.Equal(t, RoleProducer, rm.Status().ConfigRole)
		waitFor(t, 10*time.Second, "raft dropped the removed producer", func() bool {
			_, listed := tn.raftServers()[rm.ID()]
			return !listed && rm.engine() == nil
		})

		tn.stop(3, false)
		tn.specs[3].producer = true // its config now says role = "producer"
		full = tn.start(3)
		require.Equal(t, RoleProducer, full.Status().Role)
		require.Equal(t, RoleProducer, full.Status().ConfigRole)
		require.NotNil(t, full.engine())
		waitFor(t, 10*time.Second, "the added producer is a voter again", func() bool {
			return tn.raftServers()[full.ID()] && full.engine().Status().AppliedIndex > 0
		})

		tn.stop(ri, false)
		rm = tn.start(ri)
		require.Equal(t, RoleFull, rm.Status().Role)
		require.Equal(t, RoleProducer, rm.Status().ConfigRole)
		require.Nil(t, rm.engine(), "no raft engine on a removed producer")
		require.False(t, rm.Consensus().Member)
		_, irr := tn.specs[l].n.Head()
		tn.irreversibleAtLeast(irr.Height+3, 10*time.Second)
		require.Nil(t, rm.engine())
		_, listed := tn.raftServers()[rm.ID()]
		require.False(t, listed)
	})
}
