package cftbench

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

// TestRunJSON prints one default Run as JSON when CFTBENCH is set: the
// figures in BENCHMARKS.md come from it.
//
//	CFTBENCH=1 go test -run TestRunJSON -v ./consensus/cft/cftbench
func TestRunJSON(t *testing.T) {
	if os.Getenv("CFTBENCH") == "" {
		t.Skip("set CFTBENCH=1 to run the benchmark")
	}
	res, err := Run(context.Background(), Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res)
	t.Logf("%s", out)
}
