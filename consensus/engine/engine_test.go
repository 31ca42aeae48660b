package engine

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftrun"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
)

// fakeHost is a Host whose node is never a member: the engines must not
// start anything for it.
type fakeHost struct{ member bool }

func (fakeHost) Build(context.Context, Build) (*block.Block, error) { return nil, context.Canceled }
func (fakeHost) Add(context.Context, *block.Block) error            { return nil }
func (fakeHost) Timestamp(context.Context, block.ID) (time.Time, bool, error) {
	return time.Time{}, false, nil
}
func (fakeHost) Stored(context.Context) ([]*block.Block, error) { return nil, nil }
func (fakeHost) SetAfter(block.ID) ([]block.PublicKey, error)   { return nil, bftrun.ErrUnknownBlock }
func (h fakeHost) Member() bool                                 { return h.member }
func (fakeHost) Irreversible() block.SignedHeader               { return block.SignedHeader{} }
func (fakeHost) Producers() []block.PublicKey                   { return nil }

// fakeChain is a Chain over a set of stored ids.
type fakeChain struct {
	irr    block.ID
	stored map[block.ID]bool
}

func (c *fakeChain) IrreversibleID() block.ID     { return c.irr }
func (c *fakeChain) Has(id block.ID) bool         { return c.stored[id] }
func (c *fakeChain) Above() []*block.Block        { return nil }
func (c *fakeChain) Producers() []block.PublicKey { return nil }

func idAt(height uint64, tag byte) block.ID {
	var id block.ID
	binary.BigEndian.PutUint64(id[:8], height)
	id[8] = tag
	return id
}

func blockOf(height uint64, irr block.ID) *block.Block {
	b := &block.Block{}
	b.Height = height
	b.Irreversible = irr
	return b
}

// Every engine, on a node that is not a producer, runs nothing, names no
// leader, takes no transactions and decides nothing on an empty chain;
// Stop works before Start, and Start after Stop stays a no-op.
func TestEnginesOnANonProducer(t *testing.T) {
	engines := map[string]Engine{
		"solo": &Solo{},
		"cft":  NewCFT(CFTConfig{Self: "self"}, fakeHost{}),
		"bft":  NewBFT(BFTConfig{}, fakeHost{}),
	}
	for name, e := range engines {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, e.Start(nil))
			require.False(t, e.Running())
			_, ok := e.Leader()
			require.False(t, ok, "no view of a leader")
			require.False(t, e.Leading())
			require.Zero(t, e.PendingChanges())
			require.Equal(t, Status{}, e.Status())
			c := &fakeChain{stored: map[block.ID]bool{}}
			require.Equal(t, Follow{}, e.Drain(c))
			require.NoError(t, e.Stop(true))
			require.NoError(t, e.Start(nil))
			require.False(t, e.Running(), "no start after Stop")
		})
	}
}

// The solo producer takes transactions and is always producing.
func TestSoloProducerLeads(t *testing.T) {
	s := &Solo{Producer: true}
	require.True(t, s.Leading())
	require.True(t, s.Running())
	require.True(t, s.Status().Producing)
}

// Under CFT a block is irreversible once it is committed (by raft, or by
// a later header's Irreversible field) and its body is stored: the gate.
func TestCFTMakesACommittedBlockIrreversibleOnceItsBodyArrived(t *testing.T) {
	e := NewCFT(CFTConfig{Self: "self"}, fakeHost{})
	c := &fakeChain{irr: idAt(1, 0), stored: map[block.ID]bool{}}
	blk2, blk3 := blockOf(2, c.irr), blockOf(3, c.irr)
	b2, b3 := blk2.ID(), blk3.ID()

	e.commits.Commit(cft.Commit{ID: b3})
	select {
	case <-e.Signal():
	default:
		t.Fatal("a commit must wake the loop")
	}
	require.Empty(t, e.Drain(c).Irreversible, "committed, body missing")
	require.Empty(t, e.Arrived(c, blk2).Irreversible, "an uncommitted body")
	require.Equal(t, []block.ID{b3}, e.Arrived(c, blk3).Irreversible, "committed and stored")
	c.irr = b3

	// A full node: a header's claim commits its block.
	blk4 := blockOf(4, b3)
	require.Empty(t, e.Arrived(c, blk4).Irreversible)
	require.Equal(t, []block.ID{blk4.ID()}, e.Arrived(c, blockOf(5, blk4.ID())).Irreversible, "block 5's header says 4 is irreversible")
	c.irr = blk4.ID()

	e.commits.Commit(cft.Commit{ID: b2})
	require.Empty(t, e.Drain(c).Irreversible, "raft replays its log after a restart: below the irreversible block")
}

// Under BFT only certificates make blocks final: Drain pins the notarized
// blocks that are stored above the irreversible one, and nothing a header
// claims moves irreversibility.
func TestBFTPinsOnlyStoredNotarizedBlocks(t *testing.T) {
	e := NewBFT(BFTConfig{}, fakeHost{})
	b2, b3 := idAt(2, 1), idAt(3, 1)
	c := &fakeChain{irr: idAt(1, 0), stored: map[block.ID]bool{b2: true}}
	e.fin.Commit(bftrun.Commit{ID: b2})
	e.fin.Commit(bftrun.Commit{ID: b3})
	require.Equal(t, Follow{Pin: []block.ID{b2}}, e.Drain(c))

	e.fin.Commit(bftrun.Commit{ID: b3, Final: true})
	require.Empty(t, e.Drain(c).Irreversible, "final but not stored yet")
	c.stored[b3] = true
	require.Equal(t, []block.ID{b3}, e.Drain(c).Irreversible)
}

// A block's change transactions become raft server changes, in order.
func TestRaftChangesMapAddsAndRemoves(t *testing.T) {
	k := newKey(t)
	id, err := peer.IDFromPrivateKey(k)
	require.NoError(t, err)
	add, err := prodset.EncodeTx(prodset.Change{Op: prodset.OpAdd, Peer: string(id), Nonce: 1}, nil)
	require.NoError(t, err)
	rm, err := prodset.EncodeTx(prodset.Change{Op: prodset.OpRemove, Peer: string(id), Nonce: 2}, nil)
	require.NoError(t, err)
	got := RaftChanges([][]byte{add, []byte("kv"), rm})
	sid := raft.ServerID(id.String())
	require.Equal(t, []cft.Change{{Op: cft.OpAdd, ID: sid, Addr: cft.ServerAddress(link.PeerID(id))}, {Op: cft.OpRemove, ID: sid}}, got)
}

// TestRaftServerOfIsThePeerID: the FSM's signer check maps a producer's
// block-signing key to the raft server id its peer id gives.
func TestRaftServerOfIsThePeerID(t *testing.T) {
	k := newKey(t)
	id, err := peer.IDFromPrivateKey(k)
	require.NoError(t, err)
	pub, err := prodset.PeerKey(string(id))
	require.NoError(t, err)
	got, ok := ServerOf(pub)
	require.True(t, ok)
	require.Equal(t, raft.ServerID(id.String()), got)
}

func newKey(t *testing.T) crypto.PrivKey {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	require.NoError(t, err)
	return k
}

// consensus.bft_leader_timeout sets the leader timeout and the timers that
// follow from it; 0 keeps bft's defaults.
func TestBFTLeaderTimeoutSetsTheViewTimers(t *testing.T) {
	def := bft.DefaultConfig(block.Hash{}, nil, nil)
	require.Equal(t, def, Timeouts(def, 0), "0 keeps the defaults")

	c := Timeouts(def, 300*time.Millisecond)
	require.Equal(t, 300*time.Millisecond, c.LeaderTimeout)
	require.Equal(t, 600*time.Millisecond, c.AdvanceTimeout, "a proposal without a notarization gets twice as long")
	require.Equal(t, 300*time.Millisecond, c.RetryInterval)
	require.Equal(t, def.SkipAfterViews, c.SkipAfterViews, "nothing else changes")
}
