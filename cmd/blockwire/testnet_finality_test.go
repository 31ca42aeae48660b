package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftrun"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/node"
)

// Three producers and a full node; block h is proposed at h·100 ms, and
// from block 5 on a second later (the view of 5 timed out first); the
// first producer holds each final 30 ms after its proposal (block 7:
// 200 ms), the others later still, the full node 250 ms after. Heights
// outside [lo, hi] do not count.
func TestConsensusFiguresFromNodeRecords(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	recs := make([][]node.BlockArrival, 4)
	producer := []bool{true, true, true, false}
	for h := uint64(1); h <= 10; h++ {
		prop := int(h) * 100
		if h >= 5 {
			prop += 1000
		}
		fin := prop + 30
		if h == 7 {
			fin = prop + 200
		}
		maker := int(h % 3)
		for i := range recs {
			a := node.BlockArrival{ID: testID(h), Height: h, Timestamp: at(prop - 5), First: at(prop + 5), Irreversible: at(fin + 10*i)}
			if i == maker {
				a.Produced, a.First = true, at(prop)
			}
			if i == 3 {
				a.Irreversible = at(prop + 250)
			}
			recs[i] = append(recs[i], a)
		}
	}
	fig, timeline := consensusFrom(recs, producer, 2, 9)
	require.Equal(t, 8, fig.BlocksMeasured)
	require.Len(t, timeline, 8)
	require.InDelta(t, 30, fig.FinalityP50Ms, 0.001, "from the producer's finish to the first producer's finality")
	require.InDelta(t, 200, fig.FinalityP99Ms, 0.001)
	require.InDelta(t, 250, fig.FullNodeP50Ms, 0.001)
	require.InDelta(t, 100, fig.BlockIntervalP50Ms, 0.001)
	require.InDelta(t, 100, fig.FinalIntervalP50Ms, 0.001)
	require.InDelta(t, 1100, fig.FinalGapMaxMs, 0.001, "block 4 final at 430 ms, block 5 at 1,530")

	// A kill at 420 ms (block 4 proposed, final at 430): the first block
	// proposed after it, 5, is final at 1,530 ms.
	stall, gap, n := killGaps(timeline, at(420), at(750))
	require.InDelta(t, 1530-420, stall, 0.001, "block 5 is final after the window: the stall is still its finality")
	require.Equal(t, 1, n, "only block 4 became final inside the window")
	require.InDelta(t, 100, gap, 0.001)
	stall, gap, n = killGaps(timeline, at(420), at(2000))
	require.InDelta(t, 1110, stall, 0.001)
	require.Equal(t, 6, n)
	require.InDelta(t, 1100, gap, 0.001)
	require.Equal(t, []slowGap{{AfterKillMs: 1110, Ms: 1100}}, slowGaps(timeline, at(420), at(2000), 300*time.Millisecond))
	require.Empty(t, slowGaps(timeline, at(420), at(750), 300*time.Millisecond))

	// The producer's record is gone (killed): the header time stands in.
	for i := range recs {
		for k := range recs[i] {
			recs[i][k].Produced = false
		}
	}
	fig, _ = consensusFrom(recs, producer, 2, 9)
	require.InDelta(t, 35, fig.FinalityP50Ms, 0.001)
}

func testID(h uint64) block.ID {
	var id block.ID
	for i := range 8 {
		id[i] = byte(h >> (56 - 8*i))
	}
	id[31] = 7
	return id
}

// Under bft a view that ends without a final block shows as a header view
// ahead of the height; under cft each new raft term is an election.
func TestViewChangesFromTheIrreversibleBlocks(t *testing.T) {
	sample := func(h, term uint64) []nodeSample {
		return []nodeSample{{err: errTest}, {status: node.Status{Irreversible: node.BlockRef{Height: h, Term: term}}}, {status: node.Status{Irreversible: node.BlockRef{Height: h - 1, Term: term - 1}}}}
	}
	require.Equal(t, uint64(3), viewChanges("bft", sample(10, 12), sample(30, 35)), "20 blocks in 23 views")
	require.Equal(t, uint64(0), viewChanges("bft", sample(10, 12), sample(30, 32)))
	require.Equal(t, uint64(2), viewChanges("cft", sample(10, 3), sample(30, 5)))
	require.Equal(t, uint64(0), viewChanges("bft", sample(10, 12), []nodeSample{{err: errTest}}))
}

var errTest = errTestT("down")

type errTestT string

func (e errTestT) Error() string { return string(e) }

// The leader is named by its genesis name: by key under bft (a member's
// view), by peer id under raft; a full node's status names none.
func TestLeaderOfConsensusStatus(t *testing.T) {
	ps := []node.GenesisProducer{{Name: "node0", PeerID: "p0", PublicKey: "aa"}, {Name: "node1", PeerID: "p1", PublicKey: "bb"}}
	name, view, ok := leaderOf(node.ConsensusStatus{Producers: ps, BFT: &bftrun.Status{Member: true, View: 9, Leader: "bb"}})
	require.True(t, ok)
	require.Equal(t, "node1", name)
	require.Equal(t, uint64(9), view)
	name, view, ok = leaderOf(node.ConsensusStatus{Producers: ps, Raft: &cft.Status{Term: 4, Leader: "p0"}})
	require.True(t, ok)
	require.Equal(t, "node0", name)
	require.Equal(t, uint64(4), view)
	_, _, ok = leaderOf(node.ConsensusStatus{Producers: ps})
	require.False(t, ok)
	_, _, ok = leaderOf(node.ConsensusStatus{Producers: ps, BFT: &bftrun.Status{Member: false, Leader: "bb"}})
	require.False(t, ok, "a removed producer's view is stale")
}

// The records check fires on exactly what a producer that forgot its
// records could sign.
func TestContradictionInSafetyRecords(t *testing.T) {
	a, b := testID(5), testID(6)
	ok := []bft.Record{{Kind: bft.RecNotarized, View: 3, Block: a}, {Kind: bft.RecFinalized, View: 3, Block: a}, {Kind: bft.RecNotarized, View: 3, Block: a}, {Kind: bft.RecNullified, View: 4}}
	require.NoError(t, contradiction(ok))
	require.ErrorContains(t, contradiction(append(ok, bft.Record{Kind: bft.RecNotarized, View: 3, Block: b})), "view 3: notarize records")
	require.ErrorContains(t, contradiction(append(ok, bft.Record{Kind: bft.RecFinalized, View: 4, Block: b})), "view 4: nullified and finalized")
}

func TestKillOptionsValidate(t *testing.T) {
	require.NoError(t, killOptions{}.validate(time.Second, true), "off")
	require.NoError(t, killOptions{at: 5 * time.Second, down: 5 * time.Second}.validate(30*time.Second, false))
	require.ErrorContains(t, killOptions{at: 5 * time.Second}.validate(30*time.Second, true), "--perturb")
	require.ErrorContains(t, killOptions{at: 20 * time.Second, down: 10 * time.Second}.validate(30*time.Second, false), "must end before")
}

// The load sends a down node's share to the next node.
func TestLoadSkipsADownNode(t *testing.T) {
	l := newTxLoad(1, make([]*adminClient, 3))
	require.Equal(t, []int{0, 1, 2, 0}, []int{l.pick(0), l.pick(1), l.pick(2), l.pick(3)})
	l.skip = func(i int) bool { return i == 1 }
	require.Equal(t, []int{0, 2, 2, 0}, []int{l.pick(0), l.pick(1), l.pick(2), l.pick(3)})
}
