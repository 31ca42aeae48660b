// What a failed submit leaves behind, for callers that must decide
// whether to resubmit (the admin API's "outcome" field).

package node

import "errors"

// Outcome says where a transaction stands after Submit failed.
type Outcome string

// Outcomes of a failed submit. Resubmitting the same bytes is safe in
// every case: producers deduplicate by hash (a copy already in the mempool
// or in a block the node still indexes is taken as the same transaction,
// Limits.TxIndex), so the worst a resubmit does is nothing.
const (
	// OutcomeRejected: refused (validation, the App, a full mempool); it is
	// in no block. Fix it, or wait, before submitting again.
	OutcomeRejected Outcome = "rejected"
	// OutcomeNotAccepted: no producer acknowledged it (none reachable, no
	// leader, no quorum). It most likely reached none; resubmit later.
	OutcomeNotAccepted Outcome = "not-accepted"
	// OutcomeUnknown: a producer accepted it or may have (then died, was
	// cut off, or did not answer in time): it may still be included. Look
	// it up by hash (TxStatus, GET /tx/{hash}) or resubmit the same bytes.
	OutcomeUnknown Outcome = "unknown"
)

// ErrOutcomeUnknown matches submit errors after which the transaction may
// still be included: ErrProducerTimeout, ErrTxTimeout, and ErrNoProducer
// for a transaction a producer had accepted before it was lost.
var ErrOutcomeUnknown = errors.New("node: outcome unknown")

// SubmitOutcome classifies an error from Submit or WaitTx; nil gives "".
func SubmitOutcome(err error) Outcome {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrTxRejected):
		return OutcomeRejected
	case errors.Is(err, ErrOutcomeUnknown), errors.Is(err, ErrProducerTimeout), errors.Is(err, ErrTxTimeout):
		return OutcomeUnknown
	case errors.Is(err, ErrNoProducer):
		return OutcomeNotAccepted
	}
	// Stopped, cancelled, or an internal error part-way: nobody can tell.
	return OutcomeUnknown
}

// unknownOutcome marks err as leaving the outcome unknown without
// changing its message.
type unknownOutcome struct{ error }

func (e unknownOutcome) Is(target error) bool { return target == ErrOutcomeUnknown }
func (e unknownOutcome) Unwrap() error        { return e.error }

// noRouteDetail says why a submit found no link toward a leader: on a
// producer without a raft leader the cause is the lost quorum (or an
// election), not a missing link.
func (n *Node) noRouteDetail() string {
	if l, ok := n.eng.Leader(); ok && l == "" {
		return "no leader: the producers have no quorum (fewer than a majority connected) or an election is in progress"
	}
	return "no route to a producer"
}
