package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The config format's own tests are in node/config; these cover reading
// the file.

func TestAMissingConfigFileSaysSo(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "absent.toml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// A loaded config resolves relative paths against its file's directory,
// and a refusal names the file.
func TestLoadConfigResolvesAgainstTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "node.toml")
	data, err := RenderConfig(DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	cfg, err := LoadConfig(path)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "data"), cfg.Path(cfg.Node.DataDir))

	require.NoError(t, os.WriteFile(path, []byte("[node]\nrole = \"boss\"\n"), 0o600))
	_, err = LoadConfig(path)
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, path, ce.File)
	require.Equal(t, "node.role", ce.Key)
}
