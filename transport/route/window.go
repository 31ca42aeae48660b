package route

import (
	"slices"
	"time"
)

// windowSize is how many recent sequence numbers an origin's replay window
// holds: messages reordered by more than this (a route change racing a
// burst) are refused as replays.
const windowSize = 64

// window is one origin's replay window.
//
// Invariant: every element of seen is above floor, and seen is sorted and
// at most windowSize long; a seq is accepted at most once.
type window struct {
	floor uint64
	seen  []uint64
	last  time.Time
}

func (w *window) accept(seq uint64) bool {
	if seq <= w.floor {
		return false
	}
	i, found := slices.BinarySearch(w.seen, seq)
	if found {
		return false
	}
	w.seen = slices.Insert(w.seen, i, seq)
	if len(w.seen) > windowSize {
		w.floor = w.seen[0]
		w.seen = w.seen[1:]
	}
	return true
}

// admitSeq applies origin's replay window to seq.
func (r *Router) admitSeq(now time.Time, origin NodeID, seq uint64) (Reason, bool) {
	w := r.windows[origin]
	if w == nil {
		if len(r.windows) >= r.cfg.MaxOrigins {
			r.pruneWindows(now)
		}
		if len(r.windows) >= r.cfg.MaxOrigins {
			return ReasonOriginsFull, false
		}
		w = &window{}
		r.windows[origin] = w
	}
	w.last = now
	if !w.accept(seq) {
		return ReasonReplay, false
	}
	return "", true
}

// pruneWindows drops windows idle for MaxAge: every message they could
// protect against is stale by now, and refused as such.
func (r *Router) pruneWindows(now time.Time) {
	for id, w := range r.windows {
		if now.Sub(w.last) > r.cfg.MaxAge+r.cfg.MaxSkew {
			delete(r.windows, id)
		}
	}
}
