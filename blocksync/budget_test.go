package blocksync

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Hellos and Haves beyond Config.AnnounceBurst are dropped and counted; the
// peer is charged once per overflow (ReasonFlood, never a disconnect), and
// the budget refills at Config.AnnounceRate (issue 11, attack 2: a peer
// naming old blocks in endless hellos costs the loop bounded work).
func TestAnnouncementsOverBudgetAreDroppedAndChargedOnce(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	ch := newTestChain(g)
	blocks := m.extend(t, g, 4, 1, 0, ch)
	ch.finalize(t, blocks[2].ID())
	cfg := DefaultConfig()
	cfg.AnnounceRate, cfg.AnnounceBurst = 100, 200
	c, err := New(cfg, ch, time0)
	require.NoError(t, err)
	c.Advance()

	old := &Hello{ID: blocks[0].ID(), Head: true}
	for range 500 {
		require.NoError(t, c.Step(time0, LaneSync, old))
	}
	rd := c.Ready()
	require.Nil(t, rd.Disconnect)
	require.Len(t, rd.Penalties, 1, "one charge per overflow, not per message")
	require.Equal(t, ReasonFlood, rd.Penalties[0].Reason)
	st := c.Stats()
	require.Equal(t, uint64(200), st.HellosReceived)
	require.Equal(t, uint64(300), st.AnnouncementsDropped)
	c.Advance()

	// One second refills 100: they are taken, and the next overflow is
	// charged again.
	now := time0.Add(time.Second)
	for range 150 {
		require.NoError(t, c.Step(now, LaneSync, old))
	}
	require.Equal(t, uint64(300), c.Stats().HellosReceived)
	require.Equal(t, uint64(350), c.Stats().AnnouncementsDropped)
	require.Len(t, c.Ready().Penalties, 1)
	require.Equal(t, StateStart, c.State())
}

func TestConfigRefusesAnAnnounceBurstBelowALocator(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AnnounceBurst = 10
	require.ErrorContains(t, cfg.Validate(), "AnnounceBurst 10")
	cfg = DefaultConfig()
	cfg.AnnounceRate = 0
	require.ErrorContains(t, cfg.Validate(), "AnnounceRate 0")
}
