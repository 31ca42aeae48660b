package bft

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
)

// TestDebugSeed prints every node's engine state at the end of a sweep
// seed (BFT_DEBUG=seed); it is skipped otherwise.
func TestDebugSeed(t *testing.T) {
	seed, err := strconv.ParseUint(os.Getenv("BFT_DEBUG"), 10, 64)
	if err != nil {
		t.Skip("set BFT_DEBUG=seed")
	}
	sc := sweepScenario(seed)
	nt := newNet(t, sc, nil)
	if tr, err := strconv.Atoi(os.Getenv("BFT_TRACE")); err == nil {
		nt.trace = tr
	}
	chk := nt.run()
	t.Log(sc, chk.violations)
	for _, in := range nt.inst {
		if in.eng == nil {
			t.Logf("inst %d signer %d %s: no engine (down=%v)", in.id, in.signer, in.actor, in.down)
			continue
		}
		e := in.eng
		var vs []uint64
		for n := range e.views {
			vs = append(vs, n)
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
		line := ""
		for _, n := range vs {
			v := e.views[n]
			line += fmt.Sprintf(" [v%d prop=%v nz=%v nu=%v fi=%v to=%v cN=%v cU=%v cF=%v votesU=%d]", n, v.proposal != nil, v.notarized, v.nullified, v.finalized, v.timedOut,
				v.notarization != nil, v.nullification != nil, v.finalization != nil, v.nullifies.tally.Count())
		}
		t.Logf("inst %d signer %d %s: view %d root %v deadline %v timerAt %v\n%s", in.id, in.signer, in.actor, e.cur, e.root, e.deadline().Sub(epoch), in.timerAt.Sub(epoch), line)
	}
}
