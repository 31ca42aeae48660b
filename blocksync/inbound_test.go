package blocksync

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// slowParent is a 4-node mesh whose tree is built, with n3's tree parent
// found: the harness for grafts around slow and dead paths (issue 19).
type slowParent struct {
	t      *testing.T
	net    *network
	m      *maker
	parent string
	slow   bool
}

func newSlowParent(t *testing.T, cfg Config) *slowParent {
	s := &slowParent{t: t, m: &maker{bodySize: 1000}}
	s.net = newMesh(t, cfg, s.m, 4, nil)
	for range 10 {
		s.net.produce(s.m, "n0", 1, 0)
		s.net.stabilize()
	}
	for _, p := range []string{"n0", "n1", "n2"} {
		if s.net.nodes[p].conns["n3"].Mode(producerKey(0)) == ModeActive {
			require.Empty(t, s.parent, "two active links into n3")
			s.parent = p
		}
	}
	require.NotEmpty(t, s.parent)
	s.net.hold = func(e envelope) bool {
		return s.slow && e.from == s.parent && e.to == "n3" && e.lane == LaneBlocks
	}
	return s
}

// block produces a block whose body to n3 is held on the parent's blocks
// lane (the Coming on the sync lane goes ahead, as on a real link) for d,
// then released; d < 0 keeps it held.
func (s *slowParent) block(d time.Duration) *block.Block {
	s.slow = true
	b := s.net.produce(s.m, "n0", 1, 0)
	s.net.stabilize()
	if d >= 0 {
		s.net.tick(d)
		s.net.stabilize()
		s.slow = false
		s.net.stabilize()
	}
	return b
}

func (s *slowParent) has(id block.ID) bool {
	_, ok := s.net.nodes["n3"].chain.Header(id)
	return ok
}

func (s *slowParent) stats() (st Stats) {
	for _, c := range s.net.nodes["n3"].conns {
		x := c.Stats()
		st.GraftsSent += x.GraftsSent
		st.GraftsHeld += x.GraftsHeld
		st.Duplicates += x.Duplicates
		st.ComingsReceived += x.ComingsReceived
	}
	return st
}

// A tree parent that is slow but alive — its bodies to n3 take 300 ms,
// then one takes 550 ms, past GraftDelay — no longer costs a duplicate:
// n3's backup links announce the block at once, but the parent said the
// body is Coming, and its usual lag holds the grafts. Fails on the old
// code (no Coming, no hold): the graft at 500 ms pulls a second copy.
func TestSlowParentHoldsGraft(t *testing.T) {
	testSlowParentHoldsGraft(t, DefaultConfig())
}

func testSlowParentHoldsGraft(t *testing.T, cfg Config) {
	s := newSlowParent(t, cfg)
	for range 3 {
		s.block(300 * time.Millisecond) // the parent's lag is learned: 300 ms
	}
	before := s.stats()
	b := s.block(-1)
	s.net.tick(cfg.GraftDelay + 50*time.Millisecond)
	s.net.stabilize()
	require.False(t, s.has(b.ID()), "no graft at GraftDelay while the parent's body is on its way")
	s.slow = false
	s.net.stabilize()
	s.net.settle()
	require.True(t, s.has(b.ID()))
	after := s.stats()
	require.Equal(t, before.GraftsSent, after.GraftsSent, "no graft")
	require.Equal(t, before.Duplicates, after.Duplicates, "no duplicate")
	require.Greater(t, after.GraftsHeld, before.GraftsHeld)
	s.net.requireHealthy()
	s.net.requireHeadsAgree()
}

// A tree parent that dies mid-body is grafted around within GraftDelay of
// the announcement, as before: its Conn closes and forgets the body it was
// sending, so the hold ends.
func TestDeadParentGraftedWithinDelay(t *testing.T) {
	cfg := DefaultConfig()
	s := newSlowParent(t, cfg)
	for range 3 {
		s.block(300 * time.Millisecond)
	}
	b := s.block(-1)
	s.net.tick(cfg.GraftDelay / 5)
	s.net.disconnect(s.parent, "n3") // dies with the body half sent
	s.net.tick(cfg.GraftDelay/2 - cfg.GraftDelay/5)
	s.net.stabilize()
	require.False(t, s.has(b.ID()), "no graft before GraftDelay")
	s.net.tick(cfg.GraftDelay / 2)
	s.net.stabilize()
	require.True(t, s.has(b.ID()), "grafted around the dead parent at GraftDelay")
	s.net.requireHealthy()
}

// A parent that stays connected but stops sending is grafted around once
// its body is overdue (twice its usual lag), within GraftDelay + GraftHold.
func TestStalledParentGraftedAfterHold(t *testing.T) {
	cfg := DefaultConfig()
	s := newSlowParent(t, cfg)
	for range 3 {
		s.block(300 * time.Millisecond)
	}
	t0 := s.net.now
	b := s.block(-1)
	s.net.tick(cfg.GraftDelay + 50*time.Millisecond)
	s.net.stabilize()
	require.False(t, s.has(b.ID()), "held at GraftDelay")
	for i := 0; i < 40 && !s.has(b.ID()); i++ {
		s.net.tick(cfg.GraftDelay / 20)
		s.net.stabilize()
	}
	require.True(t, s.has(b.ID()))
	took := s.net.now.Sub(t0)
	t.Logf("grafted around the stalled parent after %v", took)
	require.LessOrEqual(t, took, cfg.GraftDelay+cfg.GraftHold)
	require.Positive(t, s.stats().GraftsSent)
}

// With GraftHold zero (Version 1's behaviour) the same slow parent costs a
// graft and a duplicate: what TestSlowParentHoldsGraft fixes.
func TestSlowParentWithoutHoldGrafts(t *testing.T) {
	cfg := DefaultConfig()
	cfg.GraftHold = 0
	s := newSlowParent(t, cfg)
	for range 3 {
		s.block(300 * time.Millisecond)
	}
	before := s.stats()
	b := s.block(-1)
	s.net.tick(cfg.GraftDelay + 50*time.Millisecond)
	s.net.stabilize()
	require.True(t, s.has(b.ID()), "grafted and pulled at GraftDelay")
	s.slow = false
	s.net.settle()
	after := s.stats()
	require.Greater(t, after.GraftsSent, before.GraftsSent)
	require.Greater(t, after.Duplicates, before.Duplicates, "the slow copy arrives as a duplicate")
}
