package cftbench

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestRunJSON prints one default Run as JSON when CFTBENCH is set (the
// number of producers, default 3): the figures in docs/benchmarks.md come from it.
//
//	CFTBENCH=3 go test -count=1 -run TestRunJSON -v ./consensus/cft/cftbench
//
// CFTBENCH_COMMIT_TIMEOUT (a Go duration) overrides raft's commit timeout.
func TestRunJSON(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("CFTBENCH"))
	if err != nil {
		t.Skip("set CFTBENCH=<producers> to run the benchmark")
	}
	opts := Options{Producers: n, Dir: t.TempDir()}
	if d, err := time.ParseDuration(os.Getenv("CFTBENCH_COMMIT_TIMEOUT")); err == nil {
		opts.CommitTimeout = d
	}
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res)
	t.Logf("%s", out)
}
