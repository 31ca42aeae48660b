package logs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node/config"
)

func TestComponentLevelsOverrideTheBaseLevel(t *testing.T) {
	var out bytes.Buffer
	logFile := filepath.Join(t.TempDir(), "node.log")
	logs, err := Open(config.LogConfig{Level: "info", Format: "json", Components: map[string]string{"link": "debug"}}, logFile, &out)
	require.NoError(t, err)
	linkLog, chainLog := logs.Component("link"), logs.Component("chain")
	linkLog.Debug().Msg("link detail")
	chainLog.Debug().Msg("chain detail")
	chainLog.Info().Str("id", "7:abcd").Msg("block added")
	require.NoError(t, logs.Close())

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2, "chain's debug line is filtered: %q", out.String())
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.Equal(t, "link", first["component"])
	require.Equal(t, "debug", first["level"])

	file, err := os.ReadFile(logFile)
	require.NoError(t, err)
	require.Equal(t, out.String(), string(file), "the file gets the same JSON lines")
}

func TestConsoleFormatIsHumanReadable(t *testing.T) {
	var out bytes.Buffer
	logs, err := Open(config.LogConfig{Level: "info", Format: "console"}, "", &out)
	require.NoError(t, err)
	nodeLog := logs.Component("node")
	nodeLog.Info().Msg("started")
	require.Contains(t, out.String(), "started")
	require.NotContains(t, out.String(), "{")
}

func TestABadLevelIsAConfigError(t *testing.T) {
	_, err := Open(config.LogConfig{Level: "loud", Format: "json"}, "", &bytes.Buffer{})
	var ce *config.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "log.level", ce.Key)
}

// Bare loggers keep the component's level but add no component field:
// the layers that get them tag their own lines.
func TestBareLoggersKeepTheLevelWithoutTheField(t *testing.T) {
	var out bytes.Buffer
	logs, err := Open(config.LogConfig{Level: "warn", Format: "json", Components: map[string]string{"link": "debug"}}, "", &out)
	require.NoError(t, err)
	linkLog, chainLog := logs.Bare("link"), logs.Bare("chain")
	linkLog.Debug().Str("component", "link").Msg("tagged by link")
	chainLog.Info().Msg("below warn")
	require.NoError(t, logs.Close())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 1, "chain's info line is filtered: %q", out.String())
	require.Equal(t, 1, strings.Count(lines[0], `"component"`), "one component field, the layer's own")
}
