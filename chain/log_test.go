package chain

import (
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// corrupt applies damage to a node's database after building a short chain,
// then returns the error of opening it again.
func openAfter(t *testing.T, damage func(n *node, irreversible *block.Block)) error {
	n := newNode(t)
	n.produce(1)
	irr := n.produce(1)
	n.produce(1)
	_, err := n.SetIrreversible(irr.ID())
	require.NoError(t, err)
	damage(n, irr)
	c, err := Open(n.db, NewKV(DefaultKVLimits()), testGenesis(t), Config{Limits: block.DefaultLimits(), VerifyOnOpen: true})
	if err == nil {
		checkConsistent(t, c)
	}
	return err
}

func TestOpenDetectsAnInconsistentLog(t *testing.T) {
	cases := map[string]func(n *node, irr *block.Block){
		"pointer without its height entry": func(n *node, irr *block.Block) {
			require.NoError(t, n.db.Delete(heightKey(irr.Height), pebble.Sync))
		},
		"height entry above the pointer": func(n *node, irr *block.Block) {
			id := n.HeadID()
			require.NoError(t, n.db.Set(heightKey(id.Height()), id[:], pebble.Sync))
		},
		"irreversible block missing": func(n *node, irr *block.Block) {
			require.NoError(t, n.db.Delete(blockKey(irr.ID()), pebble.Sync))
		},
		"gap in the height index": func(n *node, irr *block.Block) {
			require.NoError(t, n.db.Delete(heightKey(2), pebble.Sync))
		},
		"stored block damaged": func(n *node, irr *block.Block) {
			require.NoError(t, n.db.Set(blockKey(irr.Parent), []byte{1, 2, 3}, pebble.Sync))
		},
		"stale fork below the irreversible block": func(n *node, irr *block.Block) {
			fork, err := block.Seal(block.Header{Height: 2, Parent: n.Genesis(), Term: 9}, nil, nil, testKey(9))
			require.NoError(t, err)
			require.NoError(t, n.Log().Append([]*block.Block{fork}, pebble.Sync))
		},
		"pointer record damaged": func(n *node, irr *block.Block) {
			require.NoError(t, n.db.Set(metaIrreversible(), []byte{1}, pebble.Sync))
		},
	}
	for name, damage := range cases {
		err := openAfter(t, damage)
		require.ErrorIs(t, err, ErrCorrupt, name)
	}
	require.NoError(t, openAfter(t, func(*node, *block.Block) {}), "an undamaged log opens")
}

func TestAStoredBlockThatNoLongerFitsIsDroppedAtOpen(t *testing.T) {
	n := newNode(t)
	a1 := n.produce(1)
	// A block above the irreversible height whose parent is not stored: it
	// cannot be reloaded and must go, not stop the node.
	var ghost block.ID
	ghost[7], ghost[9] = 5, 1
	orphan, err := block.Seal(block.Header{Height: 6, Parent: ghost, Term: 1}, nil, nil, testKey(1))
	require.NoError(t, err)
	require.NoError(t, n.Log().Append([]*block.Block{orphan}, pebble.Sync))
	n.reopen()
	require.Equal(t, a1.ID(), n.HeadID())
	has, err := n.Log().Has(orphan.ID())
	require.NoError(t, err)
	require.False(t, has)
}

// A simulated power cut (pebble's crashable in-memory filesystem keeps a
// random part of what was not synced) never loses a synced block or an
// acknowledged irreversible block, and always reopens consistent.
func TestCrashLosesOnlyUnsyncedWrites(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	for round := range 8 {
		fs := vfs.NewCrashableMem()
		n := newNodeOn(t, fs)
		var synced []block.ID
		irreversible := n.IrreversibleID()
		steps := 1 + rng.IntN(40)
		for i := range steps {
			n.produce(1, set("h", string(rune('a'+i%26))))
			switch rng.IntN(4) {
			case 0:
				require.NoError(t, n.Sync())
				synced = append(synced, n.HeadID())
			case 1:
				target, _ := n.Tree().Ancestor(n.HeadID(), n.HeadID().Height()-uint64(rng.IntN(2)))
				_, err := n.SetIrreversible(target)
				require.NoError(t, err)
				irreversible = target
			}
		}
		crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: rng.IntN(101), RNG: rand.New(rand.NewPCG(seed, uint64(round)))})
		after := newNodeOn(t, crashed)
		checkConsistent(t, after.Chain)
		require.GreaterOrEqual(t, after.IrreversibleID().Height(), irreversible.Height(), "round %d", round)
		for _, id := range synced {
			has, err := after.Log().Has(id)
			require.NoError(t, err)
			require.True(t, has, "round %d: synced block %s survives", round, id)
			if id.Height() > after.IrreversibleID().Height() {
				require.True(t, after.Tree().Has(id), "round %d: synced block %s is reloaded", round, id)
			}
		}
		n.close()
	}
}
