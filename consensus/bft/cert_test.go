package bft

import (
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// Certificate verification (bft.md §7: tendermint-rs #282 and #335,
// CometBFT Tachyon): every signature that counts is verified, each signer
// counts once, only members count, and only votes for exactly this kind,
// view and block.
func TestCertificateVerifyRejects(t *testing.T) {
	f := newFixture(t, 4)
	id := block.ID{0, 0, 0, 0, 0, 0, 0, 1, 7}
	other := block.ID{0, 0, 0, 0, 0, 0, 0, 1, 8}
	good := f.cert(Finalize, 3, id, 0, 1, 3)
	require.NoError(t, good.Verify(f.chain, f.set, Ed25519{}))

	mut := func(fn func(c *Certificate)) *Certificate {
		c := *good
		c.Signers = append([]int(nil), good.Signers...)
		c.Sigs = append([]block.Signature(nil), good.Sigs...)
		fn(&c)
		return &c
	}
	wrongBlock := f.cert(Finalize, 3, id, 0, 1)
	wrongBlock.Signers = append(wrongBlock.Signers, 3)
	wrongBlock.Sigs = append(wrongBlock.Sigs, f.vote(3, Finalize, 3, other).Sig)
	for name, tc := range map[string]struct {
		c    *Certificate
		want Reason
	}{
		"duplicate signer":                    {mut(func(c *Certificate) { c.Signers[2], c.Sigs[2] = 1, c.Sigs[1] }), ReasonDuplicate},
		"signer outside":                      {mut(func(c *Certificate) { c.Signers[2] = 4 }), ReasonNonMember},
		"negative signer":                     {mut(func(c *Certificate) { c.Signers[0] = -1 }), ReasonNonMember},
		"unsorted":                            {mut(func(c *Certificate) { c.Signers[0], c.Signers[1] = 1, 0 }), ReasonMalformed},
		"too few":                             {mut(func(c *Certificate) { c.Signers, c.Sigs = c.Signers[:2], c.Sigs[:2] }), ReasonNoQuorum},
		"bad signature":                       {mut(func(c *Certificate) { c.Sigs[1][5] ^= 1 }), ReasonBadSignature},
		"other view":                          {mut(func(c *Certificate) { c.View = 4 }), ReasonBadSignature},
		"other block":                         {mut(func(c *Certificate) { c.Block = other }), ReasonBadSignature},
		"other kind":                          {mut(func(c *Certificate) { c.Kind = Notarize }), ReasonBadSignature},
		"nullify w/ block":                    {mut(func(c *Certificate) { c.Kind = Nullify }), ReasonMalformed},
		"wrong set size":                      {mut(func(c *Certificate) { c.SetSize = 5 }), ReasonWrongSet},
		"sig count":                           {mut(func(c *Certificate) { c.Sigs = c.Sigs[:2] }), ReasonMalformed},
		"a vote for another block among them": {wrongBlock, ReasonBadSignature},
	} {
		err := tc.c.Verify(f.chain, f.set, Ed25519{})
		require.Equal(t, tc.want, ReasonOf(err), "%s: %v", name, err)
	}
	require.Equal(t, ReasonBadSignature, ReasonOf(good.Verify(block.Hash{9}, f.set, Ed25519{})), "another chain")
	require.True(t, good.ForBlock(Finalize, 3, id))
	require.False(t, good.ForBlock(Finalize, 3, other))
}

// Joint consensus: while a set change is not final, a certificate needs a
// quorum of the old set and of the new one.
func TestJointSetNeedsBothQuorums(t *testing.T) {
	f := newFixture(t, 4)
	// old = keys 0..3, new = keys 2..5 (0 and 1 leave, 4 and 5 join)
	joint, err := NewJointSet(f.pubs[:4], f.pubs[2:6])
	require.NoError(t, err)
	require.Equal(t, 6, joint.Len())
	require.True(t, joint.Joint())
	idx := func(k int) int { i, ok := joint.Index(f.pubs[k]); require.True(t, ok); return i }
	id := block.ID{0, 0, 0, 0, 0, 0, 0, 1, 7}
	certBy := func(keys ...int) *Certificate {
		c := &Certificate{Kind: Finalize, View: 1, Block: id, SetSize: joint.Len()}
		var signers []int
		for _, k := range keys {
			signers = append(signers, idx(k))
		}
		byIdx := map[int]int{}
		for i, s := range signers {
			byIdx[s] = keys[i]
		}
		for s := range joint.Len() {
			if k, ok := byIdx[s]; ok {
				c.Signers = append(c.Signers, s)
				c.Sigs = append(c.Sigs, signVote(f.keys[k], f.chain, Finalize, 1, id, s).Sig)
			}
		}
		return c
	}
	require.Equal(t, ReasonNoQuorum, ReasonOf(certBy(2, 3, 4).Verify(f.chain, joint, Ed25519{})), "3 of new, 2 of old")
	require.Equal(t, ReasonNoQuorum, ReasonOf(certBy(0, 1, 2).Verify(f.chain, joint, Ed25519{})), "3 of old, 1 of new")
	require.NoError(t, certBy(1, 2, 3, 4).Verify(f.chain, joint, Ed25519{}), "3 of old and 3 of new")
	for v := uint64(0); v < 8; v++ {
		require.Contains(t, []int{idx(2), idx(3), idx(4), idx(5)}, joint.Leader(v), "leaders rotate over the new set")
	}
	_, err = NewJointSet(nil, f.pubs[:4])
	require.Error(t, err)
	_, err = NewSet([]block.PublicKey{f.pubs[0], f.pubs[0]})
	require.Error(t, err)
}

func TestMessageRoundTripAndRefusals(t *testing.T) {
	f := newFixture(t, 7)
	id := block.ID{0, 0, 0, 0, 0, 0, 0, 1, 7}
	for _, m := range []Message{
		{Vote: f.vote(3, Notarize, 9, id)},
		{Vote: f.vote(6, Nullify, 1<<40, block.ZeroID)},
		{Cert: f.cert(Finalize, 2, id, 0, 2, 3, 5, 6)},
		{Cert: f.cert(Nullify, 5, block.ZeroID, 1, 2, 3, 4, 6)},
		{Vote: f.vote(6, Nullify, 4, id)},
		{Cert: f.nullCert(5, map[int]block.ID{1: id, 2: {}, 3: id, 4: {}, 6: id})},
	} {
		b := m.AppendBinary(nil)
		got, err := DecodeMessage(b, 1<<16)
		require.NoError(t, err)
		require.Equal(t, m, got)
		require.Equal(t, ReasonOversized, ReasonOf(func() error { _, err := DecodeMessage(b, len(b)-1); return err }()))
		_, err = DecodeMessage(append(b, 0), 1<<16)
		require.Equal(t, ReasonMalformed, ReasonOf(err), "trailing byte")
		bad := append([]byte{1}, b[1:]...) // version 1 (before the reports)
		_, err = DecodeMessage(bad, 1<<16)
		require.Equal(t, ReasonVersion, ReasonOf(err))
	}
	c := f.cert(Finalize, 2, id, 0, 2, 3, 5, 6)
	b := c.AppendBinary(nil)
	b[1+8+32+1] |= 0x80 // a bit beyond signer 6 in the bitmap
	_, err := DecodeCertificate(b)
	require.Equal(t, ReasonMalformed, ReasonOf(err))
}

func TestRecordRoundTripAndTornWrite(t *testing.T) {
	f := newFixture(t, 4)
	id := block.ID{0, 0, 0, 0, 0, 0, 0, 1, 7}
	for _, r := range []Record{
		{Kind: RecNotarized, View: 3, Block: id},
		{Kind: RecNullified, View: 4},
		{Kind: RecNullified, View: 4, Block: id}, // reporting id
		{Kind: RecFinalized, View: 3, Block: id},
		{Kind: RecRoot, View: 3, Block: id, Cert: f.cert(Finalize, 3, id, 0, 1, 2)},
		{Kind: RecRoot, View: 3, Block: id, Cert: f.cert(Notarize, 3, id, 0, 1, 2, 3)}, // fast
	} {
		b := r.AppendBinary(nil)
		got, err := DecodeRecord(b)
		require.NoError(t, err)
		require.Equal(t, r, got)
		for _, cut := range []int{1, len(b) / 2} {
			_, err := DecodeRecord(b[:len(b)-cut])
			require.Error(t, err, "torn record")
		}
		b[5] ^= 1
		_, err = DecodeRecord(b)
		require.Error(t, err, "flipped bit")
	}
	// A version 1 store (before the fast path) still loads; a nullify
	// record of it reports the view's notarized block on replay.
	ver := func(r Record, version byte) []byte {
		b := r.AppendBinary(nil)
		b[0] = version
		return binary.BigEndian.AppendUint32(b[:len(b)-4], crc32.Checksum(b[:len(b)-4], castagnoli))
	}
	old1, err := DecodeRecord(ver(Record{Kind: RecNotarized, View: 1, Block: id}, 1))
	require.NoError(t, err)
	old2, err := DecodeRecord(ver(Record{Kind: RecNullified, View: 1}, 1))
	require.NoError(t, err)
	e := f.engine(1, []Record{old2, old1})
	require.Equal(t, id, e.views[1].myReport)
	_, err = DecodeRecord(ver(Record{Kind: RecNullified, View: 1}, 3))
	require.Equal(t, ReasonVersion, ReasonOf(err), "an unknown record version")

	rec := Record{Kind: RecRoot, View: 3, Block: id, Cert: f.cert(Finalize, 4, id, 0, 1, 2)}
	_, err = DecodeRecord(rec.AppendBinary(nil))
	require.Error(t, err, "a root record holding another view's certificate")
	rec.Cert.Sigs[0][0] ^= 1
	rec.Cert.View = 3
	_, err = New(f.config(0), Root{}, []Record{rec}, epoch)
	require.Error(t, err, "a root record whose certificate does not verify")
}
