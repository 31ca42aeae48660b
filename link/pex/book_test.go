package pex

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Issue 19 item 1: nodes that know only a few seeds find and keep a
// target number of peers, and the seeds do not end as hubs.
func TestSeedsReachTargetPeers(t *testing.T) {
	for _, seeds := range []int{1, 2} {
		t.Run(fmt.Sprintf("seeds=%d", seeds), func(t *testing.T) {
			n := newNetwork(t)
			var seedIdx []int
			for i := range seeds {
				seedIdx = append(seedIdx, i)
			}
			for i := range 16 {
				var known []int
				for _, s := range seedIdx {
					if s != i {
						known = append(known, s)
					}
				}
				n.add(i, nil, known...)
			}
			n.run(60 * time.Second)
			for i := range 16 {
				id := nodeID(i)
				st := n.books[id].Status()
				require.GreaterOrEqual(t, n.degree(id), 4, "node %d", i)
				require.LessOrEqual(t, n.degree(id), 6, "node %d", i)
				require.GreaterOrEqual(t, st.ReachedAfterMs, int64(0), "node %d never reached its target", i)
				require.Empty(t, n.penalties[id], "honest nodes blame nobody")
			}
			requireConnected(t, n)
		})
	}
}

// requireConnected checks the discovered graph is one component.
func requireConnected(t *testing.T, n *network) {
	t.Helper()
	seen := map[PeerID]bool{nodeID(0): true}
	stack := []PeerID{nodeID(0)}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for q := range n.links[p] {
			if !seen[q] {
				seen[q] = true
				stack = append(stack, q)
			}
		}
	}
	require.Len(t, seen, len(n.books), "the discovered graph is connected")
}

// Peers that leave are replaced: the book redials to its target.
func TestTargetKeptAsPeersLeave(t *testing.T) {
	n := newNetwork(t)
	for i := range 12 {
		n.add(i, nil, 0)
	}
	n.run(30 * time.Second)
	victim := nodeID(5)
	var gone []PeerID
	for q := range n.links[victim] {
		gone = append(gone, q)
	}
	for _, q := range gone {
		n.stop(q)
	}
	n.run(60 * time.Second)
	require.GreaterOrEqual(t, n.degree(victim), 4, "node 5 replaced the %d peers that left", len(gone))
}

// Only addresses we dialled (or probed from the peer's own IP) are shared.
func TestOnlyVerifiedEntriesAreShared(t *testing.T) {
	n := newNetwork(t)
	a := n.add(1, nil)
	n.add(2, nil)
	n.connect(nodeID(2), nodeID(1)) // 2 dialled 1: at 1 the link is inbound
	// A learned, unverified entry at node 1.
	a.entries["ghost"] = &entry{id: "ghost", addrs: []string{nodeAddr("10.9.9.9")}, kind: KindLearned, added: n.now}
	n.stabilize()
	b2 := n.books[nodeID(2)]
	// node 2 asked node 1 (it has no candidates); node 1's answer must not
	// carry the ghost, and node 1 verified node 2's hello by a probe.
	require.NotContains(t, idsOf(b2.Entries()), PeerID("ghost"))
	e2 := entryOf(a.Entries(), nodeID(2))
	require.True(t, e2.Verified, "inbound peer's own address verified by the probe")
}

// An inbound peer's Hello naming an address that is not on the IP it
// connects from is neither probed nor shared.
func TestHelloFromAnotherIPIsNotProbed(t *testing.T) {
	n := newNetwork(t)
	a := n.add(1, nil)
	a.Connected(n.now, "liar", true, false, "10.7.7.7")
	a.Advance()
	hello := Msg{Type: TypeHello, Addrs: []string{nodeAddr("10.0.0.50")}}.AppendTo(nil)
	require.NoError(t, a.Receive(n.now, "liar", hello))
	require.Empty(t, a.Ready().Probes)
	require.NotContains(t, idsOf(a.Entries()), PeerID("liar"))
}

// Failing addresses are backed off, then evicted with the reason shown.
func TestFailingEntriesEvictedWithReason(t *testing.T) {
	n := newNetwork(t)
	a := n.add(1, func(c *Config) { c.TargetPeers, c.MaxPeers = 1, 2 })
	n.add(2, nil)
	n.connect(nodeID(1), nodeID(2))
	n.stabilize()
	// node 2's answer would name nobody; hand node 1 a dead learned entry.
	a.entries["dead"] = &entry{id: "dead", addrs: []string{nodeAddr("10.9.9.9")}, kind: KindLearned, added: n.now}
	n.stop(nodeID(2))
	n.run(5 * time.Minute)
	require.NotContains(t, idsOf(a.Entries()), PeerID("dead"))
	var why string
	for _, d := range a.Dropped() {
		if d.ID == "dead" {
			why = d.Reason
		}
	}
	require.Contains(t, why, "3 consecutive dial failures")
}

// Above MaxPeers the book sheds inbound links past their grace, never
// exempt ones (static peers, producers) and never outbound ones.
func TestShedAboveMaxPeers(t *testing.T) {
	now := time.Unix(0, 0)
	cfg := testConfig("hub", 1)
	b, err := New(cfg, nil, now)
	require.NoError(t, err)
	for i := range 10 {
		b.Connected(now, nodeID(i), true, i < 3, "")
	}
	b.Connected(now, "out", false, false, "")
	require.Empty(t, b.Ready().Closes, "young links are not shed")
	b.Tick(now.Add(cfg.ShedGrace))
	require.Empty(t, b.Ready().Closes, "links we gave no addresses yet are not shed before 4 graces")
	b.Tick(now.Add(4 * cfg.ShedGrace))
	rd := b.Ready()
	require.Len(t, rd.Closes, 11-cfg.MaxPeers)
	for _, c := range rd.Closes {
		require.Equal(t, CloseFull, c.Reason)
		require.NotContains(t, []PeerID{nodeID(0), nodeID(1), nodeID(2), "out"}, c.Peer)
	}
}

// A learned peer that shed us is left alone for FullBackoff.
func TestFullPeerBackedOff(t *testing.T) {
	now := time.Unix(0, 0)
	cfg := testConfig("me", 1)
	cfg.TargetPeers = 1
	b, err := New(cfg, nil, now)
	require.NoError(t, err)
	require.NoError(t, b.AddConfigured("seed", []string{nodeAddr("10.0.0.1")}, KindSeed, now))
	b.Tick(now)
	require.Len(t, b.Ready().Dials, 1)
	b.Advance()
	b.Connected(now, "seed", false, false, "10.0.0.1")
	b.DialDone(now, "seed", "")
	b.Advance()
	require.NoError(t, b.Receive(now, "seed", Msg{Type: TypeAddrs, Entries: []Entry{{ID: "peer", Addrs: []string{nodeAddr("10.0.0.2")}}}}.AppendTo(nil)))
	b.Disconnected(now, "seed", false) // the seed went away: only "peer" is dialable
	require.Equal(t, []PeerID{"peer"}, dialIDs(b.Ready().Dials))
	b.Advance()
	b.Connected(now, "peer", false, false, "10.0.0.2")
	b.DialDone(now, "peer", "")
	b.Advance()
	b.Disconnected(now, "peer", true)
	require.Equal(t, now.Add(cfg.FullBackoff), entryOf(b.Entries(), "peer").NextDial)
	require.Equal(t, []PeerID{"seed"}, dialIDs(b.Ready().Dials), "nothing else to dial: the seed, not the full peer")
}

// A seed that shed us is dialled again soon when nothing else is
// dialable: DialBackoffMin doubling per shed in a row, not FullBackoff.
// The pexnet flake: the seed's first answers hold the one or two nodes
// it had verified; a node that learned only those was shed by the seed
// and by them within ShedGrace and then sat with 0 links, nobody to ask
// and nothing to dial until FullBackoff (a minute) passed. Fails on the
// old code (the seed was left alone for FullBackoff).
func TestStarvedNodeGoesBackToTheSeed(t *testing.T) {
	now := time.Unix(0, 0)
	cfg := testConfig("me", 1)
	cfg.TargetPeers, cfg.MaxPeers = 3, 5
	b, err := New(cfg, []string{nodeAddr("10.0.0.9")}, now)
	require.NoError(t, err)
	require.NoError(t, b.AddConfigured("seed", []string{nodeAddr("10.0.0.1")}, KindSeed, now))
	b.Tick(now)
	require.Equal(t, []PeerID{"seed"}, dialIDs(b.Ready().Dials))
	b.Advance()
	b.Connected(now, "seed", false, false, "10.0.0.1")
	b.DialDone(now, "seed", "")
	b.Advance()
	// The seed knows one verified node so far: the answer holds it alone.
	require.NoError(t, b.Receive(now, "seed", Msg{Type: TypeAddrs, Entries: []Entry{{ID: "early", Addrs: []string{nodeAddr("10.0.0.2")}}}}.AppendTo(nil)))
	require.Equal(t, []PeerID{"early"}, dialIDs(b.Ready().Dials))
	b.Advance()
	b.Connected(now, "early", false, false, "10.0.0.2")
	b.DialDone(now, "early", "")
	b.Advance()
	// Both are over their MaxPeers and shed us after their grace.
	now = now.Add(cfg.ShedGrace)
	b.Disconnected(now, "seed", true)
	b.Disconnected(now, "early", true)
	require.Zero(t, b.Status().Peers)
	b.Advance()
	b.Tick(now.Add(cfg.DialBackoffMin))
	require.Equal(t, []PeerID{"seed"}, dialIDs(b.Ready().Dials), "back to the seed for a larger sample")
	b.Advance()
	// Shed again at once: the next return waits twice as long.
	now = now.Add(cfg.DialBackoffMin)
	b.Connected(now, "seed", false, false, "10.0.0.1")
	b.DialDone(now, "seed", "")
	b.Disconnected(now, "seed", true)
	b.Advance()
	b.Tick(now.Add(cfg.DialBackoffMin))
	require.Empty(t, b.Ready().Dials)
	b.Tick(now.Add(2 * cfg.DialBackoffMin))
	require.Equal(t, []PeerID{"seed"}, dialIDs(b.Ready().Dials))
	require.Equal(t, "shed us: the peer is full", entryOf(b.Entries(), "seed").LastError)
}

func dialIDs(ds []Dial) []PeerID {
	var out []PeerID
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func idsOf(es []EntryInfo) []PeerID {
	out := make([]PeerID, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func entryOf(es []EntryInfo, id PeerID) EntryInfo {
	for _, e := range es {
		if e.ID == id {
			return e
		}
	}
	return EntryInfo{}
}
