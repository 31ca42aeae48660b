package blocksync

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// connFixture is a world for FuzzConn: our chain (a main chain, a side
// fork, part of it final) and a universe of blocks the peer may talk about,
// some we lack, one we can never place.
type connFixture struct {
	chain    *testChain
	universe []*block.Block
	parent   map[block.ID]block.ID // over the universe, unaffected by pruning
	maxBody  int
	// maxWindow is the largest window the peer advertised (it may shrink
	// with bodies in flight).
	maxWindow uint64
}

func newConnFixture(t testing.TB) *connFixture {
	m := &maker{bodySize: 300}
	g := m.genesis()
	a := newTestChain(g)
	main := m.extend(t, g, 12, 1, 0, a)
	fork := m.extend(t, main[5], 4, 1, 1, a)
	ahead := m.extend(t, main[11], 4, 2, 2) // we lack these
	side := m.extend(t, fork[3], 3, 3, 1)   // a better fork we lack
	a.finalize(t, main[2].ID())
	orphan := m.child(m.child(m.child(ahead[3], 2, 3), 2, 3), 2, 3)
	u := []*block.Block{g}
	for _, bs := range [][]*block.Block{main, fork, ahead, side, {orphan}} {
		u = append(u, bs...)
	}
	parent := map[block.ID]block.ID{}
	for _, b := range u {
		parent[b.ID()] = b.Parent
	}
	return &connFixture{chain: a, universe: u, parent: parent, maxBody: NewBlock(main[0]).Size()}
}

// fuzzReader hands out fuzz bytes; zero when exhausted.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *fuzzReader) pick(n int) int { return int(r.byte()) % n }

// FuzzConn feeds random sequences of peer messages and local events to one
// Conn and checks its invariants after each: it never panics; every body it
// sends is on our best chain, above the peer's irreversible block, and a
// child of a block the peer has shown or been sent; bytes in flight stay
// within the window plus one body; a closed Conn refuses input.
func FuzzConn(f *testing.F) {
	f.Add([]byte{0, 0, 3, 0, 12, 3, 2, 5, 7, 0, 7, 1, 3, 200, 9, 40})
	f.Add([]byte{1, 20, 20, 2, 14, 2, 15, 7, 3, 8, 4, 9, 255, 5, 1, 25})
	f.Add([]byte{0, 1, 3, 2, 26, 12, 5, 4, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fx := newConnFixture(t)
		runConnFuzz(t, fx, &fuzzReader{b: data})
	})
}

func runConnFuzz(t *testing.T, fx *connFixture, r *fuzzReader) {
	cfg := DefaultConfig()
	cfg.Window = 1024 + int(r.byte())*16
	cfg.MaxHeld = 8
	now := time0
	c, err := New(cfg, fx.chain, now)
	require.NoError(t, err)
	u := fx.universe
	// shown holds what the peer has shown it has, or we sent it.
	shown := map[block.ID]bool{}
	var peerIrr block.ID
	pickID := func() block.ID { return u[r.pick(len(u))].ID() }
	ours := func() (*block.Block, bool) { // a universe block we can insert now
		b := u[r.pick(len(u))]
		_, haveParent := fx.chain.Header(b.Parent)
		_, have := fx.chain.Header(b.ID())
		return b, haveParent && !have && b.Height > fx.chain.Irreversible().Height()
	}
	for steps := 0; len(r.b) > 0 && steps < 200; steps++ {
		var err error
		op := r.pick(13)
		tracef("op %d (state %s sent %s)", op, c.State(), c.sent)
		switch op {
		case 0:
			m := &Hello{ID: pickID(), Head: r.byte()&1 == 1, Committed: r.byte()&1 == 1, Window: uint32(r.byte()) << 8}
			if m.Committed && m.ID.Height() > peerIrr.Height() {
				peerIrr = m.ID
			}
			shown[m.ID] = true
			tracef("  hello %s %v %v", m.ID, m.Head, m.Committed)
			err = c.Step(now, LaneSync, m)
		case 1:
			m := &Have{Irreversible: pickID(), Header: u[r.pick(len(u))].SignedHeader}
			if m.Irreversible.Height() > peerIrr.Height() {
				peerIrr = m.Irreversible
			}
			shown[m.Header.ID()] = true
			shown[m.Irreversible] = true
			err = c.Step(now, LaneSync, m)
		case 2:
			b := u[r.pick(len(u))]
			shown[b.ID()] = true
			tracef("  body %s", b.ID())
			err = c.Step(now, LaneBlocks, NewBlock(b))
		case 3:
			err = c.Step(now, LaneSync, &Ack{Bytes: uint64(r.byte()) * 512})
		case 4:
			err = c.Step(now, LaneSync, &Prune{Producer: producerKey(r.pick(4))})
		case 5:
			err = c.Step(now, LaneSync, &Graft{Producer: producerKey(r.pick(4)), Want: pickID()})
		case 6:
			err = c.Step(now, LaneSync, &Tied{Block: pickID(), Payload: []byte{r.byte()}})
		case 7:
			if b, ok := ours(); ok {
				require.NoError(t, fx.chain.add(b))
				err = c.ChainChanged(now)
			}
		case 8:
			h := fx.chain.Irreversible().Height() + uint64(r.pick(3)) + 1
			if id, ok := fx.chain.BestAt(h); ok {
				fx.chain.finalize(t, id)
				err = c.ChainChanged(now)
			}
		case 9:
			now = now.Add(time.Duration(r.byte()) * 10 * time.Millisecond)
			err = c.Tick(now)
		case 10:
			err = c.SendAfter(now, pickID(), []byte{1})
			if errors.Is(err, ErrHeldFull) {
				err = nil
			}
		case 11:
			err = c.SetMode(now, Mode(r.pick(3)))
		case 12:
			frame := make([]byte, r.pick(40))
			for i := range frame {
				frame[i] = r.byte()
			}
			err = c.Receive(now, Lane(r.pick(2)), frame)
		}
		if c.State() == StateClosed && err != nil {
			require.ErrorIs(t, err, ErrClosed)
		} else {
			require.NoError(t, err)
		}
		checkReady(t, fx, c, shown, peerIrr)
		if c.State() == StateClosed {
			require.ErrorIs(t, c.Tick(now), ErrClosed)
			require.False(t, c.HasReady())
		}
	}
}

// checkReady checks the outputs of the last input, then performs them.
func checkReady(t *testing.T, fx *connFixture, c *Conn, shown map[block.ID]bool, peerIrr block.ID) {
	t.Helper()
	rd := c.Ready()
	for _, m := range rd.Messages {
		bm, ok := m.Msg.(*Block)
		if !ok {
			continue
		}
		id := bm.Block.ID()
		require.Equal(t, LaneBlocks, m.Lane)
		best, _ := fx.chain.BestAt(id.Height())
		require.Equal(t, best, id, "sent a block off our best chain")
		require.Greater(t, id.Height(), peerIrr.Height(), "sent at or below the peer's irreversible block")
		require.True(t, fx.peerShown(shown, bm.Block.Parent), "sent %s whose parent the peer never showed", id)
		shown[id] = true
	}
	fx.maxWindow = max(fx.maxWindow, c.win.peerWindow)
	require.LessOrEqual(t, c.InFlight(), fx.maxWindow+uint64(fx.maxBody))
	if !c.sent.IsZero() && c.State() != StateClosed {
		require.True(t, c.onBest(c.sent), "sent off the best chain")
	}
	for _, b := range rd.Blocks {
		_ = fx.chain.add(b) // the node may reject; the fixture is not a validator
	}
	c.Advance()
	if len(rd.Blocks) > 0 {
		_ = c.ChainChanged(time0)
		checkReady(t, fx, c, shown, peerIrr)
	}
}

// peerShown reports whether id is, or is an ancestor of, a block the peer
// showed or was sent; genesis is everyone's.
func (fx *connFixture) peerShown(shown map[block.ID]bool, id block.ID) bool {
	if id.Height() <= 1 {
		return true
	}
	for s := range shown {
		for ; s.Height() >= id.Height(); s = fx.parent[s] {
			if s == id {
				return true
			}
		}
	}
	return false
}
