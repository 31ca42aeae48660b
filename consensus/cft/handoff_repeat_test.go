package cft

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestRepeatedHandoffs hands leadership over again and again (Close the
// leader, restart it from its pebble directory). Each Close must return and
// the chain must keep going. (The pipelining deadlock described in engine.go
// was seen over libp2p on real time; on this zero-jitter network it did not
// reproduce in 120 hand-offs with pipelining on, so this test guards the
// hand-off path in general, not that race in particular.)
func TestRepeatedHandoffs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.setLatency(time.Millisecond)
		w.addNodes(3, 1)
		defer w.stopAll()
		w.progress(5, w.live()...)
		for range 12 {
			ld := w.leader()
			ld.stop(false)
			w.progress(3, w.live()...)
			ld.start(nil)
			w.progress(3, w.live()...)
		}
		w.check()
	})
}
