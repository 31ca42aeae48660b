package node

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The genesis format's own tests are in chain/genesis; these cover the
// file I/O here and how New uses a genesis.

// legacyGenesis is a file the code before genesis recorded engines wrote
// (chain/genesis's golden file).
var legacyGenesis = filepath.Join("..", "chain", "genesis", "testdata", "genesis-legacy.json")

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

func engineGenesis(t *testing.T, producers int, e Engine) *Genesis {
	t.Helper()
	var pks []ProducerKey
	for range producers {
		pks = append(pks, ProducerKey{Key: newKey(t).GetPublic()})
	}
	g, err := NewEngineGenesis("test", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), pks, e)
	require.NoError(t, err)
	return g
}

func TestGenesisFileRoundTrip(t *testing.T) {
	g := engineGenesis(t, 3, EngineBFT)
	path := filepath.Join(t.TempDir(), "sub", "genesis.json")
	require.NoError(t, WriteGenesis(path, g))
	got, err := LoadGenesis(path)
	require.NoError(t, err)
	require.Equal(t, g.ID(), got.ID())
	require.Equal(t, EngineBFT, got.Engine)
}

// A refused file's *GenesisError names it.
func TestLoadGenesisNamesTheFile(t *testing.T) {
	g := testGenesis(t, 2)
	g.Time = g.Time.Add(time.Second)
	data, err := json.Marshal(g)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "genesis.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err = LoadGenesis(path)
	var ge *GenesisError
	require.ErrorAs(t, err, &ge)
	require.Equal(t, path, ge.File)
	require.ErrorContains(t, err, "node: genesis "+path+": block: timestamp")

	_, err = LoadGenesis(filepath.Join(t.TempDir(), "absent.json"))
	require.ErrorAs(t, err, &ge)
	require.Contains(t, ge.File, "absent.json")
	require.Error(t, WriteGenesis(path, g), "WriteGenesis validates")
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

// A node whose consensus.engine is not its genesis engine refuses to
// start, naming both values (and the file). Fails on the old code: the
// node started and, on a real network, stalled or forked off.
func TestNodeRefusesAnEngineOtherThanTheGenesis(t *testing.T) {
	dir := t.TempDir()
	g := engineGenesis(t, 4, EngineBFT)
	require.NoError(t, WriteGenesis(filepath.Join(dir, "genesis.json"), g))
	cfg := DefaultConfig()
	cfg.SetDir(dir)
	cfg.Log.Level, cfg.Log.File = "disabled", ""
	cfg.Node.Role = RoleFull
	require.Equal(t, EngineCFT, cfg.Consensus.Engine)

	_, err := New(cfg, WithKey(newKey(t)))
	var me *EngineMismatchError
	require.ErrorAs(t, err, &me)
	require.Equal(t, EngineCFT, me.Config)
	require.Equal(t, EngineBFT, me.Genesis)
	require.Equal(t, filepath.Join(dir, "genesis.json"), me.File)
	require.ErrorContains(t, err, `consensus.engine = "cft", but the genesis `+me.File+` records engine "bft"`)
	require.NoDirExists(t, cfg.Path(cfg.Node.DataDir), "refused before the database is opened")

	_, err = New(cfg, WithGenesis(g), WithKey(newKey(t)))
	require.ErrorAs(t, err, &me)
	require.Empty(t, me.File)

	cfg.Consensus.Engine = EngineBFT
	n, err := New(cfg, WithKey(newKey(t)))
	require.NoError(t, err)
	require.NoError(t, n.Stop())
}

// A genesis file written before the field existed still loads with its old
// id, and records no engine: any consensus.engine is accepted, as before.
func TestLegacyGenesisStillLoads(t *testing.T) {
	g, err := LoadGenesis(legacyGenesis)
	require.NoError(t, err)
	require.Equal(t, "0000000000000001a38109a6eac3450d83926063f141fce3f24ac6d3142e9f91", g.ID().Hex())
	require.Empty(t, g.Engine)
	for _, e := range []Engine{EngineCFT, EngineBFT} {
		require.NoError(t, g.CheckEngine(e, ""))
		dir := t.TempDir()
		cfg := DefaultConfig()
		cfg.SetDir(dir)
		cfg.Log.Level, cfg.Log.File = "disabled", ""
		cfg.Node.Role = RoleFull
		cfg.Consensus.Engine = e
		n, err := New(cfg, WithGenesis(g), WithKey(newKey(t)))
		require.NoError(t, err, e)
		require.NoError(t, n.Stop())
	}
	// Rewriting it keeps the file's meaning: no engine field appears.
	path := filepath.Join(t.TempDir(), "genesis.json")
	require.NoError(t, WriteGenesis(path, g))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(data), `"engine"`)
}
