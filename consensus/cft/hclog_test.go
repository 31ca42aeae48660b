package cft

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// Issue 12 item 6: raft's repeated lines are rate-limited (the old adapter
// wrote every one: ~29 lines/s without quorum), and the count of the
// suppressed ones is reported on the next line let through.
func TestHCLogRateLimitsRepeatedLines(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(1000, 0)
	l := &hcLog{z: zerolog.New(&buf), name: "raft", lim: newRepeatLimiter(func() time.Time { return now })}
	derived := l.Named("x").With("k", "v")
	for range 30 {
		l.Warn("heartbeat timeout reached, starting election")
	}
	l.Info("entering candidate state")
	lines := logLines(t, &buf)
	require.Len(t, lines, repeatBurst+1, "a burst of the repeated line, then the other line")
	now = now.Add(repeatWindow)
	buf.Reset()
	l.Warn("heartbeat timeout reached, starting election")
	lines = logLines(t, &buf)
	require.Len(t, lines, 1)
	require.Equal(t, float64(30-repeatBurst), lines[0]["suppressed"])
	// Derived loggers share the limiter but differ by name.
	buf.Reset()
	for range 10 {
		derived.Warn("heartbeat timeout reached, starting election")
	}
	require.Len(t, logLines(t, &buf), repeatBurst)
}

// raft's "failed to contact" passes a "time" argument; zerolog writes its
// own "time", so the old adapter wrote the key twice.
func TestHCLogNeverWritesAKeyTwice(t *testing.T) {
	var buf bytes.Buffer
	l := &hcLog{z: zerolog.New(&buf).With().Timestamp().Logger(), name: "raft", lim: newRepeatLimiter(time.Now)}
	l.Log(hclog.Warn, "failed to contact", "server-id", "p1", "time", 1500*time.Millisecond)
	line := buf.String()
	require.Equal(t, 1, strings.Count(line, `"time":`), line)
	require.Contains(t, line, `"raft_time":"1.5s"`)
}
