package txpool

import (
	"github.com/blockwire/blockwire/chain/block"
)

// State is how far a transaction got.
type State string

// Transaction states, in order.
const (
	// Pending: accepted by a producer (or queued here), not in a block.
	Pending State = "pending"
	// Included: in a block on this node's best chain.
	Included State = "included"
	// Irreversible: in an irreversible block.
	Irreversible State = "irreversible"
	// Rejected: refused by the producer's App or mempool.
	Rejected State = "rejected"
)

// Rank orders the states: a waiter for a state is answered by any state
// of at least its rank.
func (s State) Rank() int {
	switch s {
	case Included:
		return 1
	case Irreversible:
		return 2
	case Rejected:
		return 3
	}
	return 0
}

// Receipt is what the node knows about a transaction.
type Receipt struct {
	Hash   block.Hash `json:"hash"`
	State  State      `json:"state"`
	Block  block.ID   `json:"block,omitzero"`
	Height uint64     `json:"height,omitempty"`
	// Reason is why it was rejected.
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Index remembers the latest transactions seen in blocks or submitted
// here (at most max, oldest forgotten first) and who waits for them. It
// is not safe for concurrent use (the node's loop owns it).
type Index struct {
	max     int
	recs    map[block.Hash]*Receipt
	order   []block.Hash // insertion order, for eviction
	head    int
	byBlock map[block.ID][]block.Hash // blocks above the irreversible one
	waiters map[block.Hash][]*Waiter
}

// Waiter wants to hear when a transaction reaches Want (or is rejected).
type Waiter struct {
	Want State
	C    chan Receipt // buffer 1: one delivery, the owner never blocks
}

// NewWaiter returns a waiter for want.
func NewWaiter(want State) *Waiter { return &Waiter{Want: want, C: make(chan Receipt, 1)} }

// NewIndex returns an index of at most max records.
func NewIndex(max int) *Index {
	return &Index{max: max, recs: map[block.Hash]*Receipt{}, byBlock: map[block.ID][]block.Hash{},
		waiters: map[block.Hash][]*Waiter{}}
}

// Get returns h's record.
func (x *Index) Get(h block.Hash) (Receipt, bool) {
	r, ok := x.recs[h]
	if !ok {
		return Receipt{}, false
	}
	return *r, true
}

// Record returns h's record, creating a pending one.
func (x *Index) Record(h block.Hash) *Receipt {
	if r, ok := x.recs[h]; ok {
		return r
	}
	r := &Receipt{Hash: h, State: Pending}
	x.recs[h] = r
	x.order = append(x.order, h)
	// Evict the oldest; a record someone waits for goes to the back of the
	// line instead (bounded: each pass looks at every entry at most once).
	for n := len(x.order) - x.head; len(x.recs) > x.max && n > 0; n-- {
		old := x.order[x.head]
		x.head++
		if _, waited := x.waiters[old]; waited {
			x.order = append(x.order, old)
			continue
		}
		delete(x.recs, old)
	}
	if x.head > 4096 && x.head*2 > len(x.order) {
		x.order = append([]block.Hash(nil), x.order[x.head:]...)
		x.head = 0
	}
	return r
}

// Included marks b's transactions included in it and tells notify.
func (x *Index) Included(b *block.Block, notify func(*Receipt)) {
	id := b.ID()
	hs := make([]block.Hash, len(b.Txs))
	for i, tx := range b.Txs {
		h := Hash(tx)
		hs[i] = h
		r := x.Record(h)
		r.State, r.Block, r.Height = Included, id, id.Height()
		notify(r)
	}
	x.byBlock[id] = hs
}

// Unincluded makes the transactions of a block a fork switch removed
// pending again.
func (x *Index) Unincluded(id block.ID) {
	for _, h := range x.byBlock[id] {
		if r, ok := x.recs[h]; ok && r.Block == id && r.State == Included {
			r.State, r.Block, r.Height = Pending, block.ID{}, 0
		}
	}
	delete(x.byBlock, id)
}

// MarkIrreversible marks the transactions of block id irreversible.
func (x *Index) MarkIrreversible(id block.ID, notify func(*Receipt)) {
	for _, h := range x.byBlock[id] {
		if r, ok := x.recs[h]; ok && r.Block == id {
			r.State = Irreversible
			notify(r)
		}
	}
	delete(x.byBlock, id)
}

// Reject marks h rejected with a reason.
func (x *Index) Reject(h block.Hash, reason, detail string, notify func(*Receipt)) {
	r := x.Record(h)
	r.State, r.Reason, r.Detail = Rejected, reason, detail
	notify(r)
}

// Retry returns h's record, creating a pending one; a rejected record
// becomes pending again (the transaction is submitted once more).
func (x *Index) Retry(h block.Hash) *Receipt {
	r := x.Record(h)
	if r.State == Rejected {
		r.State, r.Reason, r.Detail = Pending, "", ""
	}
	return r
}

// Wait registers w, or answers it at once if the record is there already.
func (x *Index) Wait(h block.Hash, w *Waiter) {
	if r, ok := x.recs[h]; ok && r.State.Rank() >= w.Want.Rank() {
		w.C <- *r
		return
	}
	x.waiters[h] = append(x.waiters[h], w)
}

// Unwait drops w.
func (x *Index) Unwait(h block.Hash, w *Waiter) {
	ws := x.waiters[h]
	for i, o := range ws {
		if o == w {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(x.waiters, h)
	} else {
		x.waiters[h] = ws
	}
}

// Abandon answers every waiter of h with a pending receipt carrying reason:
// an error (receiptResult), not a state of the transaction.
func (x *Index) Abandon(h block.Hash, reason, detail string) {
	for _, w := range x.waiters[h] {
		w.C <- Receipt{Hash: h, State: Pending, Reason: reason, Detail: detail}
	}
	delete(x.waiters, h)
}

// Deliver answers the waiters r satisfies.
func (x *Index) Deliver(r *Receipt) {
	ws := x.waiters[r.Hash]
	if len(ws) == 0 {
		return
	}
	keep := ws[:0]
	for _, w := range ws {
		if r.State.Rank() >= w.Want.Rank() {
			w.C <- *r
		} else {
			keep = append(keep, w)
		}
	}
	if len(keep) == 0 {
		delete(x.waiters, r.Hash)
	} else {
		x.waiters[r.Hash] = keep
	}
}

// Waiting reports whether someone waits for h.
func (x *Index) Waiting(h block.Hash) bool { return len(x.waiters[h]) > 0 }
