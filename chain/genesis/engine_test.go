package genesis

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func engineGenesis(t *testing.T, producers int, e Engine) *Doc {
	t.Helper()
	var pks []ProducerKey
	for range producers {
		pks = append(pks, ProducerKey{Key: newKey(t)})
	}
	g, err := NewWithEngine("test", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), pks, e)
	require.NoError(t, err)
	return g
}

// A genesis records its engine, round-trips it, and the engine is part of
// the chain id (the same producers and time under another engine name
// another chain).
func TestGenesisRecordsTheEngine(t *testing.T) {
	var pks []ProducerKey
	for range 4 {
		pks = append(pks, ProducerKey{Key: newKey(t)})
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	ids := map[string]Engine{}
	for _, e := range []Engine{"", EngineCFT, EngineBFT} {
		g, err := NewWithEngine("c", at, pks, e)
		require.NoError(t, err)
		data, err := g.Encode()
		require.NoError(t, err)
		got, err := Decode(data)
		require.NoError(t, err)
		require.Equal(t, e, got.Engine)
		require.Equal(t, g.ID(), got.ID())
		require.NotContains(t, ids, got.ID().Hex(), "engine %q shares a chain id with %q", e, ids[got.ID().Hex()])
		ids[got.ID().Hex()] = e
	}
	legacy, err := New("c", at, pks)
	require.NoError(t, err)
	require.Empty(t, legacy.Engine, "New records no engine")
}

// A genesis whose engine was edited after its block was made, an unknown
// engine, and solo with several producers are refused with the reason.
func TestGenesisEngineEditsRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		producers int
		engine    Engine
		edit      func(g *Doc)
		want      string
	}{
		"bft edited to cft": {4, EngineBFT, func(g *Doc) { g.Engine = EngineCFT }, `not built for chain "test" with engine "cft"`},
		"engine added":      {4, "", func(g *Doc) { g.Engine = EngineBFT }, `not built for chain "test" with engine "bft"`},
		"chain renamed":     {4, EngineBFT, func(g *Doc) { g.Chain = "other" }, `not built for chain "other"`},
		"unknown engine":    {4, EngineBFT, func(g *Doc) { g.Engine = "pow" }, `engine "pow", want`},
		"solo with four":    {4, EngineCFT, func(g *Doc) { g.Engine = EngineSolo }, `engine "solo" needs exactly one producer, the genesis lists 4`},
	} {
		t.Run(name, func(t *testing.T) {
			g := engineGenesis(t, tc.producers, tc.engine)
			tc.edit(g)
			data, err := json.Marshal(g)
			require.NoError(t, err)
			_, err = Decode(data)
			var ge *Error
			require.ErrorAs(t, err, &ge)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := NewWithEngine("c", time.Now(), []ProducerKey{{Key: newKey(t)}, {Key: newKey(t)}}, EngineSolo)
	require.ErrorContains(t, err, "needs exactly one producer")
}

// CheckEngine accepts the recorded engine (or any, when none is recorded)
// and otherwise names both values and the file.
func TestCheckEngine(t *testing.T) {
	g := engineGenesis(t, 4, EngineBFT)
	require.NoError(t, g.CheckEngine(EngineBFT, "g.json"))
	err := g.CheckEngine(EngineCFT, "g.json")
	var me *EngineMismatchError
	require.ErrorAs(t, err, &me)
	require.Equal(t, EngineMismatchError{Config: EngineCFT, Genesis: EngineBFT, File: "g.json"}, *me)
	require.EqualError(t, err, `node: consensus.engine = "cft", but the genesis g.json records engine "bft": every node `+
		`of a chain runs the genesis engine; set consensus.engine = "bft"`)
	require.ErrorContains(t, g.CheckEngine(EngineSolo, ""), `but the genesis records engine "bft"`)
	none := engineGenesis(t, 4, "")
	for _, e := range []Engine{EngineCFT, EngineBFT, EngineSolo} {
		require.NoError(t, none.CheckEngine(e, ""))
	}
}
