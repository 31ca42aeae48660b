package cft

import (
	"crypto/ed25519"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// signedOn returns a block entry signed by key on parent, in term.
func signedOn(t *testing.T, key ed25519.PrivateKey, parent block.ID, term uint64) blockEntry {
	t.Helper()
	var pub block.PublicKey
	copy(pub[:], key.Public().(ed25519.PublicKey))
	h := block.Header{Height: parent.Height() + 1, Parent: parent, Term: term, Producer: pub, Timestamp: int64(term)}
	sig, err := h.Sign(key)
	require.NoError(t, err)
	return blockEntry{Header: &block.SignedHeader{Header: h, Signature: sig}}
}

// TestFSMAppliesOnlyEntriesSignedByAProducerInForce: with Config.ServerOf
// set, the FSM applies a block entry only if it carries a valid signed
// header whose signer is a voter of the committed configuration and whose
// term is not above the entry's raft term. Membership follows committed
// configurations: a producer added may sign, a removed one may not. Each
// refusal is ErrUnauthorizedEntry, counted in Rejected, on every member
// alike (the inputs are all in the log).
func TestFSMAppliesOnlyEntriesSignedByAProducerInForce(t *testing.T) {
	a, b := seedKey(1), seedKey(2)
	servers := map[block.PublicKey]raft.ServerID{}
	for id, k := range map[raft.ServerID]ed25519.PrivateKey{"a": a, "b": b} {
		var pub block.PublicKey
		copy(pub[:], k.Public().(ed25519.PublicKey))
		servers[pub] = id
	}
	serverOf := func(k block.PublicKey) (raft.ServerID, bool) { id, ok := servers[k]; return id, ok }
	g := idAt(1, 0)
	var got []block.ID
	f := newFSM(g, applierFunc(func(c Commit) { got = append(got, c.ID) }), serverOf)
	f.StoreConfiguration(1, conf("a"))
	index := uint64(1)
	apply := func(e blockEntry, term uint64) error {
		index++
		err, _ := f.Apply(&raft.Log{Index: index, Term: term, Data: e.encode()}).(error)
		return err
	}

	ok := signedOn(t, a, g, 2)
	require.NoError(t, apply(ok, 2))
	last := ok.Header.ID()
	require.Equal(t, []block.ID{last}, got)

	refused := map[string]blockEntry{
		"unsigned (version 1)":       {ID: idAt(3, 9), Parent: last},
		"signed by a non-member":     signedOn(t, b, last, 2),
		"header term above the term": signedOn(t, a, last, 3),
		"unknown key":                signedOn(t, seedKey(3), last, 2),
	}
	bad := signedOn(t, a, last, 2)
	bad.Header.Signature[0] ^= 1
	refused["bad signature"] = bad
	for name, e := range refused {
		err := apply(e, 2)
		require.ErrorIs(t, err, ErrUnauthorizedEntry, name)
	}
	require.Len(t, got, 1, "nothing refused was applied")
	require.EqualValues(t, len(refused), f.state().Rejected)

	// A re-proposed block of an earlier term is fine; b signs once added.
	older := signedOn(t, a, last, 1)
	require.NoError(t, apply(older, 2))
	f.StoreConfiguration(index+1, conf("a", "b"))
	byB := signedOn(t, b, older.Header.ID(), 4)
	require.NoError(t, apply(byB, 4))
	f.StoreConfiguration(index+1, conf("b"))
	require.ErrorIs(t, apply(signedOn(t, a, byB.Header.ID(), 4), 4), ErrUnauthorizedEntry, "a was removed")
	require.Equal(t, []block.ID{last, older.Header.ID(), byB.Header.ID()}, got)
}
