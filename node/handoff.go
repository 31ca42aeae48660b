// The mempool hand-off after a leader change, paced by relay.Pacer.

package node

import (
	"time"

	"github.com/blockwire/blockwire/node/relay"
	"github.com/blockwire/blockwire/transport/submit"
)

// handoffState paces one producer's hand-offs and reports their progress.
type handoffState struct {
	pacer *relay.Pacer
	// inFlight counts hand-off submits sent and not yet answered
	// (finishOut calls answered). Invariant: ≥ 0.
	inFlight int
	// The current hand-off, for the operator's progress line: when it
	// started, what it sent, and when progress was last logged; start is
	// zero between hand-offs.
	start, logged time.Time
	sent          int
}

func (h *handoffState) answered() { h.inFlight = max(h.inFlight-1, 0) }

// handoffLogEvery spaces the progress lines of a long hand-off.
const handoffLogEvery = 5 * time.Second

// handOffMempool forwards the mempool of a producer that lost leadership to
// the new leader, so that accepted transactions survive a leader change
// (their submitters are waiting for inclusion). It sends at the pace of
// Limits.Handoff (a rate well below the leader's inbound limit, a bounded
// number awaiting answers), so that the leader never scores the hand-off
// as a flood (issue 11, attack 3). It retries every handoffRetry while no
// producer is reachable; a transaction no leader took (no leader yet, the
// leader stepped down or died meanwhile, no answer, a full mempool) comes
// back into the pool (requeueTx) and goes again after a delay that doubles
// up to maxHandoffDelay. The pool also holds the transactions of orphaned
// blocks (requeueOrphans).
func (n *Node) handOffMempool() {
	lp := n.lp
	h := &lp.handoff
	if lp.pool.Len() == 0 || n.solo {
		lp.handoffAt, lp.handoffPaced = time.Time{}, false
		n.handoffDone()
		return
	}
	now := time.Now()
	if now.Before(lp.handoffAt) || n.leading() {
		return
	}
	if _, ok := n.submitDest(nil); !ok {
		lp.handoffAt, lp.handoffPaced = now.Add(handoffRetry), false
		return
	}
	if h.start.IsZero() {
		h.start, h.logged, h.sent = now, now, 0
		cfg := h.pacer.Config()
		n.log.Info().Int("txs", lp.pool.Len()).Float64("rate", cfg.Rate).Int("max_in_flight", cfg.MaxInFlight).
			Msg("handing the mempool to the new leader")
	}
	lp.handoffAt, lp.handoffPaced = time.Time{}, false // what fails sets it again (requeueTx)
	k := h.pacer.Allow(now, lp.pool.Len(), h.inFlight)
	for range k {
		tx, hash, ok := lp.pool.Peek(int(^uint(0) >> 1))
		if !ok {
			break
		}
		lp.pool.Pop()
		h.inFlight++
		h.sent++
		n.send(&outSubmit{hash: hash, tx: tx, Attempt: submit.Attempt{Start: now}, requeue: true})
	}
	if lp.handoffAt.IsZero() && lp.pool.Len() > 0 && h.inFlight < h.pacer.Config().MaxInFlight {
		// Wait for the pacer; at MaxInFlight an answer wakes the loop.
		lp.handoffAt, lp.handoffPaced = h.pacer.Next(now), true
	}
	if now.Sub(h.logged) >= handoffLogEvery {
		h.logged = now
		n.log.Info().Int("sent", h.sent).Int("left", lp.pool.Len()).Int("in_flight", h.inFlight).
			Dur("elapsed", now.Sub(h.start)).Msg("mempool hand-off in progress")
	}
}

// handoffDone logs the end of a hand-off: the pool is empty.
func (n *Node) handoffDone() {
	h := &n.lp.handoff
	if h.start.IsZero() {
		return
	}
	n.log.Info().Int("txs", h.sent).Dur("elapsed", time.Since(h.start)).Msg("handed the mempool to the new leader")
	h.start = time.Time{}
}

// handoffRetry is the first delay before a hand-off that found no leader
// is tried again; it doubles up to maxHandoffDelay while hand-offs keep
// failing (a long election: do not bounce the pool between followers).
const (
	handoffRetry    = 100 * time.Millisecond
	maxHandoffDelay = 2 * time.Second
)
