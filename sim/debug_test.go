package sim

import (
	"os"
	"strconv"
	"testing"
)

func TestDebugSeed(t *testing.T) {
	seed, _ := strconv.Atoi(os.Getenv("SEED"))
	if seed == 0 {
		t.Skip()
	}
	cfg := sweepConfig(uint64(seed))
	r, err := newRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.logf = t.Logf
	r.schedule()
	r.loop()
	res := r.result()
	t.Log(res.Summary())
	for _, n := range r.nodes {
		if n.up {
			t.Logf("node %d byz=%q head %s root %s peers %v conns %d", n.id, n.byz, n.tree.HeadID(), n.tree.RootID(), n.peers, len(n.conns))
		}
	}
}
