package node

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func testGenesis(t *testing.T, n int) *Genesis {
	t.Helper()
	var pks []ProducerKey
	for range n {
		pks = append(pks, ProducerKey{Key: newKey(t).GetPublic()})
	}
	g, err := NewGenesis("test", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), pks)
	require.NoError(t, err)
	return g
}

func TestGenesisRoundTrip(t *testing.T) {
	g := testGenesis(t, 3)
	path := filepath.Join(t.TempDir(), "genesis.json")
	require.NoError(t, WriteGenesis(path, g))
	got, err := LoadGenesis(path)
	require.NoError(t, err)
	require.Equal(t, g.ID(), got.ID())
	keys, peers := got.ProducerSet()
	require.Len(t, keys, 3)
	require.Len(t, peers, 3)
	require.Equal(t, block.ProducerSetHash(keys), got.GenesisBlock().ProducerSet)
}

func TestGenesisIsDeterministic(t *testing.T) {
	k := newKey(t).GetPublic()
	at := time.Unix(1700000000, 0)
	a, err := NewGenesis("c", at, []ProducerKey{{Name: "a", Key: k}})
	require.NoError(t, err)
	b, err := NewGenesis("c", at, []ProducerKey{{Name: "a", Key: k}})
	require.NoError(t, err)
	require.Equal(t, a.Block, b.Block)
}

func TestGenesisRefusesTampering(t *testing.T) {
	for name, tamper := range map[string]func(g *Genesis){
		"producer added": func(g *Genesis) { g.Producers = append(g.Producers, testGenesis(t, 1).Producers[0]) },
		"peer id swapped": func(g *Genesis) {
			g.Producers[0].PeerID, g.Producers[1].PeerID = g.Producers[1].PeerID, g.Producers[0].PeerID
		},
		"time changed":      func(g *Genesis) { g.Time = g.Time.Add(time.Second) },
		"block not hex":     func(g *Genesis) { g.Block = "zz" },
		"block truncated":   func(g *Genesis) { g.Block = g.Block[:20] },
		"duplicate name":    func(g *Genesis) { g.Producers[1].Name = g.Producers[0].Name },
		"no producers":      func(g *Genesis) { g.Producers = nil },
		"bad public key":    func(g *Genesis) { g.Producers[0].PublicKey = "abcd" },
		"empty chain name":  func(g *Genesis) { g.Chain = "" },
		"other chain block": func(g *Genesis) { g.Block = testGenesis(t, 2).Block },
	} {
		t.Run(name, func(t *testing.T) {
			g := testGenesis(t, 2)
			tamper(g)
			data, err := json.Marshal(g)
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), "genesis.json")
			require.NoError(t, os.WriteFile(path, data, 0o644))
			_, err = LoadGenesis(path)
			var ge *GenesisError
			require.ErrorAs(t, err, &ge)
			require.Equal(t, path, ge.File)
		})
	}
}

func TestGenesisUnknownFieldRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "genesis.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"chain":"x","surprise":1}`), 0o644))
	_, err := LoadGenesis(path)
	require.ErrorContains(t, err, "surprise")
}

func TestNewRefusesBadSetups(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.SetDir(dir)
	cfg.Log.Level, cfg.Log.File = "disabled", ""

	_, err := New(cfg)
	var ge *GenesisError
	require.ErrorAs(t, err, &ge, "no genesis file")

	// role = "producer" with a key outside the set in force: the set
	// decides, the node runs as a full node until a change adds it.
	g := testGenesis(t, 2)
	cfg.Node.Role = RoleProducer
	n, err := New(cfg, WithGenesis(g), WithKey(newKey(t)))
	require.NoError(t, err)
	require.Equal(t, RoleFull, n.Role())
	require.Equal(t, RoleFull, n.Status().Role)
	require.Equal(t, RoleProducer, n.Status().ConfigRole)
	require.NoError(t, n.Stop())
	require.NoError(t, os.RemoveAll(cfg.Path(cfg.Node.DataDir)))

	cfg.Node.Role = RoleFull
	cfg.Consensus.Engine = EngineSolo
	_, err = New(cfg, WithGenesis(g), WithKey(newKey(t)))
	require.ErrorContains(t, err, "exactly one genesis producer")

	cfg.Consensus.Engine = EngineCFT
	n, err = New(cfg, WithGenesis(g), WithKey(newKey(t)))
	require.NoError(t, err, "a full node needs no producer key")
	require.NoError(t, n.Stop())

	// The database now holds this genesis: another one is refused.
	_, err = New(cfg, WithGenesis(testGenesis(t, 1)), WithKey(newKey(t)))
	require.Error(t, err)
	require.ErrorContains(t, err, "opening chain")
}
