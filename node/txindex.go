package node

import (
	"github.com/blockwire/blockwire/chain/block"
)

// TxState is how far a transaction got.
type TxState string

// Transaction states, in order.
const (
	// TxPending: accepted by a producer (or queued here), not in a block.
	TxPending TxState = "pending"
	// TxIncluded: in a block on this node's best chain.
	TxIncluded TxState = "included"
	// TxIrreversible: in an irreversible block.
	TxIrreversible TxState = "irreversible"
	// TxRejected: refused by the producer's App or mempool.
	TxRejected TxState = "rejected"
)

func (s TxState) rank() int {
	switch s {
	case TxIncluded:
		return 1
	case TxIrreversible:
		return 2
	case TxRejected:
		return 3
	}
	return 0
}

// TxReceipt is what the node knows about a transaction.
type TxReceipt struct {
	Hash   block.Hash `json:"hash"`
	State  TxState    `json:"state"`
	Block  block.ID   `json:"block,omitzero"`
	Height uint64     `json:"height,omitempty"`
	// Reason is why it was rejected.
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// txIndex remembers the latest transactions seen in blocks or submitted
// here (at most max, oldest forgotten first) and who waits for them. It
// belongs to the loop.
type txIndex struct {
	max     int
	recs    map[block.Hash]*TxReceipt
	order   []block.Hash // insertion order, for eviction
	head    int
	byBlock map[block.ID][]block.Hash // blocks above the irreversible one
	waiters map[block.Hash][]*txWaiter
}

// txWaiter wants to hear when a transaction reaches want (or is rejected).
type txWaiter struct {
	want TxState
	ch   chan TxReceipt // buffer 1: one delivery, the loop never blocks
}

func newTxIndex(max int) *txIndex {
	return &txIndex{max: max, recs: map[block.Hash]*TxReceipt{}, byBlock: map[block.ID][]block.Hash{},
		waiters: map[block.Hash][]*txWaiter{}}
}

func (x *txIndex) get(h block.Hash) (TxReceipt, bool) {
	r, ok := x.recs[h]
	if !ok {
		return TxReceipt{}, false
	}
	return *r, true
}

// record returns h's record, creating a pending one.
func (x *txIndex) record(h block.Hash) *TxReceipt {
	if r, ok := x.recs[h]; ok {
		return r
	}
	r := &TxReceipt{Hash: h, State: TxPending}
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

func (x *txIndex) included(b *block.Block, notify func(*TxReceipt)) {
	id := b.ID()
	hs := make([]block.Hash, len(b.Txs))
	for i, tx := range b.Txs {
		h := txHash(tx)
		hs[i] = h
		r := x.record(h)
		r.State, r.Block, r.Height = TxIncluded, id, id.Height()
		notify(r)
	}
	x.byBlock[id] = hs
}

func (x *txIndex) unincluded(id block.ID) {
	for _, h := range x.byBlock[id] {
		if r, ok := x.recs[h]; ok && r.Block == id && r.State == TxIncluded {
			r.State, r.Block, r.Height = TxPending, block.ID{}, 0
		}
	}
	delete(x.byBlock, id)
}

func (x *txIndex) irreversible(id block.ID, notify func(*TxReceipt)) {
	for _, h := range x.byBlock[id] {
		if r, ok := x.recs[h]; ok && r.Block == id {
			r.State = TxIrreversible
			notify(r)
		}
	}
	delete(x.byBlock, id)
}

func (x *txIndex) rejected(h block.Hash, reason, detail string, notify func(*TxReceipt)) {
	r := x.record(h)
	r.State, r.Reason, r.Detail = TxRejected, reason, detail
	notify(r)
}

// retry returns h's record, creating a pending one; a rejected record
// becomes pending again (the transaction is submitted once more).
func (x *txIndex) retry(h block.Hash) *TxReceipt {
	r := x.record(h)
	if r.State == TxRejected {
		r.State, r.Reason, r.Detail = TxPending, "", ""
	}
	return r
}

// wait registers w, or answers it at once if the record is there already.
func (x *txIndex) wait(h block.Hash, w *txWaiter) {
	if r, ok := x.recs[h]; ok && r.State.rank() >= w.want.rank() {
		w.ch <- *r
		return
	}
	x.waiters[h] = append(x.waiters[h], w)
}

func (x *txIndex) unwait(h block.Hash, w *txWaiter) {
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

// abandon answers every waiter of h with a pending receipt carrying reason:
// an error (receiptResult), not a state of the transaction.
func (x *txIndex) abandon(h block.Hash, reason, detail string) {
	for _, w := range x.waiters[h] {
		w.ch <- TxReceipt{Hash: h, State: TxPending, Reason: reason, Detail: detail}
	}
	delete(x.waiters, h)
}

// deliver answers the waiters r satisfies.
func (x *txIndex) deliver(r *TxReceipt) {
	ws := x.waiters[r.Hash]
	if len(ws) == 0 {
		return
	}
	keep := ws[:0]
	for _, w := range ws {
		if r.State.rank() >= w.want.rank() {
			w.ch <- *r
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
