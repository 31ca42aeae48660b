package node

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// legacyGenesisID is the id of testdata/genesis-legacy.json, a file the
// code before genesis recorded engines wrote (NewGenesis at 5c33606).
const legacyGenesisID = "0000000000000001a38109a6eac3450d83926063f141fce3f24ac6d3142e9f91"

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

// A genesis records its engine, round-trips it, and the engine is part of
// the chain id (the same producers and time under another engine name
// another chain). Fails on the old code: Genesis had no engine.
func TestGenesisRecordsTheEngine(t *testing.T) {
	var pks []ProducerKey
	for range 4 {
		pks = append(pks, ProducerKey{Key: newKey(t).GetPublic()})
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	ids := map[string]Engine{}
	for _, e := range []Engine{"", EngineCFT, EngineBFT} {
		g, err := NewEngineGenesis("c", at, pks, e)
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "genesis.json")
		require.NoError(t, WriteGenesis(path, g))
		got, err := LoadGenesis(path)
		require.NoError(t, err)
		require.Equal(t, e, got.Engine)
		require.Equal(t, g.ID(), got.ID())
		require.NotContains(t, ids, got.ID().Hex(), "engine %q shares a chain id with %q", e, ids[got.ID().Hex()])
		ids[got.ID().Hex()] = e
	}
	legacy, err := NewGenesis("c", at, pks)
	require.NoError(t, err)
	require.Empty(t, legacy.Engine, "NewGenesis records no engine")
}

// A genesis whose engine was edited after its block was made, an unknown
// engine, and solo with several producers are refused with the reason.
func TestGenesisEngineEditsRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		producers int
		engine    Engine
		edit      func(g *Genesis)
		want      string
	}{
		"bft edited to cft": {4, EngineBFT, func(g *Genesis) { g.Engine = EngineCFT }, `not built for chain "test" with engine "cft"`},
		"engine added":      {4, "", func(g *Genesis) { g.Engine = EngineBFT }, `not built for chain "test" with engine "bft"`},
		"chain renamed":     {4, EngineBFT, func(g *Genesis) { g.Chain = "other" }, `not built for chain "other"`},
		"unknown engine":    {4, EngineBFT, func(g *Genesis) { g.Engine = "pow" }, `engine "pow", want`},
		"solo with four":    {4, EngineCFT, func(g *Genesis) { g.Engine = EngineSolo }, `engine "solo" needs exactly one producer, the genesis lists 4`},
	} {
		t.Run(name, func(t *testing.T) {
			g := engineGenesis(t, tc.producers, tc.engine)
			tc.edit(g)
			data, err := json.Marshal(g)
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), "genesis.json")
			require.NoError(t, os.WriteFile(path, data, 0o644))
			_, err = LoadGenesis(path)
			var ge *GenesisError
			require.ErrorAs(t, err, &ge)
			require.Equal(t, path, ge.File)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := NewEngineGenesis("c", time.Now(), []ProducerKey{{Key: newKey(t).GetPublic()}, {Key: newKey(t).GetPublic()}}, EngineSolo)
	require.ErrorContains(t, err, "needs exactly one producer")
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
	g, err := LoadGenesis(filepath.Join("testdata", "genesis-legacy.json"))
	require.NoError(t, err)
	require.Equal(t, legacyGenesisID, g.ID().Hex())
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
