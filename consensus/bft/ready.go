package bft

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Block is what the engine needs of a block: the caller has decoded and
// validated it (header signature, parent known, application rules) before
// handing it over.
type Block struct {
	ID     block.ID // its height is ID.Height()
	Parent block.ID
	// View is the header's Term.
	View     uint64
	Producer block.PublicKey
}

// BlockRef names a block of a view.
type BlockRef struct {
	ID   block.ID
	View uint64
}

// Root is a final block the engine starts from: genesis (View 0) or the
// last block the node knows final.
type Root struct {
	ID   block.ID
	View uint64
}

// ProposeRequest asks the driver (we lead View) to build a block on Parent
// with header Term = View and our key as producer, hand it to Propose, and
// broadcast it to the producers with the vote Propose produces.
type ProposeRequest struct {
	View   uint64
	Parent block.ID
}

// Ready is a batch of outputs. The driver performs it in this order, then
// calls Advance:
//
//  1. Persist: append the records to the Store and make them durable
//     (fsync). Nothing below may happen before this completes: the
//     messages include the votes these records cover, and a vote sent
//     without its record could be contradicted after a crash.
//  2. PruneBelow (if non-zero): delete records of lower views (the
//     RecRoot in this or an earlier Persist makes them unnecessary).
//  3. Messages: broadcast each to every producer of the set (consensus
//     lane). Order does not matter; loss is tolerated (retries).
//  4. Notarized: pin these blocks in the fork database (a notarized block
//     may become final; its subtree must not be pruned).
//     Reported: the same for blocks that nullify reports made usable
//     parents (reports.go): fetch them if missing, and pin them.
//  5. Finalized: each certificate makes its block and all its ancestors
//     irreversible; lowest view first. Keep the highest certificate to
//     carry in a later block's body.
//  6. Propose: build the requested block and call Propose.
//  7. Deadline: call Tick at or after it (zero: no timer needed).
type Ready struct {
	Persist    []Record
	PruneBelow uint64
	Messages   []Message
	Notarized  []*Certificate
	Reported   []BlockRef
	Finalized  []*Certificate
	Propose    *ProposeRequest
	Deadline   time.Time
	// Inherited are certificates of Config.Prev (Inherit) to broadcast
	// in the previous epoch's envelope, alongside step 3.
	Inherited []*Certificate
}

func (rd *Ready) empty() bool {
	return len(rd.Persist) == 0 && rd.PruneBelow == 0 && len(rd.Messages) == 0 &&
		len(rd.Notarized) == 0 && len(rd.Reported) == 0 && len(rd.Finalized) == 0 && rd.Propose == nil && len(rd.Inherited) == 0
}

// HasReady reports whether Ready has outputs or a new deadline.
func (e *Engine) HasReady() bool {
	return !e.rd.empty() || !e.deadline().Equal(e.lastDeadline)
}

// Ready returns the pending outputs. The slices belong to the caller.
func (e *Engine) Ready() Ready {
	rd := e.rd
	rd.Deadline = e.deadline()
	return rd
}

// Advance acknowledges the last Ready: its outputs were performed.
func (e *Engine) Advance() {
	e.lastDeadline = e.deadline()
	e.rd = Ready{}
}
