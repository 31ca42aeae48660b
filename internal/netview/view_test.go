package netview

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/quick"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1_700_000_000, 0)

func newView(t *testing.T, mut func(*Config)) *View {
	t.Helper()
	cfg := DefaultConfig()
	if mut != nil {
		mut(&cfg)
	}
	v, err := New(cfg)
	require.NoError(t, err)
	return v
}

// star is a producer p0 leading n−1 full nodes that each link to it.
func star(n int, head uint64, bytes uint64) []Report {
	rs := make([]Report, n)
	for i := range rs {
		id := fmt.Sprintf("n%d", i)
		rs[i].Node = Node{ID: id, Role: "full", Head: head, Irreversible: head - 1, Term: 2, Leader: "n0"}
		if i == 0 {
			rs[i].Node.Role, rs[i].Node.Producing = "producer", true
			continue
		}
		lanes := []Lane{{Name: "blocks", BytesIn: bytes, BytesOut: 10}}
		rs[i].Peers = []Peer{{ID: "n0", Connected: true, Producer: true, Mode: "active", RTTMs: 0.42, Lanes: lanes,
			Tree: map[string]string{"n0": "active"}}}
		rs[0].Peers = append(rs[0].Peers, Peer{ID: id, Connected: true, Mode: "active", RTTMs: 0.4,
			Tree: map[string]string{"n0": "active"}, Lanes: []Lane{{Name: "blocks", BytesOut: bytes}}})
	}
	return rs
}

func TestStepSendsOnlyWhatChanged(t *testing.T) {
	v := newView(t, nil)
	f := v.Step(t0, star(3, 10, 1000))
	require.Len(t, f.Nodes, 3)
	require.Len(t, f.Links, 4)
	require.Equal(t, uint64(1), f.Seq)

	f = v.Step(t0.Add(time.Second), star(3, 10, 1000))
	require.Empty(t, f.Nodes, "nothing changed")
	require.Empty(t, f.Links, "counters did not move, and the first rates were 0 already")

	rs := star(3, 11, 1000)
	rs[1].Peers[0].RTTMs = 0.44 // quantized to the same 0.4 ms
	f = v.Step(t0.Add(2*time.Second), rs)
	require.Len(t, f.Nodes, 3, "every head moved")
	require.Empty(t, f.Links, "an RTT change below 0.1 ms is noise")
	require.Equal(t, uint64(11), f.Consensus[0].HeadMax)
	require.Equal(t, "n0", f.Consensus[0].Leader)
}

func TestByteRatesAreDifferencesOverTheInterval(t *testing.T) {
	v := newView(t, func(c *Config) { c.StatsEvery = 1 })
	v.Step(t0, star(2, 5, 1000))
	f := v.Step(t0.Add(2*time.Second), star(2, 5, 9000))
	require.Len(t, f.Links, 2)
	byKey := map[string]Link{}
	for _, l := range f.Links {
		byKey[l.Key()] = l
	}
	require.InDelta(t, 4000, byKey["n1>n0"].InBps, 0.001)
	require.InDelta(t, 4000, byKey["n0>n1"].OutBps, 0.001)
	require.InDelta(t, 4000, byKey["n1>n0"].Lanes[0].InBps, 0.001)
}

func TestMaxLinksDefersStructuralChangesFirstAndLosesNothing(t *testing.T) {
	v := newView(t, func(c *Config) { c.MaxLinks, c.StatsEvery = 3, 1 })
	var m Model
	require.NoError(t, m.Apply(v.Snapshot()))
	f := v.Step(t0, star(6, 3, 0)) // 10 new links
	require.Len(t, f.Links, 3)
	require.Equal(t, 7, f.LinksDeferred)
	require.NoError(t, m.Apply(f))
	for i := 1; i < 4; i++ {
		f = v.Step(t0.Add(time.Duration(i)*time.Second), star(6, 3, 0))
		require.NoError(t, m.Apply(f))
	}
	require.Len(t, m.Links, 10, "deferred links went out in later frames")

	rs := star(6, 3, 0)
	rs[2].Peers[0].Tree = map[string]string{"n0": "backup"}                    // structural
	rs[3].Peers[0].RTTMs, rs[4].Peers[0].RTTMs = 5, 6                          // statistics
	rs[0].Peers[0].RTTMs, rs[0].Peers[1].RTTMs, rs[0].Peers[2].RTTMs = 7, 8, 9 // statistics
	f = v.Step(t0.Add(10*time.Second), rs)
	require.Len(t, f.Links, 3)
	require.Contains(t, f.Links, linkOf(t, f, "n2>n0"), "the prune goes out first")
	require.Equal(t, "backup", linkOf(t, f, "n2>n0").Tree["n0"])
}

func linkOf(t *testing.T, f Frame, key string) Link {
	t.Helper()
	for _, l := range f.Links {
		if l.Key() == key {
			return l
		}
	}
	t.Fatalf("link %s not in frame", key)
	return Link{}
}

func TestWavesAreDeduplicatedAndBounded(t *testing.T) {
	v := newView(t, func(c *Config) { c.MaxWaves = 2 })
	rs := star(3, 5, 0)
	rs[0].Arrivals = []Arrival{{Block: "b5", Height: 5, Producer: "n0", AtUs: 100, Produced: true}}
	rs[1].Arrivals = []Arrival{{Block: "b5", Height: 5, Producer: "n0", AtUs: 900, Copies: 1}}
	f := v.Step(t0, rs)
	require.Len(t, f.Waves, 1)
	require.Len(t, f.Waves[0].Arrivals, 2)

	rs[2].Arrivals = rs[1].Arrivals // n2 catches up; n0 and n1 repeat theirs
	rs[2].Arrivals[0].AtUs = 1500
	f = v.Step(t0.Add(time.Second), rs)
	require.Len(t, f.Waves, 1)
	require.Equal(t, []WaveArrival{{Node: "n2", AtUs: 1500, Copies: 1}}, f.Waves[0].Arrivals, "only the new arrival")

	rs = star(3, 9, 0)
	for h := uint64(6); h <= 9; h++ {
		rs[0].Arrivals = append(rs[0].Arrivals, Arrival{Block: fmt.Sprintf("b%d", h), Height: h, AtUs: int64(h)})
	}
	f = v.Step(t0.Add(2*time.Second), rs)
	require.Len(t, f.Waves, 2)
	require.Equal(t, uint64(9), f.Waves[0].Height, "the newest blocks win")
	require.Equal(t, uint64(8), f.Waves[1].Height)
	require.Equal(t, uint64(2), f.WavesDropped)

	snap := v.Snapshot()
	require.Len(t, snap.Waves, 5, "blocks 5..9")
	require.Len(t, snap.Waves[4].Arrivals, 3)
}

func TestWaveMemoryForgetsOldBlocksForGood(t *testing.T) {
	v := newView(t, func(c *Config) { c.WaveMemory, c.RecentWaves = 2, 2 })
	rs := star(1, 3, 0)
	rs[0].Arrivals = []Arrival{{Block: "b1", Height: 1}, {Block: "b2", Height: 2}, {Block: "b3", Height: 3}}
	f := v.Step(t0, rs)
	require.Len(t, f.Waves, 2)
	f = v.Step(t0.Add(time.Second), rs)
	require.Empty(t, f.Waves, "b1 was forgotten and does not come back when repeated")
}

func TestANeighbourhoodShowsPeersAsRemoteNodes(t *testing.T) {
	v := newView(t, nil)
	r := Report{Node: Node{ID: "me", Role: "full", Head: 7}, Peers: []Peer{
		{ID: "p", Connected: true, Producer: true, Head: 8, Irreversible: 6},
		{ID: "q", Connected: false, Head: 3},
	}}
	f := v.Step(t0, []Report{r})
	require.Len(t, f.Nodes, 3)
	require.Equal(t, Node{ID: "p", Role: "producer", Remote: true, Head: 8, Irreversible: 6}, f.Nodes[1])
	require.True(t, f.Nodes[2].Down, "no live link to q")

	r.Peers = r.Peers[:1]
	f = v.Step(t0.Add(time.Second), []Report{r})
	require.Equal(t, []string{"q"}, f.NodesGone)
	require.Equal(t, []string{"me>q"}, f.LinksGone)
}

func TestADownNodeKeepsItsLastState(t *testing.T) {
	v := newView(t, nil)
	v.Step(t0, star(2, 4, 0))
	rs := star(2, 5, 0)
	rs[1] = Report{Node: Node{ID: "n1", Down: true, Error: "timeout"}}
	f := v.Step(t0.Add(time.Second), rs)
	require.Empty(t, f.LinksGone, "its links are kept as last sent")
	var n1 Node
	for _, n := range f.Nodes {
		if n.ID == "n1" {
			n1 = n
		}
	}
	require.Equal(t, Node{ID: "n1", Role: "full", Head: 4, Irreversible: 3, Term: 2, Leader: "n0", Down: true, Error: "timeout"}, n1)
	require.Equal(t, 1, f.Consensus[0].Up)
}

func TestHistoryIsBounded(t *testing.T) {
	v := newView(t, func(c *Config) { c.History = 3 })
	for i := range 5 {
		v.Step(t0.Add(time.Duration(i)*time.Second), star(2, uint64(i+2), 0))
	}
	h := v.Snapshot().Consensus
	require.Len(t, h, 3)
	require.Equal(t, uint64(6), h[2].HeadMax)
}

func TestDeltaAfterAGapIsRefused(t *testing.T) {
	v := newView(t, nil)
	var m Model
	require.NoError(t, m.Apply(v.Snapshot()))
	v.Step(t0, star(2, 2, 0))
	var gap *GapError
	require.ErrorAs(t, m.Apply(v.Step(t0.Add(time.Second), star(2, 3, 0))), &gap)
}

// TestSnapshotPlusDeltasIsThePicture checks the stream's contract on random
// networks: a client that starts from any snapshot and applies every
// following delta holds exactly the picture a new snapshot shows.
func TestSnapshotPlusDeltasIsThePicture(t *testing.T) {
	check := func(seed uint64, joinAt uint8) bool {
		rng := rand.New(rand.NewPCG(seed, 1))
		v, err := New(Config{MaxLinks: 1 + rng.IntN(6), StatsEvery: 1 + rng.IntN(3), MaxWaves: 1 + rng.IntN(3), RecentWaves: 2, WaveMemory: 8, History: 5})
		require.NoError(t, err)
		var m Model
		joined := false
		for step := range 30 {
			if step == int(joinAt%30) {
				require.NoError(t, m.Apply(v.Snapshot()))
				joined = true
			}
			f := v.Step(t0.Add(time.Duration(step)*time.Second), randomReports(rng, step))
			if joined {
				require.NoError(t, m.Apply(f))
			}
		}
		var want Model
		require.NoError(t, want.Apply(v.Snapshot()))
		return m.Equal(&want)
	}
	require.NoError(t, quick.Check(check, &quick.Config{MaxCount: 200}))
}

func randomReports(rng *rand.Rand, step int) []Report {
	n := 2 + rng.IntN(5)
	modes := []string{"active", "backup", "off"}
	var rs []Report
	for i := range n {
		r := Report{Node: Node{ID: fmt.Sprintf("n%d", i), Head: uint64(step + rng.IntN(2)), Term: uint64(rng.IntN(2))}}
		if rng.IntN(8) == 0 {
			r.Node.Down = true
		}
		for j := range n + 1 { // n+1: one peer that never reports (remote)
			if j == i || rng.IntN(3) == 0 {
				continue
			}
			r.Peers = append(r.Peers, Peer{ID: fmt.Sprintf("n%d", j), Connected: rng.IntN(4) != 0,
				Mode: modes[rng.IntN(3)], RTTMs: float64(rng.IntN(3)),
				Tree:  map[string]string{"n0": modes[rng.IntN(2)]},
				Lanes: []Lane{{Name: "blocks", BytesIn: uint64(step * rng.IntN(1000)), Queued: int64(rng.IntN(3))}}})
		}
		if rng.IntN(2) == 0 {
			r.Routes = []Route{{Dest: "n0", NextHop: fmt.Sprintf("n%d", rng.IntN(n)), Reachable: true, Metric: uint64(rng.IntN(3))}}
		}
		r.Arrivals = []Arrival{{Block: fmt.Sprintf("b%d", step), Height: uint64(step + 1), AtUs: int64(rng.IntN(1000))}}
		rs = append(rs, r)
	}
	return rs
}

func TestStatisticsAloneWaitStatsEverySteps(t *testing.T) {
	v := newView(t, func(c *Config) { c.StatsEvery = 3 })
	v.Step(t0, star(2, 5, 0))
	sent := 0
	for i := 1; i <= 6; i++ {
		rs := star(2, 5, 0)
		rs[1].Peers[0].RTTMs = float64(i) // a new RTT every step
		if i >= 4 {
			rs[1].Peers[0].Tree = map[string]string{"n0": "backup"} // structural at step 4: at once
		}
		f := v.Step(t0.Add(time.Duration(i)*time.Second), rs)
		for _, l := range f.Links {
			if l.Key() == "n1>n0" {
				sent++
				require.Contains(t, []int{3, 4}, i, "step %d", i)
			}
		}
	}
	require.Equal(t, 2, sent, "step 3 (stats, 3 steps after the first frame) and step 4 (a prune)")
}

func TestConfigValidateNamesTheField(t *testing.T) {
	c := DefaultConfig()
	c.MaxWaves = 0
	require.ErrorContains(t, c.Validate(), "MaxWaves is 0")
	_, err := New(c)
	require.Error(t, err)
}
