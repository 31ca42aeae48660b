package node

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestComponentLevelsOverrideTheBaseLevel(t *testing.T) {
	var out bytes.Buffer
	logFile := filepath.Join(t.TempDir(), "node.log")
	logs, err := OpenLogs(LogConfig{Level: "info", Format: "json", Components: map[string]string{"link": "debug"}}, logFile, &out)
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
	logs, err := OpenLogs(LogConfig{Level: "info", Format: "console"}, "", &out)
	require.NoError(t, err)
	nodeLog := logs.Component("node")
	nodeLog.Info().Msg("started")
	require.Contains(t, out.String(), "started")
	require.NotContains(t, out.String(), "{")
}

func TestABadLevelIsAConfigError(t *testing.T) {
	_, err := OpenLogs(LogConfig{Level: "loud", Format: "json"}, "", &bytes.Buffer{})
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "log.level", ce.Key)
}
