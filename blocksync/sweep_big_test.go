package blocksync

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// TestRandomNetworksMany is the long sweep: BLOCKSYNC_SEEDS=n runs n seeds
// of bigger scenarios (skipped by default).
func TestRandomNetworksMany(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("BLOCKSYNC_SEEDS"))
	if n == 0 {
		t.Skip("set BLOCKSYNC_SEEDS to run")
	}
	for seed := range uint64(n) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runRandomNetwork(t, 1000+seed, 3+int(seed%6), 600)
		})
	}
}
