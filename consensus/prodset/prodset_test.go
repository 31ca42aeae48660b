package prodset

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"testing/quick"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

type signer struct {
	key  ed25519.PrivateKey
	pub  block.PublicKey
	peer string
}

func newSigner(t *testing.T) signer {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	var k block.PublicKey
	copy(k[:], pub)
	return signer{key: key, pub: k, peer: PeerOfKey(k)}
}

func setOf(t *testing.T, ss ...signer) *Set {
	t.Helper()
	ms := make([]Member, len(ss))
	for i, s := range ss {
		ms[i] = Member{Key: s.pub, Peer: s.peer}
	}
	set, err := NewSet(ms)
	require.NoError(t, err)
	return set
}

// mapState is a State over a map.
type mapState map[string][]byte

func (m mapState) Get(k []byte) ([]byte, bool, error) { v, ok := m[string(k)]; return v, ok, nil }

func TestPeerIDsMatchLibp2p(t *testing.T) {
	for range 20 {
		_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
		require.NoError(t, err)
		id, err := peer.IDFromPublicKey(pub)
		require.NoError(t, err)
		raw, err := pub.Raw()
		require.NoError(t, err)
		k, err := PeerKey(string(id))
		require.NoError(t, err)
		require.Equal(t, raw, k[:])
		require.Equal(t, string(id), PeerOfKey(k))
		require.Equal(t, id.String(), PeerString(string(id)))
	}
	_, secpPub, err := crypto.GenerateSecp256k1Key(rand.Reader)
	require.NoError(t, err)
	other, err := peer.IDFromPublicKey(secpPub)
	require.NoError(t, err)
	_, err = PeerKey(string(other))
	require.ErrorContains(t, err, "does not embed an ed25519 key")
	require.Equal(t, other.String(), PeerString(string(other)))
}

// The quorum sizes against a naive oracle: Majority is the smallest q
// with any two q-subsets of n intersecting (2q > n); TwoThirds the
// smallest q with 3q > 2n (two quorums share more than n/3).
func TestQuorumSizesMatchTheOracle(t *testing.T) {
	oracle := func(n int, ok func(q int) bool) int {
		for q := 1; ; q++ {
			if ok(q) {
				return q
			}
		}
	}
	f := func(b uint8) bool {
		n := int(b) + 1
		return Majority(n) == oracle(n, func(q int) bool { return 2*q > n }) &&
			TwoThirds(n) == oracle(n, func(q int) bool { return 3*q > 2*n }) &&
			Majority(n) <= n && TwoThirds(n) <= n
	}
	require.NoError(t, quick.Check(f, &quick.Config{MaxCount: 500}))
	require.Equal(t, []int{1, 2, 2, 3, 3, 4}, []int{Majority(1), Majority(2), Majority(3), Majority(4), Majority(5), Majority(6)})
	require.Equal(t, []int{1, 2, 3, 3, 4, 5, 5}, []int{TwoThirds(1), TwoThirds(2), TwoThirds(3), TwoThirds(4), TwoThirds(5), TwoThirds(6), TwoThirds(7)})
}

func TestSetApplyAndRecord(t *testing.T) {
	a, b := newSigner(t), newSigner(t)
	one := setOf(t, a)
	_, err := one.Apply(Change{Op: OpRemove, Peer: a.peer, Nonce: 1})
	require.ErrorContains(t, err, "last producer")
	_, err = one.Apply(Change{Op: OpRemove, Peer: b.peer, Nonce: 1})
	require.ErrorContains(t, err, "not a producer")
	_, err = one.Apply(Change{Op: OpAdd, Peer: a.peer, Nonce: 1})
	require.ErrorContains(t, err, "already a producer")
	_, err = one.Apply(Change{Op: OpAdd, Peer: "x", Nonce: 1})
	require.ErrorContains(t, err, "ed25519")
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, ReasonBadChange, e.Reason)

	two, err := one.Apply(Change{Op: OpAdd, Peer: b.peer, Nonce: 1})
	require.NoError(t, err)
	require.Equal(t, block.ProducerSetHash([]block.PublicKey{b.pub, a.pub}), two.Hash())
	dec, err := DecodeSet(two.Encode())
	require.NoError(t, err)
	require.Equal(t, two.Members(), dec.Members())
	require.Equal(t, two.Hash(), dec.Hash())
	back, err := two.Apply(Change{Op: OpRemove, Peer: a.peer, Nonce: 2})
	require.NoError(t, err)
	require.Equal(t, []block.PublicKey{b.pub}, back.Keys())
	_, err = DecodeSet(two.Encode()[:40])
	require.Error(t, err)
	_, err = DecodeSet(nil)
	require.Error(t, err)
}

func TestTxRoundTrip(t *testing.T) {
	var chain block.ID
	chain[0] = 7
	a, b, n := newSigner(t), newSigner(t), newSigner(t)
	c := Change{Op: OpAdd, Peer: n.peer, Nonce: 300}
	tx, err := EncodeTx(c, []Signature{Sign(chain, c, b.key), Sign(chain, c, a.key)})
	require.NoError(t, err)
	require.True(t, IsChangeTx(tx))
	got, ok, err := DecodeTx(tx)
	require.True(t, ok)
	require.NoError(t, err)
	require.Equal(t, c, got.Change)
	require.Len(t, got.Sigs, 2)
	for _, s := range got.Sigs {
		require.True(t, VerifySig(chain, c, s))
	}
	_, ok, err = DecodeTx([]byte("k=v"))
	require.False(t, ok)
	require.NoError(t, err)
	for _, bad := range [][]byte{tx[:len(tx)-1], append(tx, 0), []byte(TxPrefix)} {
		_, ok, err = DecodeTx(bad)
		require.True(t, ok)
		requireReason(t, err, ReasonMalformed)
	}
	_, ok, err = DecodeTx([]byte(LegacyTxPrefix + "\x02\x01a\x00\x05"))
	require.True(t, ok)
	requireReason(t, err, ReasonUnsigned)
	_, err = EncodeTx(Change{Op: OpAdd, Peer: n.peer}, nil)
	require.ErrorContains(t, err, "nonce 0")
	_, err = EncodeTx(c, []Signature{Sign(chain, c, a.key), Sign(chain, c, a.key)})
	require.ErrorContains(t, err, "signed twice")

	// One encoding per change: signatures out of order, a repeated key, a
	// non-minimal uvarint are malformed.
	body := tx[len(TxPrefix):]
	sigsAt := len(tx) - 2*96
	swapped := append(append(append([]byte{}, tx[:sigsAt]...), tx[sigsAt+96:]...), tx[sigsAt:sigsAt+96]...)
	twice := append(append([]byte{}, tx[:sigsAt+96]...), tx[sigsAt:sigsAt+96]...)
	overlong := append([]byte(TxPrefix), body[0], body[1]|0x80, 0)
	overlong = append(overlong, body[2:]...)
	for _, bad := range [][]byte{swapped, twice, overlong} {
		_, _, err = DecodeTx(bad)
		requireReason(t, err, ReasonMalformed)
	}
}

func requireReason(t *testing.T, err error, want Reason) {
	t.Helper()
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, want, e.Reason, "%v", err)
	require.ErrorIs(t, err, ErrRefused)
}

// Verify refuses every change without the authority of a quorum of the set
// in force, with a reason per case, and lets a properly signed one through.
func TestVerify(t *testing.T) {
	var chain, other block.ID
	chain[0], other[0] = 1, 2
	p := []signer{newSigner(t), newSigner(t), newSigner(t), newSigner(t)}
	out, removed := newSigner(t), p[3]
	set := setOf(t, p[0], p[1], p[2]) // p[3] was a producer once
	add := Change{Op: OpAdd, Peer: out.peer, Nonce: 5}
	rm := Change{Op: OpRemove, Peer: p[2].peer, Nonce: 5}
	sigs := func(c Change, on block.ID, ss ...signer) []Signature {
		var out []Signature
		for _, s := range ss {
			out = append(out, Sign(on, c, s.key))
		}
		return out
	}
	q := Quorum{}
	verify := func(c Change, last uint64, ss []Signature) error {
		_, err := Verify(q, chain, set, last, Tx{Change: c, Sigs: ss}, mapState{})
		return err
	}
	cases := []struct {
		name string
		c    Change
		last uint64
		sigs []Signature
		want Reason
	}{
		{"unsigned", add, 4, nil, ReasonUnsigned},
		{"fewer than a quorum", add, 4, sigs(add, chain, p[0]), ReasonNoQuorum},
		{"by non-producers", add, 4, sigs(add, chain, out, newSigner(t)), ReasonSignerNotProducer},
		{"a quorum plus a non-producer", add, 4, sigs(add, chain, p[0], p[1], out), ReasonSignerNotProducer},
		{"by a removed producer", add, 4, sigs(add, chain, p[0], removed), ReasonSignerNotProducer},
		{"one key twice", add, 4, sigs(add, chain, p[0], p[0]), ReasonDuplicateSigner},
		{"signed for another chain", add, 4, sigs(add, other, p[0], p[1]), ReasonBadSignature},
		{"signed for another nonce", add, 4, sigs(Change{Op: OpAdd, Peer: out.peer, Nonce: 4}, chain, p[0], p[1]), ReasonBadSignature},
		{"signed for another op", rm, 4, sigs(Change{Op: OpAdd, Peer: p[2].peer, Nonce: 5}, chain, p[0], p[1]), ReasonBadSignature},
		{"replayed", add, 5, sigs(add, chain, p[0], p[1]), ReasonReplayed},
		{"replayed long after", add, 9, sigs(add, chain, p[0], p[1]), ReasonReplayed},
		{"nonce gap", add, 3, sigs(add, chain, p[0], p[1]), ReasonNonceGap},
		{"does not fit the set", Change{Op: OpRemove, Peer: out.peer, Nonce: 5}, 4, sigs(Change{Op: OpRemove, Peer: out.peer, Nonce: 5}, chain, p[0], p[1]), ReasonBadChange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { requireReason(t, verify(tc.c, tc.last, tc.sigs), tc.want) })
	}
	next, err := Verify(q, chain, set, 4, Tx{Change: add, Sigs: sigs(add, chain, p[2], p[0])}, mapState{})
	require.NoError(t, err)
	require.True(t, next.HasPeer(out.peer))
	next, err = Verify(q, chain, set, 4, Tx{Change: rm, Sigs: sigs(rm, chain, p[0], p[1], p[2])}, mapState{})
	require.NoError(t, err, "the removed producer may sign its own removal")
	require.False(t, next.HasPeer(p[2].peer))

	// Under the BFT quorum two of three is not enough.
	_, err = Verify(Quorum{Size: TwoThirds}, chain, set, 4, Tx{Change: add, Sigs: sigs(add, chain, p[0], p[1])}, mapState{})
	requireReason(t, err, ReasonNoQuorum)
	_, err = Verify(Quorum{Size: TwoThirds}, chain, set, 4, Tx{Change: add, Sigs: sigs(add, chain, p[0], p[1], p[2])}, mapState{})
	require.NoError(t, err)
}

// stakePolicy is a policy an App could supply: the signers' stake, read
// from the state, must exceed half of the total.
type stakePolicy struct{}

func (stakePolicy) Authorize(r Request) error {
	total, signed := 0, 0
	for _, k := range r.Set.Keys() {
		v, _, err := r.State.Get(k[:])
		if err != nil {
			return err
		}
		total += len(v)
	}
	for _, k := range r.Signers {
		v, _, _ := r.State.Get(k[:])
		signed += len(v)
	}
	if 2*signed <= total {
		return &Error{Reason: ReasonNoQuorum, Detail: "not enough stake"}
	}
	return nil
}

func TestAPolicyCanDecideByState(t *testing.T) {
	var chain block.ID
	a, b, c, n := newSigner(t), newSigner(t), newSigner(t), newSigner(t)
	set := setOf(t, a, b, c)
	st := mapState{string(a.pub[:]): make([]byte, 10), string(b.pub[:]): make([]byte, 1), string(c.pub[:]): make([]byte, 1)}
	add := Change{Op: OpAdd, Peer: n.peer, Nonce: 1}
	_, err := Verify(stakePolicy{}, chain, set, 0, Tx{Change: add, Sigs: []Signature{Sign(chain, add, a.key)}}, st)
	require.NoError(t, err, "the big staker alone")
	_, err = Verify(stakePolicy{}, chain, set, 0, Tx{Change: add, Sigs: []Signature{Sign(chain, add, b.key), Sign(chain, add, c.key)}}, st)
	requireReason(t, err, ReasonNoQuorum)
	// The nonce and signatures are still checked before the policy.
	_, err = Verify(stakePolicy{}, chain, set, 1, Tx{Change: add, Sigs: []Signature{Sign(chain, add, a.key)}}, st)
	requireReason(t, err, ReasonReplayed)
}

func TestStateRecords(t *testing.T) {
	a := newSigner(t)
	gen := setOf(t, a)
	st := mapState{}
	s, err := ReadSet(st, gen)
	require.NoError(t, err)
	require.Same(t, gen, s)
	n, err := ReadNonce(st)
	require.NoError(t, err)
	require.Zero(t, n)
	st[string(NonceKey)] = EncodeNonce(42)
	n, err = ReadNonce(st)
	require.NoError(t, err)
	require.Equal(t, uint64(42), n)
	st[string(NonceKey)] = []byte{1}
	_, err = ReadNonce(st)
	require.Error(t, err)
	require.True(t, len(SetKey) > len(ReservedPrefix) && string(SetKey[:len(ReservedPrefix)]) == string(ReservedPrefix))
	require.Equal(t, string(ReservedPrefix), string(NonceKey[:len(ReservedPrefix)]))
}

func FuzzDecodeTx(f *testing.F) {
	var chain block.ID
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	var k block.PublicKey
	copy(k[:], pub)
	c := Change{Op: OpRemove, Peer: PeerOfKey(k), Nonce: 3}
	tx, _ := EncodeTx(c, []Signature{Sign(chain, c, key)})
	f.Add(tx)
	f.Add([]byte(TxPrefix + "\x01\x01a\x01\x00"))
	f.Add([]byte(LegacyTxPrefix))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok, err := DecodeTx(b)
		if !ok || err != nil {
			return
		}
		again, err := EncodeTx(got.Change, got.Sigs)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", got, err)
		}
		if string(again) != string(b) {
			t.Fatalf("two encodings of one change: %x and %x", b, again)
		}
	})
}

// BenchmarkVerify measures the authority check a node runs per change on
// Submit, relay and block execution: a 2-of-3 quorum change, and a change
// stuffed with MaxSigs outsider signatures (screened before any signature
// is verified).
func BenchmarkVerify(b *testing.B) {
	var chain block.ID
	t := &testing.T{}
	p := []signer{newSigner(t), newSigner(t), newSigner(t)}
	set := setOf(t, p...)
	add := Change{Op: OpAdd, Peer: newSigner(t).peer, Nonce: 1}
	good := Tx{Change: add, Sigs: []Signature{Sign(chain, add, p[0].key), Sign(chain, add, p[1].key)}}
	stuffed := Tx{Change: add}
	for range MaxSigs {
		stuffed.Sigs = append(stuffed.Sigs, Sign(chain, add, newSigner(t).key))
	}
	b.Run("quorum-2of3", func(b *testing.B) {
		for b.Loop() {
			if _, err := Verify(Quorum{}, chain, set, 0, good, mapState{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("256-outsiders", func(b *testing.B) {
		for b.Loop() {
			if _, err := Verify(Quorum{}, chain, set, 0, stuffed, mapState{}); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// BenchmarkEd25519Verify is the baseline for BenchmarkVerify: one
// signature verification, measured in the same run.
func BenchmarkEd25519Verify(b *testing.B) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("blockwire")
	sig := ed25519.Sign(key, msg)
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("bad")
		}
	}
}
