package bft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func FuzzDecodeMessage(f *testing.F) {
	fx := newFixture(&testing.T{}, 4)
	id := block.ID{0, 0, 0, 0, 0, 0, 0, 1, 7}
	f.Add(Message{Vote: fx.vote(1, Notarize, 3, id)}.AppendBinary(nil))
	f.Add(Message{Cert: fx.cert(Nullify, 3, block.ZeroID, 0, 1, 2)}.AppendBinary(nil))
	f.Add(Message{Vote: fx.vote(1, Nullify, 3, id)}.AppendBinary(nil))
	f.Add(Message{Cert: fx.nullCert(3, map[int]block.ID{0: id, 1: {}, 3: id})}.AppendBinary(nil))
	f.Add(Message{Cert: fx.cert(Notarize, 3, id, 0, 1, 2, 3)}.AppendBinary(nil))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b, 1<<16)
		if err != nil {
			require.NotEmpty(t, ReasonOf(err), "every refusal has a reason")
			return
		}
		// Exactly one encoding per message.
		require.Equal(t, b, m.AppendBinary(nil))
		if m.Cert != nil {
			_ = m.Cert.Verify(fx.chain, fx.set, Ed25519{}) // must not panic
		}
	})
}

func FuzzDecodeRecord(f *testing.F) {
	fx := newFixture(&testing.T{}, 4)
	id := block.ID{0, 0, 0, 0, 0, 0, 0, 1, 7}
	f.Add(Record{Kind: RecNotarized, View: 3, Block: id}.AppendBinary(nil))
	f.Add(Record{Kind: RecRoot, View: 3, Block: id, Cert: fx.cert(Finalize, 3, id, 0, 1, 2)}.AppendBinary(nil))
	f.Add(Record{Kind: RecRoot, View: 3, Block: id, Cert: fx.cert(Notarize, 3, id, 0, 1, 2, 3)}.AppendBinary(nil))
	f.Add(Record{Kind: RecNullified, View: 3, Block: id}.AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			require.NotEmpty(t, ReasonOf(err))
			return
		}
		if b[0] == 1 {
			return // a version 1 record reads as today's (re-encoded as version 2)
		}
		require.Equal(t, b, r.AppendBinary(nil))
	})
}

// FuzzEngine drives one producer (signer 0 of 4) with a byte-chosen
// sequence of votes (valid, forged, for known and unknown blocks),
// certificates (valid or tampered), blocks, ticks, proposals and restarts
// from the records, and checks after every step: no panic; every vote sent
// is covered by a record already persisted; across restarts we never sign
// two notarize or two finalize votes for different blocks in one view, nor
// both nullify and finalize.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add([]byte{3, 0, 3, 1, 0, 5, 0, 6, 9, 9, 9, 2, 2, 2, 7, 7})
	fx := newFixture(&testing.T{}, 4) // keys once per process, not per input
	f.Fuzz(func(t *testing.T, ops []byte) {
		fx.t = t
		var recs []Record
		now := epoch
		e := fx.engine(0, nil)
		signed := map[[2]uint64][]Vote{}
		var blocks []Block
		blocks = append(blocks, fx.block(1, block.ZeroID, 0), fx.block(1, block.ZeroID, 1))
		check := func() {
			rd := e.Ready()
			recs = append(recs, rd.Persist...)
			store := memStore{recs: recs}
			for _, v := range votesOf(rd) {
				require.True(t, store.covers(v), "%s without a record", &v)
				k := [2]uint64{uint64(v.Kind), v.View}
				for _, p := range signed[k] {
					require.Equal(t, p.Block, v.Block, "two %s votes in view %d", v.Kind, v.View)
				}
				signed[k] = append(signed[k], v)
				if v.Kind == Finalize {
					require.Empty(t, signed[[2]uint64{uint64(Nullify), v.View}], "finalize after nullify in view %d", v.View)
				}
				if v.Kind == Nullify {
					require.Empty(t, signed[[2]uint64{uint64(Finalize), v.View}], "nullify after finalize in view %d", v.View)
				}
				// The fast path's premise: a nullify reports our notarize
				// vote's block, and no notarize follows a nullify of none.
				for _, n := range signed[[2]uint64{uint64(Notarize), v.View}] {
					for _, u := range signed[[2]uint64{uint64(Nullify), v.View}] {
						require.Equal(t, n.Block, u.Block, "nullify report vs notarize in view %d", v.View)
					}
				}
			}
			if rd.PruneBelow > 0 {
				store.PruneBelow(rd.PruneBelow)
				recs = store.recs
			}
			for _, c := range append(rd.Notarized, rd.Finalized...) {
				// blocks become parents of later proposals
				for _, p := range []int64{0, 1} {
					blocks = append(blocks, fx.block(c.View+1, c.Block, p), fx.block(c.View+2, c.Block, p))
				}
			}
			if rd.Propose != nil {
				b := fx.block(rd.Propose.View, rd.Propose.Parent, 5)
				e.Advance()
				_ = e.Propose(now, b)
				blocks = append(blocks, b)
				return
			}
			e.Advance()
		}
		pick := func(i int) Block { return blocks[i%len(blocks)] }
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%10, int(ops[i+1])
			s := 1 + arg%3
			b := pick(arg / 3)
			switch op {
			case 0, 1, 2: // a valid vote of a kind for a known block (or nullify, reporting it or none)
				k := Kind(op + 1)
				id := b.ID
				if k == Nullify && arg&1 == 0 {
					id = block.ZeroID
				}
				_ = e.Step(now, s, Message{Vote: fx.vote(s, k, b.View, id)})
			case 3:
				_ = e.AddBlock(now, b)
			case 4: // a certificate from three signers
				k := Kind(1 + arg%3)
				id := b.ID
				if k == Nullify {
					id = block.ZeroID
				}
				c := fx.cert(k, b.View, id, 1, 2, 3)
				switch {
				case k == Nullify && arg&32 != 0: // reports naming b twice: holds the view
					c = fx.nullCert(b.View, map[int]block.ID{1: b.ID, 2: b.ID, 3: {}})
				case k == Notarize && arg&32 != 0: // a fast finalization
					c = fx.cert(k, b.View, id, 0, 1, 2, 3)
				}
				if arg&64 != 0 {
					c.Sigs[arg%3][arg%64] ^= 1
				}
				_ = e.Step(now, s, Message{Cert: c})
			case 5:
				now = now.Add(time.Duration(arg) * 20 * time.Millisecond)
				e.Tick(now)
			case 6: // restart from the records
				check()
				e = fx.engine(0, recs)
			case 7: // a forged vote
				v := fx.vote(s, Notarize, b.View, b.ID)
				v.Sig[arg%64] ^= 1
				_ = e.Step(now, s, Message{Vote: v})
			case 8: // a vote for an unknown block, views ahead
				var id block.ID
				id[7], id[9] = byte(arg), byte(arg>>3)
				_ = e.Step(now, s, Message{Vote: fx.vote(s, Notarize, uint64(arg%70)+1, id)})
			case 9: // garbage
				_, _ = DecodeMessage(ops[i:], 1<<10)
			}
			check()
		}
	})
}
