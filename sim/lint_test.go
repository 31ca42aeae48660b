package sim

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The simulator is deterministic only if nothing in it schedules work or
// reads time or randomness behind the engine's back. This test keeps it so:
// no goroutines, sleeps, timers or wall clock (Run alone measures wall_ms),
// and no random source but the engine's.
func TestNoHiddenNondeterminism(t *testing.T) {
	forbidden := []string{"go func", "time.Sleep", "time.After", "time.NewTimer", "time.Tick", "time.Now()", `"math/rand"`, `"crypto/rand"`, "rand.New("}
	allowed := map[string][]string{
		"run.go":    {"time.Now()"}, // wall_ms
		"engine.go": {"rand.New("},  // the one source
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, bad := range forbidden {
			if strings.Contains(string(src), bad) && !slices.Contains(allowed[f], bad) {
				t.Errorf("%s uses %s", f, bad)
			}
		}
	}
}
