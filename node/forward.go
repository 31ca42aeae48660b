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
	// start is when the local submit was first sent.
	start time.Time
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
	lp.relays.Add(id, p.link, o.origin, o.origin != nil, o.deadline, o)
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
		if _, via, ok := n.lp.relays.Get(m.id); !ok || via != p.link {
			return // answered late, after we gave up
		}
		o, _, _ := n.lp.relays.Take(m.id)
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
	if n.leading() {
		if err := n.accept(h, m.tx); err != nil {
			reply(codeRejected, rejectDetail(err))
			return
		}
		reply(codeAccepted, "")
		return
	}
	hops, ok := n.lp.relays.Config().ClampHops(m.hops)
	if !ok {
		reply(codeNoProducer, "hop limit reached at "+n.id.String())
		return
	}
	// Validate before relaying: what the leader would refuse costs the
	// next hops nothing.
	if err := n.precheck(m.tx); err != nil {
		n.stats.reject("relay-invalid")
		reply(codeRejected, rejectDetail(err))
		return
	}
	// A relay checks a change's authority too: an unauthorised change
	// goes no further than the first honest node.
	if err := n.verifyChange(m.tx); err != nil {
		n.stats.reject("relay-invalid")
		reply(codeRejected, rejectDetail(err))
		return
	}
	if ok, charge := n.lp.relays.Admit(p.link); !ok {
		limit := n.lp.relays.Config().MaxPerOrigin
		n.stats.reject("relay-limit")
		reply(codeNoProducer, fmt.Sprintf("relay limit: %d submits of yours awaiting answers at %s", limit, n.id))
		if charge {
			n.charge(p, link.ReasonFlood, fmt.Sprintf("more than %d relayed submits outstanding", limit))
		}
		return
	}
	n.forward(h, m.tx, p.link, m.id, nil, hops, p.link)
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
	if o.requeue {
		n.lp.handoff.answered()
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
	for _, o := range n.lp.relays.Expired(now) {
		n.finishOut(o, codeTimeout, fmt.Sprintf("no answer from %s within %v", o.viaID, n.o.limits.SubmitAckTimeout))
	}
}

// failSubmitsVia re-routes local submits sent over a link that closed
// (at most maxRetries times) and answers relayed ones at once.
func (n *Node) failSubmitsVia(l link.Link) {
	n.lp.relays.Forget(l)
	for _, o := range n.lp.relays.TakeVia(l) {
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
	n.lp.relays.Later(now.Add(retryDelay), o)
	return true
}

// resend sends the submits whose retry time came.
func (n *Node) resend(now time.Time) {
	for _, o := range n.lp.relays.Due(now) {
		n.send(o, nil)
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
