package route

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// transport.md §6.4: start the seqno near 65535 so that starvation makes
// the source bump it across the wrap; routes must come back as before.
func TestStarvationAcrossTheSeqnoWrap(t *testing.T) {
	nt := newNet(t, 4, nil)
	d := nt.nodes[0]
	d.seqno = 65535
	d.selfSig = signAnnounce(d.cfg.Key, d.self, d.routerID, d.seqno, d.cfg.Attrs)
	nt.connect(0, 1, 2*ms)
	nt.connect(1, 2, 2*ms)
	nt.connect(2, 3, 2*ms)
	nt.connect(3, 0, 60*ms)
	nt.run(2 * time.Second)
	require.Equal(t, []int{2, 1, 0}, nt.path(2, 0))
	nt.close(0, 1)
	nt.run(2 * time.Second)
	require.Less(t, d.seqno, uint16(10), "the seqno wrapped")
	require.Equal(t, []int{1, 2, 3, 0}, nt.path(1, 0))
	require.Equal(t, []int{2, 3, 0}, nt.path(2, 0))
}

// RFC 8966 §3.7.3 / transport.md G4: feasibility distances of a source
// that is no longer advertised (a restarted node's old router id) are
// dropped after SourceGC, so the table returns to its size.
func TestOldSourcesAreCollected(t *testing.T) {
	nt := newNet(t, 3, func(_ int, c *Config) { c.SourceGC = 20 * time.Second; c.UpdateInterval = 5 * time.Second })
	nt.connect(0, 1, 5*ms)
	nt.connect(1, 2, 5*ms)
	nt.run(2 * time.Second)
	before := len(nt.nodes[0].sources)
	nt.crash(2)
	nt.run(time.Second)
	nt.restart(2)
	nt.run(2 * time.Second)
	require.Equal(t, []int{0, 1, 2}, nt.path(0, 2))
	require.Equal(t, before+1, len(nt.nodes[0].sources), "the old and the new router id of node 2")
	nt.run(30 * time.Second)
	require.Equal(t, before, len(nt.nodes[0].sources), "the old one was collected")
	require.Equal(t, []int{0, 1, 2}, nt.path(0, 2))
}

// A refresh (unsigned update) of an announcement we never verified is not
// believed: we ask the neighbour for the signed route instead.
func TestUnknownRefreshAsksForTheSignedRoute(t *testing.T) {
	nt := newNet(t, 3, nil)
	nt.connect(0, 1, 5*ms)
	nt.run(time.Second)
	r := nt.nodes[0]
	require.NoError(t, r.Step(nt.now, nt.ids[1], &Update{Dest: nt.ids[2], RouterID: 7, Seqno: 1, Metric: 50}))
	rd := r.Ready()
	require.Len(t, rd.Messages, 1)
	require.Equal(t, &RouteRequest{Dest: nt.ids[2]}, rd.Messages[0].Msg)
	_, ok := r.NextHop(nt.ids[2])
	require.False(t, ok)
}
