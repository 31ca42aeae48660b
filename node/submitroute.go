// Transaction forwarding toward the leader by routed unicast
// (route.ClassTransaction, however many hops away), the producer's answer
// along the reverse path, and the bookkeeping of submits awaiting answers.

package node

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// outSubmit is a transaction we sent toward a producer, awaiting its
// answer.
type outSubmit struct {
	hash block.Hash
	tx   []byte
	// dest is the producer it went to; leader, when set, the leader a
	// producer named in a "not the leader" answer (tried next).
	dest, leader route.NodeID
	// ack receives a local submit's answer (buffer 1); nil for hand-offs
	// and re-sends.
	ack chan error
	// retries counts re-sends after the first hop's link closed,
	// redirects the answers that named another leader.
	retries, redirects int
	// start is when the submit was first sent.
	start time.Time
	// requeue marks a transaction this node handed off from its mempool
	// (handOffMempool): unless a producer accepts or rejects it, it goes
	// back into the mempool to be handed off again.
	requeue bool
	// watched marks a re-send of a watched transaction (watchedTx): if no
	// producer takes it, it is sent again soon.
	watched bool
}

// retryDelay spaces the attempts of a submit that a producer answered
// with "no leader": a leader election takes a few hundred milliseconds.
const retryDelay = 100 * time.Millisecond

// maxRetries bounds the re-sends of a submit whose first hop closed;
// maxRedirects the answers naming another leader that are followed at once.
const (
	maxRetries   = 2
	maxRedirects = 3
)

// forward sends a local submit toward the leader.
func (n *Node) forward(h block.Hash, tx []byte, ack chan error) {
	n.send(&outSubmit{hash: h, tx: tx, ack: ack, start: time.Now()})
}

// send routes o to the leader and records it, or answers it at once: here
// if this node leads, "no producer" if no producer is reachable.
func (n *Node) send(o *outSubmit) {
	if n.leading() {
		// This node took office since the submit started (a retry, a
		// re-send after a leader change): take it here.
		if err := n.accept(o.hash, o.tx); err != nil {
			n.finishOut(o, codeRejected, rejectDetail(err))
		} else {
			n.finishOut(o, codeAccepted, "")
		}
		return
	}
	dest, ok := n.submitDest(o)
	if !ok {
		n.finishOut(o, codeNoProducer, n.noRouteDetail())
		return
	}
	seq, err := n.tr.Send(dest, route.ClassTransaction, encodeSubmit(o.tx))
	if err != nil {
		n.finishOut(o, codeNoProducer, "sending to "+routePeer(dest).String()+": "+err.Error())
		return
	}
	via, _ := n.tr.NextHop(dest)
	o.dest = dest
	n.lp.relays.Add(seq, via, route.NodeID{}, false, time.Now().Add(n.o.limits.SubmitAckTimeout), o)
	n.stats.txForwarded.Add(1)
}

// submitDest picks the producer to send to: the leader a producer named,
// else the leader as this node knows it (raft's on a producer, the head
// block's producer on a full node), else any producer we have a route to
// (it answers with the leader's name, or that there is none). A leader
// without a route (dead, or its route reconverging) is passed over for a
// producer we can reach. False when no producer is reachable.
func (n *Node) submitDest(o *outSubmit) (route.NodeID, bool) {
	set := n.set.Load()
	var any route.NodeID
	found := false
	for p, id := range set.nodes {
		if p == n.id {
			continue
		}
		if _, ok := n.tr.NextHop(id); ok && (!found || id.Less(any)) {
			any, found = id, true
		}
	}
	if !found {
		return route.NodeID{}, false
	}
	reachable := func(id route.NodeID) bool {
		_, ok := n.tr.NextHop(id)
		return ok && id != n.rid
	}
	if o != nil && reachable(o.leader) {
		return o.leader, true
	}
	if l := n.leaderID(); l != "" {
		if id, ok := set.nodes[l]; ok && reachable(id) {
			return id, true
		}
	}
	return any, true
}

// leaderID is the leader as the engine knows it (raft's on a CFT
// producer), otherwise the producer of the head block (the leader as far
// as this node can tell).
func (n *Node) leaderID() link.PeerID {
	if l, ok := n.eng.Leader(); ok {
		return l
	}
	if h := n.head.Load(); h != nil {
		return n.set.Load().keys[h.Producer]
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
	answer := func(a *answerMsg) {
		if err := n.tr.Reply(d, a.encode()); err != nil {
			n.log.Debug().Str("origin", d.Peer.String()).Err(err).Msg("transaction answer not sent")
		}
	}
	tx, err := decodeSubmit(d.Payload)
	if err != nil {
		n.stats.reject("submit-malformed")
		answer(&answerMsg{code: codeRejected, detail: "malformed: " + err.Error()})
		return
	}
	h := txHash(tx)
	switch {
	case n.leading():
		// accept checks the transaction (precheck, authority) first.
		if err := n.accept(h, tx); err != nil {
			answer(&answerMsg{code: codeRejected, detail: rejectDetail(err)})
			return
		}
		answer(&answerMsg{code: codeAccepted})
	default:
		// Check before naming the leader: an invalid or unauthorised
		// transaction is refused by the first producer it reaches.
		if err := n.precheck(tx); err != nil {
			answer(&answerMsg{code: codeRejected, detail: rejectDetail(err)})
			return
		}
		if err := n.verifyChange(tx); err != nil {
			answer(&answerMsg{code: codeRejected, detail: rejectDetail(err)})
			return
		}
		a := &answerMsg{code: codeNoProducer, detail: n.noRouteDetail()}
		if l := n.leaderID(); l != "" && l != n.id {
			if id, ok := n.set.Load().nodes[l]; ok {
				a.leader = id
				a.detail = "not the leader: " + l.String() + " is"
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
	tx, err := decodeSubmit(payload)
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
	a, err := decodeAnswer(r.Payload)
	if err != nil {
		n.stats.reject("answer-malformed")
		n.log.Warn().Str("producer", r.Peer.String()).Err(err).Msg("transaction answer refused")
		a = &answerMsg{code: codeNoProducer, detail: "malformed answer from " + r.Peer.String()}
	}
	if a.code == codeNoProducer {
		o.leader = route.NodeID{}
		if a.leader != (route.NodeID{}) && a.leader != o.dest && o.redirects < maxRedirects {
			o.leader = a.leader
			o.redirects++
			n.send(o)
			return
		}
		if n.retryLater(o) {
			return
		}
	}
	n.finishOut(o, a.code, a.detail)
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
	n.finishOut(o, codeNoProducer, fmt.Sprintf("no route to producer %s: %s", routePeer(e.Dest), e.Reason))
}

func rejectDetail(err error) string {
	var te *TxRejectedError
	if errors.As(err, &te) {
		return te.Reason + ": " + te.Detail
	}
	return "rejected: " + err.Error()
}

// finishOut answers a submit's local caller, or settles a hand-off or a
// re-send.
func (n *Node) finishOut(o *outSubmit, code uint8, detail string) {
	if o.requeue {
		n.lp.handoff.answered()
	}
	if o.ack == nil {
		n.finishBackground(o, code, detail)
		return
	}
	switch code {
	case codeAccepted:
		o.ack <- nil
	case codeRejected:
		reason, d, _ := strings.Cut(detail, ": ")
		n.lp.txs.Reject(o.hash, reason, d, n.notifyTx)
		o.ack <- &TxRejectedError{Reason: reason, Detail: d}
	case codeTimeout:
		o.ack <- fmt.Errorf("%w: %s", ErrProducerTimeout, detail)
	default:
		o.ack <- fmt.Errorf("%w: %s", ErrNoProducer, detail)
	}
}

// finishBackground settles a hand-off (requeue) or a watched re-send.
func (n *Node) finishBackground(o *outSubmit, code uint8, detail string) {
	switch {
	case code == codeAccepted:
		if o.requeue {
			n.lp.handoffDelay = handoffRetry
		}
	case !o.requeue && !o.watched:
	case code == codeRejected && !strings.HasPrefix(detail, "mempool-full"):
		reason, d, _ := strings.Cut(detail, ": ")
		n.lp.txs.Reject(o.hash, reason, d, n.notifyTx)
		n.log.Warn().Stringer("tx", o.hash).Str("reason", reason).Str("detail", d).Msg("handed-off transaction rejected by the leader")
	case o.watched && code == codeRejected:
		// A full mempool: send it again at the next sweep.
		if w := n.lp.watched[o.hash]; w != nil {
			w.due = time.Now()
		}
	case o.watched:
		if !n.retryLater(o) {
			n.abandonWatched(o.hash, code, detail)
		}
	default:
		n.requeueTx(o.hash, o.tx)
	}
}

// expireSubmits gives up on submits whose producer did not answer in time.
func (n *Node) expireSubmits(now time.Time) {
	for _, o := range n.lp.relays.Expired(now) {
		n.finishOut(o, codeTimeout, fmt.Sprintf("no answer from %s within %v", routePeer(o.dest), n.o.limits.SubmitAckTimeout))
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
		if (o.ack != nil || o.watched) && o.retries < maxRetries {
			o.retries++
			n.send(o)
			continue
		}
		n.finishOut(o, codeNoProducer, "link toward the producer closed")
	}
}

// retryLater schedules a submit again when the producer reached found no
// leader, while the whole attempt stays within Limits.SubmitAckTimeout.
func (n *Node) retryLater(o *outSubmit) bool {
	now := time.Now()
	if o.ack == nil && !o.watched || now.Add(retryDelay).Sub(o.start) >= n.o.limits.SubmitAckTimeout {
		return false
	}
	n.lp.relays.Later(now.Add(retryDelay), o)
	return true
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
