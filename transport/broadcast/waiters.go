package broadcast

import (
	"slices"
	"time"
)

type waiter struct {
	d       Digest
	expires time.Time
}

// waiters are seed 001's subscribe waiters: answered on arrival, cleaned up
// when the requester goes away (Cancel) or after WaiterTTL.
//
// Invariant: byDigest[d] lists exactly the ids in byID whose digest is d.
type waiters struct {
	next     WaiterID
	byID     map[WaiterID]waiter
	byDigest map[Digest][]WaiterID
}

func newWaiters() *waiters {
	return &waiters{byID: map[WaiterID]waiter{}, byDigest: map[Digest][]WaiterID{}}
}

func (w *waiters) newID() WaiterID { w.next++; return w.next }

func (w *waiters) add(id WaiterID, d Digest, expires time.Time) {
	w.byID[id] = waiter{d: d, expires: expires}
	w.byDigest[d] = append(w.byDigest[d], id)
}

// take removes and returns every waiter for d.
func (w *waiters) take(d Digest) []WaiterID {
	ids := w.byDigest[d]
	delete(w.byDigest, d)
	for _, id := range ids {
		delete(w.byID, id)
	}
	return ids
}

// remove drops one waiter; false if it was not waiting.
func (w *waiters) remove(id WaiterID) bool {
	wt, ok := w.byID[id]
	if !ok {
		return false
	}
	delete(w.byID, id)
	ids := slices.DeleteFunc(w.byDigest[wt.d], func(x WaiterID) bool { return x == id })
	if len(ids) == 0 {
		delete(w.byDigest, wt.d)
	} else {
		w.byDigest[wt.d] = ids
	}
	return true
}

// expire removes the waiters past their time, in id order.
func (w *waiters) expire(now time.Time) []WaiterID {
	var out []WaiterID
	for id, wt := range w.byID {
		if !now.Before(wt.expires) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	for _, id := range out {
		w.remove(id)
	}
	return out
}
