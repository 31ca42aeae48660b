package cft

import (
	"testing"
	"testing/synctest"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// TestProducerSetChange adds a producer and removes another through change
// transactions carried by blocks; each takes effect (raft configuration)
// only after its block is committed, and the chain keeps going.
func TestProducerSetChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.addNodes(3, 1)
		defer w.stopAll()
		members := w.live()
		spare := w.newNode("p3", false)
		spare.start(nil) // empty raft state: waits to be added
		w.progress(5, members...)

		w.setProducers("p0", "p1", "p2", "p3")
		carrier := w.carry([]Change{{Op: OpAdd, ID: "p3", Addr: "p3"}})
		confIdx := w.waitConfig(func(c raft.Configuration) bool { return hasVoter(c, "p3") })
		w.requireCommittedBefore(carrier, confIdx)
		w.progress(5, w.live()...)
		require.Equal(t, carrier, spare.chainAt(carrier.Height()), "the new producer follows the committed chain")

		// Remove p0. If p0 leads, it hands over after the change commits.
		w.setProducers("p1", "p2", "p3")
		carrier = w.carry([]Change{{Op: OpRemove, ID: "p0"}})
		confIdx = w.waitConfig(func(c raft.Configuration) bool { return !hasVoter(c, "p0") })
		w.requireCommittedBefore(carrier, confIdx)
		var rest []*tnode
		for _, nd := range w.live() {
			if nd.addr != "p0" {
				rest = append(rest, nd)
			}
		}
		w.progress(5, rest...)
		w.check()
	})
}

// carry makes the current leader put changes into its next block and
// returns that block's id once produced.
func (w *world) carry(changes []Change) block.ID {
	w.t.Helper()
	ld := w.leader()
	w.mu.Lock()
	ld.carried = block.ID{}
	ld.changes = changes
	w.mu.Unlock()
	var id block.ID
	w.waitFor("the carrying block", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		id = ld.carried
		return !id.IsZero()
	})
	return id
}

// waitConfig waits until the leader's committed configuration satisfies ok
// and returns the configuration's raft index.
func (w *world) waitConfig(ok func(raft.Configuration) bool) uint64 {
	w.t.Helper()
	var idx uint64
	w.waitFor("the configuration change", func() bool {
		st := w.leader().eng.fsm.state() // the committed configuration
		if !ok(st.Conf) {
			return false
		}
		idx = st.ConfIndex
		return true
	})
	return idx
}

// requireCommittedBefore checks that block id was committed at a raft index
// below the configuration change: the change waited for its block.
func (w *world) requireCommittedBefore(id block.ID, confIdx uint64) {
	w.t.Helper()
	w.waitFor("the carrying block to commit", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, nd := range w.nodes {
			if i, ok := nd.index[id]; ok {
				require.Less(w.t, i, confIdx, "the configuration changed before its block committed")
				return true
			}
		}
		return false
	})
}

func (nd *tnode) chainAt(h uint64) block.ID {
	nd.w.mu.Lock()
	defer nd.w.mu.Unlock()
	return nd.chain[h]
}
