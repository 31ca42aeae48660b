package sim

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every replay command must parse back into the Config that printed it.
func TestCommandParsesBackIntoTheConfig(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		want := sweepConfig(seed)
		want.CatchUpNode, want.CatchUpAt, want.Chunk = 2, 1500*time.Millisecond, 4096
		got := DefaultConfig()
		fs := flag.NewFlagSet("sim", flag.ContinueOnError)
		got.RegisterFlags(fs)
		require.NoError(t, fs.Parse(shellWords(t, strings.TrimPrefix(want.Command(), "blockwire sim "))))
		require.Equal(t, want, got, want.Command())
	}
}

// shellWords splits a command line on spaces, honouring single quotes
// (enough for what Command prints).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, "'") {
			end := strings.Index(s[1:], "'")
			require.GreaterOrEqual(t, end, 0, "unbalanced quote")
			out = append(out, s[1:1+end])
			s = s[2+end:]
			continue
		}
		word, rest, _ := strings.Cut(s, " ")
		if word != "" {
			out = append(out, word)
		}
		s = rest
	}
	return out
}
