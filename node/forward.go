// Transaction forwarding toward the leader over the routing lane (wire.go),
// and the mempool hand-off after a leader change.

package node

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

// outSubmit is a transaction we sent toward a producer, awaiting a reply.
type outSubmit struct {
	hash     block.Hash
	via      link.Link
	viaID    link.PeerID
	deadline time.Time
	// A relayed submit answers origin with originID; a local one answers
	// ack (buffer 1).
	origin   link.Link
	originID uint64
	ack      chan error
	// tx and hops let a local submit try another route when the link it
	// went out on closes before the answer (a producer that just died).
	tx      []byte
	hops    uint8
	retries int
	// start is when the local submit was first sent; retryAt when it is
	// sent again after a relay found no leader (an election in progress).
	start, retryAt time.Time
	// requeue marks a transaction this node handed off from its mempool
	// (handOffMempool): unless a producer accepts or rejects it, it goes
	// back into the mempool to be handed off again.
	requeue bool
	// watched marks a re-send of a watched transaction (watchedTx): if no
	// producer takes it, it is sent again soon.
	watched bool
}

// retryDelay spaces the attempts of a submit that a relay answered with
// "no producer": a leader election takes a few hundred milliseconds.
const retryDelay = 100 * time.Millisecond

// maxRetries bounds how often a local submit is re-routed.
const maxRetries = 2

// forward sends tx one hop toward the leader. Exactly one of ack (a local
// submit) and origin (a relay) is set.
func (n *Node) forward(h block.Hash, tx []byte, origin link.Link, originID uint64, ack chan error, hops uint8, exclude link.Link) {
	n.send(&outSubmit{hash: h, origin: origin, originID: originID, ack: ack, tx: tx, hops: hops, start: time.Now()}, exclude)
}

// send routes o and records it, or answers its origin that no producer is
// reachable.
func (n *Node) send(o *outSubmit, exclude link.Link) {
	lp := n.lp
	if n.leading() {
		// This node took office since the submit started (a retry, a
		// re-route, a re-send after a leader change): take it here, as
		// other producers would only send it back.
		if err := n.accept(o.hash, o.tx); err != nil {
			n.finishOut(o, codeRejected, rejectDetail(err))
		} else {
			n.finishOut(o, codeAccepted, "")
		}
		return
	}
	p := n.route(exclude)
	if p == nil {
		n.finishOut(o, codeNoProducer, n.noRouteDetail())
		return
	}
	timeout := n.o.limits.SubmitAckTimeout
	if o.origin != nil {
		// Answer the previous hop before it gives up on us.
		timeout = timeout * 3 / 4
	}
	lp.nextID++
	id := lp.nextID
	o.via, o.viaID, o.deadline = p.link, p.id, time.Now().Add(timeout)
	if err := p.link.Send(link.LaneRouting, (&submitMsg{id: id, hops: o.hops, tx: o.tx}).encode()); err != nil {
		n.finishOut(o, codeNoProducer, "sending to "+p.id.String()+": "+err.Error())
		return
	}
	lp.out[id] = o
	n.stats.txForwarded.Add(1)
}

// route picks the link toward the leader: the leader itself, else any
// producer (which relays), never exclude. Nil when there is none.
func (n *Node) route(exclude link.Link) *peerState {
	lp := n.lp
	usable := func(p *peerState) bool { return p != nil && !p.closing && p.link != exclude }
	if l := n.leaderID(); l != "" {
		if p := lp.byID[l]; usable(p) {
			return p
		}
	}
	for id, p := range lp.byID {
		if hasPeer(n.set.Load(), id) && usable(p) {
			return p
		}
	}
	return nil
}

// leaderID is raft's leader on a CFT producer, otherwise the producer of
// the head block (the leader as far as this node can tell).
func (n *Node) leaderID() link.PeerID {
	if n.engine() != nil {
		return n.raftView().leader
	}
	if h := n.head.Load(); h != nil {
		return n.set.Load().keys[h.Producer]
	}
	return ""
}

// leading reports whether this node accepts transactions into its mempool:
// the solo producer, or the raft leader.
func (n *Node) leading() bool {
	if n.solo {
		return true
	}
	return n.engine() != nil && n.raftView().leader == n.id
}

// raftLook is the raft leader as last read; the loop reads it at most once
// per raftLookTTL, because the engine's Status takes several locks and
// copies the FSM state, and submits ask for every transaction.
type raftLook struct {
	at     time.Time
	leader link.PeerID
}

const raftLookTTL = 5 * time.Millisecond

func (n *Node) raftView() raftLook {
	lp := n.lp
	now := time.Now()
	if e := n.engine(); e != nil && (lp.raft.at.IsZero() || now.Sub(lp.raft.at) >= raftLookTTL) {
		st := e.Status()
		lp.raft = raftLook{at: now}
		if id, err := peer.Decode(string(st.Leader)); err == nil {
			lp.raft.leader = id
		}
	}
	return lp.raft
}

func (n *Node) onRouting(p *peerState, msg []byte) {
	m, err := decodeRouting(msg)
	if err != nil {
		n.stats.reject("routing-malformed")
		n.log.Warn().Str("peer", p.id.String()).Err(err).Msg("routing message dropped")
		return
	}
	switch m := m.(type) {
	case *submitMsg:
		n.onSubmit(p, m)
	case *replyMsg:
		o := n.lp.out[m.id]
		if o == nil || o.via != p.link {
			return // answered late, after we gave up
		}
		delete(n.lp.out, m.id)
		if m.code == codeNoProducer && n.retryLater(o) {
			return
		}
		n.finishOut(o, m.code, m.detail)
	}
}

func (n *Node) onSubmit(p *peerState, m *submitMsg) {
	h := txHash(m.tx)
	reply := func(code uint8, detail string) {
		_ = p.link.Send(link.LaneRouting, (&replyMsg{id: m.id, code: code, detail: detail}).encode())
	}
	switch {
	case n.leading():
		if err := n.accept(h, m.tx); err != nil {
			reply(codeRejected, rejectDetail(err))
			return
		}
		reply(codeAccepted, "")
	case m.hops == 0:
		reply(codeNoProducer, "hop limit reached at "+n.id.String())
	default:
		// A relay checks a change's authority too: an unauthorised change
		// goes no further than the first honest node.
		if err := n.verifyChange(m.tx); err != nil {
			reply(codeRejected, rejectDetail(err))
			return
		}
		n.forward(h, m.tx, p.link, m.id, nil, m.hops-1, p.link)
	}
}

func rejectDetail(err error) string {
	var te *TxRejectedError
	if errors.As(err, &te) {
		return te.Reason + ": " + te.Detail
	}
	return "rejected: " + err.Error()
}

// finishOut answers a submit's origin: the previous hop or the local caller.
func (n *Node) finishOut(o *outSubmit, code uint8, detail string) {
	if o.origin != nil {
		_ = o.origin.Send(link.LaneRouting, (&replyMsg{id: o.originID, code: code, detail: detail}).encode())
		return
	}
	if o.ack == nil {
		switch {
		case code == codeAccepted:
			if o.requeue {
				n.lp.handoffDelay = handoffRetry
			}
		case !o.requeue && !o.watched:
		case code == codeRejected && !strings.HasPrefix(detail, "mempool-full"):
			reason, d, _ := strings.Cut(detail, ": ")
			n.lp.txs.rejected(o.hash, reason, d, n.notifyTx)
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
		return
	}
	switch code {
	case codeAccepted:
		o.ack <- nil
	case codeRejected:
		reason, d, _ := strings.Cut(detail, ": ")
		n.lp.txs.rejected(o.hash, reason, d, n.notifyTx)
		o.ack <- &TxRejectedError{Reason: reason, Detail: d}
	case codeTimeout:
		o.ack <- fmt.Errorf("%w: %s", ErrProducerTimeout, detail)
	default:
		o.ack <- fmt.Errorf("%w: %s", ErrNoProducer, detail)
	}
}

// expireSubmits gives up on submits whose producer did not answer in time.
func (n *Node) expireSubmits(now time.Time) {
	for id, o := range n.lp.out {
		if now.Before(o.deadline) {
			continue
		}
		delete(n.lp.out, id)
		n.finishOut(o, codeTimeout, fmt.Sprintf("no answer from %s within %v", o.viaID, n.o.limits.SubmitAckTimeout))
	}
}

// failSubmitsVia re-routes local submits sent over a link that closed
// (at most maxRetries times) and answers relayed ones at once.
func (n *Node) failSubmitsVia(l link.Link) {
	for id, o := range n.lp.out {
		if o.via != l {
			continue
		}
		delete(n.lp.out, id)
		if (o.ack != nil || o.watched) && o.retries < maxRetries {
			o.retries++
			n.send(o, l)
			continue
		}
		n.finishOut(o, codeNoProducer, "link to the producer closed")
	}
}

// retryLater schedules a local submit again when a relay found no leader,
// while the whole attempt stays within Limits.SubmitAckTimeout.
func (n *Node) retryLater(o *outSubmit) bool {
	now := time.Now()
	if o.ack == nil && !o.watched || now.Add(retryDelay).Sub(o.start) >= n.o.limits.SubmitAckTimeout {
		return false
	}
	o.retryAt = now.Add(retryDelay)
	n.lp.retry = append(n.lp.retry, o)
	return true
}

// resend sends the submits whose retry time came.
func (n *Node) resend(now time.Time) {
	lp := n.lp
	keep := lp.retry[:0]
	var due []*outSubmit
	for _, o := range lp.retry {
		if now.Before(o.retryAt) {
			keep = append(keep, o)
		} else {
			due = append(due, o)
		}
	}
	lp.retry = keep
	for _, o := range due {
		n.send(o, nil)
	}
}

// failAll answers every local submit still waiting when the loop exits.
func (n *Node) failAll() {
	for _, o := range n.lp.retry {
		if o.ack != nil {
			o.ack <- ErrStopped
		}
	}
	n.lp.retry = nil
	for id, o := range n.lp.out {
		delete(n.lp.out, id)
		if o.ack != nil {
			o.ack <- ErrStopped
		}
	}
}

// handOffMempool forwards the mempool of a producer that lost leadership to
// the new leader, so that accepted transactions survive a leader change
// (their submitters are waiting for inclusion). It retries every
// handoffRetry while no producer is reachable; a transaction no leader
// took (no leader yet, the leader stepped down or died meanwhile, no
// answer, a full mempool) comes back into the pool (requeueTx) and goes
// again after a delay that doubles up to maxHandoffDelay. The pool also
// holds the transactions of orphaned blocks (requeueOrphans).
func (n *Node) handOffMempool() {
	lp := n.lp
	if lp.pool.len() == 0 || n.solo {
		lp.handoffAt = time.Time{}
		return
	}
	now := time.Now()
	if now.Before(lp.handoffAt) || n.leading() {
		return
	}
	if n.route(nil) == nil {
		lp.handoffAt = now.Add(handoffRetry)
		return
	}
	moved := 0
	lp.handoffAt = time.Time{} // what fails sets it again (requeueTx)
	// What fails at once goes back to the end of the pool: one pass only.
	for range lp.pool.len() {
		tx, h, ok := lp.pool.peek(int(^uint(0) >> 1))
		if !ok {
			break
		}
		lp.pool.pop()
		n.send(&outSubmit{hash: h, tx: tx, hops: uint8(n.o.limits.MaxHops), start: now, requeue: true}, nil)
		moved++
	}
	n.log.Info().Int("txs", moved).Msg("handed the mempool to the new leader")
}

// handoffRetry is the first delay before a hand-off that found no leader
// is tried again; it doubles up to maxHandoffDelay while hand-offs keep
// failing (a long election: do not bounce the pool between followers).
const (
	handoffRetry    = 100 * time.Millisecond
	maxHandoffDelay = 2 * time.Second
)
