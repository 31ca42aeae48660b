package sim

import (
	"slices"
	"time"

	"github.com/blockwire/blockwire/consensus/bft"
)

// Crash points: a crashpoint fault crashes a correct producer's node in the
// middle of performing a Ready batch, at one of its persist/send
// boundaries, which is where a driver that gets the order wrong loses
// safety (bft.md §4). The restarted engine replays the records that were
// synced before the crash.
const (
	noCrash         = -2
	crashBeforeSync = -1 // the batch's records were written, not synced: lost
	// k ≥ 0: the records are durable and k of the batch's messages left.
)

// crashPoint draws where, if anywhere, instance i crashes while performing
// rd: only correct producers inside a crashpoint fault's window, only
// batches with records or messages, with the fault's rate.
func (bc *bftCons) crashPoint(i int, rd bft.Ready) int {
	if len(rd.Persist) == 0 && len(rd.Messages) == 0 || !bc.correct(i) {
		return noCrash
	}
	now, node := bc.r.e.now, bc.ps[i].node
	for _, f := range bc.r.cfg.Faults {
		if f.Kind != FaultCrashPoint || now < f.From || now >= f.To || !slices.Contains(f.Nodes, node) {
			continue
		}
		e := bc.r.e
		if e.rng.Float64() >= f.Rate {
			return noCrash
		}
		at := e.rng.IntN(len(rd.Messages)+2) - 1
		e.mix(uint64(at + 2))
		return at
	}
	return noCrash
}

// crashAt crashes instance i's node now (its engine and blocksync state
// go; its synced records and irreversible chain stay) and restarts it 2-9
// link latencies later (at least 2-9 ms).
func (bc *bftCons) crashAt(i int) {
	r, v := bc.r, bc.ps[i].node
	bc.crashes++
	if r.logf != nil {
		r.logf("%v %d bft crashpoint (records %d)", r.e.now, v, len(bc.ps[i].recs))
	}
	r.crash(v)
	down := time.Duration(2+r.e.rng.IntN(8)) * max(r.cfg.Latency, time.Millisecond)
	r.e.after(down, evFault, int32(v), 7, 0, func() { r.restart(v) })
}
