// Transaction forwarding toward the leader by routed unicast
// (route.ClassTransaction, however many hops away), the producer's answer
// along the reverse path, and the bookkeeping of submits awaiting answers.

package node

import (
	"errors"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
	"github.com/blockwire/blockwire/transport/submit"
)

// outSubmit is a transaction we sent toward a producer, awaiting its
// answer (the attempt's policy: transport/submit).
type outSubmit struct {
	submit.Attempt
	hash block.Hash
	tx   []byte
	// ack receives a local submit's answer (buffer 1); nil for hand-offs
	// and re-sends.
	ack chan error
	// requeue marks a transaction this node handed off from its mempool
	// (handOffMempool): unless a producer accepts or rejects it, it goes
	// back into the mempool to be handed off again.
	requeue bool
	// watched marks a re-send of a watched transaction (watchedTx): if no
	// producer takes it, it is sent again soon.
	watched bool
}

// persistent: someone waits for the answer (a local submitter, or a
// watched re-send), so the submit may be retried.
func (o *outSubmit) persistent() bool { return o.ack != nil || o.watched }

// forward sends a local submit toward the leader.
func (n *Node) forward(h block.Hash, tx []byte, ack chan error) {
	n.send(&outSubmit{hash: h, tx: tx, ack: ack, Attempt: submit.Attempt{Start: time.Now()}})
}

// send routes o to the leader and records it, or answers it at once: here
// if this node leads, "no producer" if no producer is reachable.
func (n *Node) send(o *outSubmit) {
	if n.leading() {
		// This node took office since the submit started (a retry, a
		// re-send after a leader change): take it here.
		if err := n.accept(o.hash, o.tx); err != nil {
			n.finishOut(o, submit.Rejected, rejectDetail(err))
		} else {
			n.finishOut(o, submit.Accepted, "")
		}
		return
	}
	dest, ok := n.submitDest(o)
	if !ok {
		n.finishOut(o, submit.NoProducer, n.noRouteDetail())
		return
	}
	seq, err := n.tr.Send(dest, route.ClassTransaction, submit.EncodeSubmit(o.tx))
	if err != nil {
		n.finishOut(o, submit.NoProducer, "sending to "+routePeer(dest).String()+": "+err.Error())
		return
	}
	via, _ := n.tr.NextHop(dest)
	o.Dest = dest
	n.lp.relays.Add(seq, via, route.NodeID{}, false, time.Now().Add(n.o.limits.SubmitAckTimeout), o)
	n.stats.txForwarded.Add(1)
}

// submitDest picks the producer to send to (submit.Dest): the leader a
// producer named (o nil: none), the leader as this node knows it, else
// any producer we have a route to.
func (n *Node) submitDest(o *outSubmit) (route.NodeID, bool) {
	set := n.set.Load()
	ids := set.Nodes()
	var hint, leader route.NodeID
	if o != nil {
		hint = o.Leader
	}
	if l := n.leaderID(); l != "" {
		leader, _ = set.Node(l)
	}
	routed := func(id route.NodeID) bool { _, ok := n.tr.NextHop(id); return ok }
	return submit.Dest(ids, n.rid, hint, leader, routed)
}

// leaderID is the leader as the engine knows it (raft's on a CFT
// producer), otherwise the producer of the head block (the leader as far
// as this node can tell).
func (n *Node) leaderID() link.PeerID {
	if l, ok := n.eng.Leader(); ok {
		return l
	}
	if h := n.head.Load(); h != nil {
		return n.set.Load().Peer(h.Producer)
	}
	return ""
}

// leading reports whether this node accepts transactions into its mempool:
// the solo producer, the raft leader, or a BFT producer.
func (n *Node) leading() bool { return n.eng.Leading() }

// onSubmitted answers a transaction routed to this node (a producer): the
// leader takes it; another producer checks it and names the leader.
func (n *Node) onSubmitted(d transport.Delivery) {
	if n.lp.dropSubmits {
		return
	}
	answer := func(a *submit.Answer) {
		if err := n.tr.Reply(d, a.Encode()); err != nil {
			n.log.Debug().Str("origin", d.Peer.String()).Err(err).Msg("transaction answer not sent")
		}
	}
	tx, err := submit.DecodeSubmit(d.Payload)
	if err != nil {
		n.stats.reject("submit-malformed")
		answer(&submit.Answer{Code: submit.Rejected, Detail: "malformed: " + err.Error()})
		return
	}
	h := txHash(tx)
	switch {
	case n.leading():
		// accept checks the transaction (precheck, authority) first.
		if err := n.accept(h, tx); err != nil {
			answer(&submit.Answer{Code: submit.Rejected, Detail: rejectDetail(err)})
			return
		}
		answer(&submit.Answer{Code: submit.Accepted})
	default:
		// Check before naming the leader: an invalid or unauthorised
		// transaction is refused by the first producer it reaches.
		if err := n.precheck(tx); err != nil {
			answer(&submit.Answer{Code: submit.Rejected, Detail: rejectDetail(err)})
			return
		}
		if n.inChain(h) {
			// Taken, as the leader's accept answers it: a change in
			// this chain is not a replay of itself (its nonce is used,
			// by these very bytes), and the submitter waits for the
			// block it is in. This is a re-send or a retry whose first
			// copy the leader took and built in while its answer or
			// block was on the way.
			answer(&submit.Answer{Code: submit.Accepted})
			return
		}
		if err := n.verifyChange(tx); err != nil {
			answer(&submit.Answer{Code: submit.Rejected, Detail: rejectDetail(err)})
			return
		}
		a := &submit.Answer{Code: submit.NoProducer, Detail: n.noRouteDetail()}
		if l := n.leaderID(); l != "" && l != n.id {
			if id, ok := n.set.Load().Node(l); ok {
				a.Leader = id
				a.Detail = "not the leader: " + l.String() + " is"
			}
		}
		answer(a)
	}
}

// validateRelayed is the transaction class's validator, run at every hop
// before a transaction is forwarded or delivered (on the transport's
// goroutine: it reads nothing of the loop's). What no producer would take
// goes no further, and the neighbour that sent it pays: an honest node
// checks the same before it sends. The producer it is addressed to is
// spared the validator (a reply class: route.Router.validate) and answers
// with the reason (onSubmitted). The authority of a producer-set change
// needs the chain's state and is checked by the producer that answers.
func (n *Node) validateRelayed(_ route.NodeID, _ route.Class, payload []byte) route.Verdict {
	tx, err := submit.DecodeSubmit(payload)
	if err == nil {
		err = n.precheck(tx)
	}
	if err != nil {
		n.stats.reject("relay-invalid")
		return route.Reject
	}
	return route.Accept
}

// onAnswer handles a producer's answer to one of our submits.
func (n *Node) onAnswer(r transport.Reply) {
	o, _, ok := n.lp.relays.Take(r.Seq)
	if !ok {
		return // answered late, after we gave up
	}
	a, err := submit.DecodeAnswer(r.Payload)
	if err != nil {
		n.stats.reject("answer-malformed")
		n.log.Warn().Str("producer", r.Peer.String()).Err(err).Msg("transaction answer refused")
		a = &submit.Answer{Code: submit.NoProducer, Detail: "malformed answer from " + r.Peer.String()}
	}
	switch o.Answered(a) {
	case submit.Redirect:
		n.send(o)
		return
	case submit.Retry:
		if n.retryLater(o) {
			return
		}
	}
	n.finishOut(o, a.Code, a.Detail)
}

// onUndeliverable handles a submit the transport could not deliver (no
// route to the producer within route.Config.QueueTTL).
func (n *Node) onUndeliverable(e *route.SendError) {
	o, _, ok := n.lp.relays.Take(e.Seq)
	if !ok {
		return
	}
	if n.retryLater(o) {
		return
	}
	n.finishOut(o, submit.NoProducer, fmt.Sprintf("no route to producer %s: %s", routePeer(e.Dest), e.Reason))
}

func rejectDetail(err error) string {
	var te *TxRejectedError
	if errors.As(err, &te) {
		return te.Reason + ": " + te.Detail
	}
	return "rejected: " + err.Error()
}

// waiter says who waits for o's outcome (submit.Settle).
func (o *outSubmit) waiter() submit.Waiter {
	switch {
	case o.ack != nil:
		return submit.Caller
	case o.watched:
		return submit.Watched
	case o.requeue:
		return submit.Handoff
	}
	return submit.Nobody
}

// finishOut answers a submit's local caller, or settles a hand-off or a
// re-send (submit.Settle decides which).
func (n *Node) finishOut(o *outSubmit, code submit.Code, detail string) {
	if o.requeue {
		n.lp.handoff.answered()
	}
	switch submit.Settle(o.waiter(), code, detail) {
	case submit.Tell:
		n.tell(o, code, detail)
	case submit.Taken:
		if o.requeue {
			n.lp.handoffDelay = handoffRetry
		}
	case submit.Refused:
		reason, d := submit.SplitDetail(detail)
		n.lp.txs.Reject(o.hash, reason, d, n.notifyTx)
		n.log.Warn().Stringer("tx", o.hash).Str("reason", reason).Str("detail", d).Msg("handed-off transaction rejected by the leader")
	case submit.SendSoon:
		if w := n.lp.watched[o.hash]; w != nil {
			w.due = time.Now()
		}
	case submit.RetryOrGiveUp:
		if !n.retryLater(o) {
			n.abandonWatched(o.hash, code, detail)
		}
	case submit.Requeue:
		n.requeueTx(o.hash, o.tx)
	}
}

// tell answers a local submitter.
func (n *Node) tell(o *outSubmit, code submit.Code, detail string) {
	switch code {
	case submit.Accepted:
		o.ack <- nil
	case submit.Rejected:
		reason, d := submit.SplitDetail(detail)
		n.lp.txs.Reject(o.hash, reason, d, n.notifyTx)
		o.ack <- &TxRejectedError{Reason: reason, Detail: d}
	case submit.Timeout:
		o.ack <- fmt.Errorf("%w: %s", ErrProducerTimeout, detail)
	default:
		o.ack <- fmt.Errorf("%w: %s", ErrNoProducer, detail)
	}
}

// expireSubmits gives up on submits whose producer did not answer in time.
func (n *Node) expireSubmits(now time.Time) {
	for _, o := range n.lp.relays.Expired(now) {
		n.finishOut(o, submit.Timeout, fmt.Sprintf("no answer from %s within %v", routePeer(o.Dest), n.o.limits.SubmitAckTimeout))
	}
}

// failSubmitsVia re-sends the submits whose first hop was the link to p
// that closed: the answer would come back through it (at most maxRetries
// times per submit).
func (n *Node) failSubmitsVia(p link.PeerID) {
	id, err := transport.NodeIDOf(p)
	if err != nil {
		return
	}
	for _, o := range n.lp.relays.TakeVia(id) {
		if o.LinkClosed(o.persistent()) {
			n.send(o)
			continue
		}
		n.finishOut(o, submit.NoProducer, "link toward the producer closed")
	}
}

// retryLater schedules a submit again when the producer reached found no
// leader, while the whole attempt stays within Limits.SubmitAckTimeout.
func (n *Node) retryLater(o *outSubmit) bool {
	at, ok := o.RetryAt(time.Now(), o.persistent(), n.o.limits.SubmitAckTimeout)
	if ok {
		n.lp.relays.Later(at, o)
	}
	return ok
}

// resend sends the submits whose retry time came.
func (n *Node) resend(now time.Time) {
	for _, o := range n.lp.relays.Due(now) {
		n.send(o)
	}
}

// failAll answers every local submit still waiting when the loop exits.
func (n *Node) failAll() {
	out, later := n.lp.relays.All()
	for _, o := range append(out, later...) {
		if o.ack != nil {
			o.ack <- ErrStopped
		}
	}
}

// routePeer names a routing id for logs and errors.
func routePeer(id route.NodeID) link.PeerID {
	p, err := transport.PeerIDOf(id)
	if err != nil {
		return link.PeerID(id.String())
	}
	return p
}
