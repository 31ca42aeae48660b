package genesis

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzGenesis feeds arbitrary bytes to Decode. It must never panic; what it
// accepts must be valid, re-encode, and decode again to the same genesis
// (same id, same bytes): Encode(Decode(x)) is a fixed point.
func FuzzGenesis(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "genesis-*.json"))
	require.NoError(f, err)
	for _, p := range files {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`{"chain":"x","engine":"bft","genesis_time":"2026-01-01T00:00:00Z","producers":[],"block":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Decode(data)
		if err != nil {
			var ge *Error
			require.ErrorAs(t, err, &ge)
			return
		}
		require.NoError(t, g.Validate())
		enc, err := g.Encode()
		require.NoError(t, err)
		again, err := Decode(enc)
		require.NoError(t, err)
		require.Equal(t, g.ID(), again.ID())
		require.Equal(t, g.Engine, again.Engine)
		enc2, err := again.Encode()
		require.NoError(t, err)
		require.Equal(t, enc, enc2)
	})
}
