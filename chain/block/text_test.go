package block_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func TestIDsHashesAndKeysAreHexInJSON(t *testing.T) {
	b := sealed(t, block.ZeroID, []byte("tx"))
	type doc struct {
		ID       block.ID        `json:"id"`
		Root     block.Hash      `json:"root"`
		Producer block.PublicKey `json:"producer"`
	}
	in := doc{ID: b.ID(), Root: b.TxRoot, Producer: b.Producer}
	data, err := json.Marshal(in)
	require.NoError(t, err)
	require.Contains(t, string(data), `"id":"`+b.ID().Hex()+`"`)
	var out doc
	require.NoError(t, json.Unmarshal(data, &out))
	require.Equal(t, in, out)

	var id block.ID
	require.Error(t, json.Unmarshal([]byte(`"abc"`), &id))
	require.Error(t, json.Unmarshal([]byte(`"`+strings.Repeat("zz", 32)+`"`), &id))
	h, err := block.ParseHash(b.TxRoot.String())
	require.NoError(t, err)
	require.Equal(t, b.TxRoot, h)
}
