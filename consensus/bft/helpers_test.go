package bft

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// fixture is n producers' keys and set, for unit tests that step one
// engine by hand.
type fixture struct {
	t     *testing.T
	keys  []ed25519.PrivateKey
	pubs  []block.PublicKey
	set   *Set
	chain block.Hash
}

func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	f := &fixture{t: t, chain: sha256.Sum256([]byte("unit"))}
	for i := range n + 2 { // two spare keys: outsiders
		seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("unit-key"), uint64(i)))
		k := ed25519.NewKeyFromSeed(seed[:])
		f.keys = append(f.keys, k)
		var p block.PublicKey
		copy(p[:], k.Public().(ed25519.PublicKey))
		f.pubs = append(f.pubs, p)
	}
	var err error
	f.set, err = NewSet(f.pubs[:n])
	require.NoError(t, err)
	return f
}

func (f *fixture) config(i int) Config {
	cfg := DefaultConfig(f.chain, f.set, f.keys[i])
	cfg.LeaderTimeout, cfg.AdvanceTimeout, cfg.RetryInterval = time.Second, 2*time.Second, time.Second
	cfg.SkipAfterViews = 0
	return cfg
}

func (f *fixture) engine(i int, recs []Record) *Engine {
	f.t.Helper()
	e, err := New(f.config(i), Root{}, recs, epoch)
	require.NoError(f.t, err)
	return e
}

func (f *fixture) vote(signer int, k Kind, view uint64, id block.ID) *Vote {
	v := signVote(f.keys[signer], f.chain, k, view, id, signer)
	return &v
}

// cert makes a certificate of kind k from the given signers (a
// nullification's signers all report none; nullCert sets reports).
func (f *fixture) cert(k Kind, view uint64, id block.ID, signers ...int) *Certificate {
	c := &Certificate{Kind: k, View: view, Block: id, SetSize: f.set.Len()}
	for _, s := range signers {
		c.Signers = append(c.Signers, s)
		c.Sigs = append(c.Sigs, f.vote(s, k, view, id).Sig)
		if k == Nullify {
			c.Reports = append(c.Reports, block.ZeroID)
		}
	}
	return c
}

// nullCert makes a nullification of view whose signers report reports[s]
// (the signers are reports' keys, ascending).
func (f *fixture) nullCert(view uint64, reports map[int]block.ID) *Certificate {
	c := &Certificate{Kind: Nullify, View: view, SetSize: f.set.Len()}
	for s := range f.set.Len() {
		r, ok := reports[s]
		if !ok {
			continue
		}
		c.Signers = append(c.Signers, s)
		c.Sigs = append(c.Sigs, f.vote(s, Nullify, view, r).Sig)
		c.Reports = append(c.Reports, r)
	}
	return c
}

// block makes the leader's block of view on parent.
func (f *fixture) block(view uint64, parent block.ID, salt int64) Block {
	leader := f.set.Leader(view)
	h := block.Header{Height: parent.Height() + 1, Parent: parent, Term: view, Producer: f.pubs[leader], Timestamp: salt}
	return Block{ID: h.ID(), Parent: parent, View: view, Producer: h.Producer}
}

// votesOf returns the votes in rd's messages.
func votesOf(rd Ready) []Vote {
	var out []Vote
	for _, m := range rd.Messages {
		if m.Vote != nil {
			out = append(out, *m.Vote)
		}
	}
	return out
}

// take returns the engine's Ready and advances it, checking that every
// vote it sends is covered by a record of the same batch or recs.
func take(t *testing.T, e *Engine, recs *[]Record) Ready {
	t.Helper()
	rd := e.Ready()
	*recs = append(*recs, rd.Persist...)
	for _, v := range votesOf(rd) {
		store := memStore{recs: *recs}
		require.True(t, store.covers(v), "vote %s sent without its record", &v)
	}
	e.Advance()
	return rd
}
