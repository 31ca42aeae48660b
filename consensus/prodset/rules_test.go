package prodset

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// idAt is an id of the given height (the id embeds it big-endian in its
// first 8 bytes).
func idAt(height uint64, tag byte) block.ID {
	var id block.ID
	binary.BigEndian.PutUint64(id[:8], height)
	id[8] = tag
	return id
}

// "A change takes effect once its block is irreversible, and the header
// says which block its producer held irreversible": the set after that
// block governs the header, exactly — unless the node pruned it.
func TestTheSetAfterTheHeadersIrreversibleBlockGovernsIt(t *testing.T) {
	irr := idAt(10, 1)
	h := &block.Header{Irreversible: idAt(12, 2)}
	at, ok := HeaderSetAt(h, irr)
	require.True(t, ok)
	require.Equal(t, h.Irreversible, at, "a header that names a block at or above ours: that block's set")

	h.Irreversible = irr
	at, ok = HeaderSetAt(h, irr)
	require.True(t, ok)
	require.Equal(t, irr, at, "our own irreversible block still has its state")

	h.Irreversible = idAt(9, 3)
	_, ok = HeaderSetAt(h, irr)
	require.False(t, ok, "below our irreversible block the state is pruned: the set in force here governs")
}

// A block being built names as irreversible this node's block, or its
// parent's view when that is newer (chain.Builder): the set after that
// block is the one it carries.
func TestABuiltBlockCarriesTheSetAfterTheBlockItWillNameIrreversible(t *testing.T) {
	irr := idAt(10, 1)
	require.Equal(t, irr, BuildSetAt(nil, irr), "unknown parent: ours")
	require.Equal(t, irr, BuildSetAt(&block.Header{Irreversible: idAt(8, 2)}, irr), "an older parent view: ours")
	newer := idAt(11, 3)
	require.Equal(t, newer, BuildSetAt(&block.Header{Irreversible: newer}, irr), "a newer parent view wins")
}

func TestCheckProducerReasons(t *testing.T) {
	a, b, c := newSigner(t), newSigner(t), newSigner(t)
	genesis := setOf(t, a, b)
	now := setOf(t, a, c) // b removed, c added

	h := &block.Header{Producer: a.pub, ProducerSet: now.Hash()}
	r, err := CheckProducer(h, now, true, genesis)
	require.NoError(t, err)
	require.Empty(t, r, "a member naming the set in force")

	h.Producer = b.pub
	r, err = CheckProducer(h, now, true, genesis)
	require.Equal(t, ReasonUnknownProducer, r)
	require.ErrorContains(t, err, "was removed from the producer set", "a genesis producer a change removed")

	h.Producer = newSigner(t).pub
	r, err = CheckProducer(h, now, true, genesis)
	require.Equal(t, ReasonUnknownProducer, r)
	require.ErrorContains(t, err, "is not in the producer set", "a key never in the set")

	h.Producer, h.ProducerSet = c.pub, genesis.Hash()
	r, err = CheckProducer(h, now, true, genesis)
	require.Equal(t, ReasonBadProducerSet, r, "a member naming another set, where the set is known exactly")
	require.Error(t, err)

	r, err = CheckProducer(h, now, false, genesis)
	require.NoError(t, err, "not exact (the governing block was pruned): the set hash cannot be checked")
	require.Empty(t, r)
}

// A node joins when the set in force takes it in and leaves when it drops
// it; a solo chain's producer never changes.
func TestRoleTransitions(t *testing.T) {
	a, b := newSigner(t), newSigner(t)
	withA, withoutA := setOf(t, a, b), setOf(t, b)
	for _, tc := range []struct {
		solo, producer bool
		next           *Set
		want           Transition
	}{
		{false, false, withA, Join},
		{false, true, withA, Stay},
		{false, true, withoutA, Leave},
		{false, false, withoutA, Stay},
		{true, true, withoutA, Stay},
		{true, false, withA, Stay},
	} {
		require.Equal(t, tc.want, RoleTransition(tc.solo, tc.producer, tc.next, a.peer), "solo %v producer %v", tc.solo, tc.producer)
	}
	require.Equal(t, "join", Join.String())
}

// Changes keeps the well-formed change transactions of a block in order
// and skips everything else.
func TestChangesOfABlock(t *testing.T) {
	a, b := newSigner(t), newSigner(t)
	add, err := EncodeTx(Change{Op: OpAdd, Peer: b.peer, Nonce: 1}, nil)
	require.NoError(t, err)
	rm, err := EncodeTx(Change{Op: OpRemove, Peer: a.peer, Nonce: 2}, nil)
	require.NoError(t, err)
	got := Changes([][]byte{[]byte("kv"), add, []byte(TxPrefix + "\x09"), rm})
	require.Equal(t, []Change{{Op: OpAdd, Peer: b.peer, Nonce: 1}, {Op: OpRemove, Peer: a.peer, Nonce: 2}}, got)
}

// One change at a time: the first place a change still waits is named.
func TestPendingChangeNamesWhereTheChangeWaits(t *testing.T) {
	a := newSigner(t)
	change, err := EncodeTx(Change{Op: OpRemove, Peer: a.peer, Nonce: 1}, nil)
	require.NoError(t, err)
	hash := func(tx []byte) string { return "h" + string(rune('0'+len(tx)%10)) }
	best := []PendingBlock{{ID: idAt(12, 1), Txs: [][]byte{[]byte("kv")}}, {ID: idAt(11, 2), Txs: [][]byte{change}}}

	require.Equal(t, "change abc is waiting in the leader's mempool", PendingChange("abc", best, 1, hash))
	require.Contains(t, PendingChange("", best, 1, hash), "is not irreversible yet")
	require.Contains(t, PendingChange("", best, 1, hash), idAt(11, 2).String())
	require.Equal(t, "1 committed change(s) not yet in raft's configuration", PendingChange("", best[:1], 1, hash))
	require.Empty(t, PendingChange("", best[:1], 0, hash))
}
