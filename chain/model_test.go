package chain

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// modelKeys is the small key space random histories write, so that forks
// overwrite each other's keys.
var modelKeys = []string{"k0", "k1", "k2", "k3", "k4"}

// naive replays the transactions from genesis to id into a fresh map: the
// obviously-correct state the overlays must reproduce.
type naive struct {
	parent map[block.ID]block.ID
	txs    map[block.ID][][]byte
}

func (m *naive) state(t *testing.T, id block.ID) map[string]string {
	var path []block.ID
	for ; !id.IsZero(); id = m.parent[id] {
		path = append(path, id)
	}
	st := map[string]string{}
	for i := len(path) - 1; i >= 0; i-- {
		for _, tx := range m.txs[path[i]] {
			ops, err := DecodeKVTx(tx, DefaultKVLimits())
			require.NoError(t, err)
			for _, op := range ops {
				if op.Kind == KVSet {
					st[string(op.Key)] = string(op.Value)
				} else {
					delete(st, string(op.Key))
				}
			}
		}
	}
	return st
}

// Random histories of forks, irreversibility, invalidation and reopening:
// after every step the state at every live block equals a naive replay from
// genesis, and the log, tree and state agree.
func TestRandomHistoriesMatchANaiveReplay(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 4))
	n := newNode(t)
	g := testGenesis(t)
	m := &naive{parent: map[block.ID]block.ID{g.ID(): block.ZeroID}, txs: map[block.ID][][]byte{g.ID(): g.Txs}}
	live := func() []block.ID {
		ids := []block.ID{n.IrreversibleID()}
		for i := 0; i < len(ids); i++ {
			ids = append(ids, n.Tree().Children(ids[i])...)
		}
		return ids
	}
	for step := range 300 {
		ids := live()
		pick := ids[rng.IntN(len(ids))]
		if rng.IntN(2) == 0 {
			pick = n.HeadID() // grow long branches too
		}
		switch r := rng.IntN(100); {
		case r < 72:
			ph, _ := n.Tree().Get(pick)
			var txs [][]byte
			for range rng.IntN(4) {
				k := modelKeys[rng.IntN(len(modelKeys))]
				if rng.IntN(4) == 0 {
					txs = append(txs, del(k))
				} else {
					txs = append(txs, set(k, fmt.Sprint(step)))
				}
			}
			b := n.child(pick, ph.Term+uint64(rng.IntN(2)), txs...)
			n.add(b)
			m.parent[b.ID()], m.txs[b.ID()] = b.Parent, b.Txs
		case r < 84:
			_, err := n.SetIrreversible(pick)
			require.NoError(t, err)
		case r < 92:
			if pick != n.IrreversibleID() {
				_, err := n.MarkInvalid(pick)
				require.NoError(t, err)
			}
		default:
			n.reopen() // MarkInvalid's deletions are unsynced, but a clean close keeps them
		}
		checkConsistent(t, n.Chain)
		for _, id := range live() {
			want := m.state(t, id)
			v, err := n.StateAt(id)
			require.NoError(t, err)
			for _, k := range modelKeys {
				got, ok := get(t, v, k)
				w, wok := want[k]
				require.Equal(t, wok, ok, "step %d block %s key %s", step, id, k)
				require.Equal(t, w, got, "step %d block %s key %s", step, id, k)
			}
		}
	}
	t.Logf("irreversible height %d, %d live blocks, %d created", n.IrreversibleID().Height(), n.Tree().Len(), len(m.txs))
}
