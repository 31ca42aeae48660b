package blocksync

import (
	"errors"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Conn is the blocksync state machine of one peer connection. It is a plain
// function of its inputs: it owns no goroutine, timer, socket or random
// source, and it is not safe for concurrent use (the driver serialises every
// call, together with its mutations of the Chain).
type Conn struct {
	cfg   Config
	chain Chain
	state State
	now   time.Time

	// sent is the highest block of our best chain that the peer has
	// (psibase's last_sent, widened by everything the peer told us).
	// Invariant: after align, sent is ZeroID or on our best chain, and the
	// peer has it and all its ancestors.
	sent block.ID
	// tips are the peer's heads as reported by head hellos, Haves and
	// bodies, newest first (psibase's last_received, widened: one tip
	// forgets the peer's other forks after it switches, and we would then
	// echo their blocks back). A report replaces the tips it descends from.
	// Invariant: len(tips) <= maxTips; the peer has every tip and its
	// ancestors; tips may be unknown to us.
	tips []tip
	// peerHead is the peer's latest reported head.
	peerHead block.ID
	// peerHeader is the header of the peer's latest Have, unverified: the
	// driver may check its signature to learn a head it can trust.
	peerHeader block.SignedHeader
	// recognized is the highest block of the peer's locator that we have;
	// gotCommitted and gotCommon record the handshake's two halves: the
	// peer's locator ended, and the peer answered ours.
	recognized              block.ID
	gotCommitted, gotCommon bool
	// peerIrr is the highest irreversible block the peer reported; ZeroID
	// until its committed hello. Invariant: never decreases in height.
	peerIrr block.ID
	// maxTold is the highest height of a block we told the peer we have
	// (hellos, Haves) or it sent us: a correct peer only sends children of
	// blocks at or below it.
	maxTold uint64
	// announced is the head and irreversible block we last told the peer
	// about (locator or Have).
	announced, announcedIrr block.ID
	// peerKnows is the latest block the peer knows we have: announced,
	// sent to it, or received from it.
	peerKnows block.ID
	// startHeight is our head's height when the connection started:
	// duplicates at or below it are sync overshoot (the locator brackets the
	// common ancestor only within a factor of two), not tree redundancy, and
	// do not prune.
	startHeight uint64

	win window
	// waiting is the next body that did not fit in the window, by id and
	// size: pump retries it only when it fits, without reading it from
	// the chain again (a never-acking peer would otherwise cost a block
	// read and decode per chain change).
	waiting     block.ID
	waitingSize uint64
	tree        tree
	held        heldQueue
	// verifies is set when the Chain implements Verifier: bodies are
	// checked on receipt and may be forwarded before they are added.
	verifies bool
	// forwardedHeight is the height of the last body forwarded before it
	// was added (Forward): one per height at most.
	forwardedHeight uint64
	budget          announceBudget
	// inbound is the node's shared table of bodies on their way (nil if
	// the Chain does not implement InboundChain); lag is this peer's
	// recent slowest Coming-to-body time (inbound.go).
	inbound *Inbound
	lag     time.Duration

	out Ready
	// pending are the ids of out.Blocks.
	pending []block.ID
	stats   Stats
}

// New starts a Conn for a fresh connection. Its first Ready holds our locator.
// It returns an error only for an invalid cfg.
func New(cfg Config, chain Chain, now time.Time) (*Conn, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Conn{cfg: cfg, chain: chain, now: now, startHeight: chain.Head().Height()}
	c.win.peerWindow = uint64(cfg.Window)
	_, c.verifies = chain.(Verifier)
	if ic, ok := chain.(InboundChain); ok {
		c.inbound = ic.Inbound()
	}
	c.tree.init(cfg.Mode)
	c.budget.init(&c.cfg, now)
	c.sendLocator()
	return c, nil
}

// State returns the Conn's phase.
func (c *Conn) State() State { return c.state }

// Stats returns the counters.
func (c *Conn) Stats() Stats { return c.stats }

// PeerHead returns the peer's head as last reported (ZeroID if none yet).
func (c *Conn) PeerHead() block.ID { return c.peerHead }

// PeerHeader returns the header the peer's latest Have carried (the zero
// header if none). blocksync does not verify signatures: a driver that
// reports the peer's head to an operator checks it first.
func (c *Conn) PeerHeader() block.SignedHeader { return c.peerHeader }

// LastSent returns the highest block of our best chain the peer is known to
// have.
func (c *Conn) LastSent() block.ID { return c.sent }

// PeerIrreversible returns the peer's irreversible block as last reported.
func (c *Conn) PeerIrreversible() block.ID { return c.peerIrr }

// InFlight returns the bytes of bodies sent but not yet acknowledged.
func (c *Conn) InFlight() uint64 { return c.win.inFlight() }

// Mode returns what the link currently carries to the peer for producer's
// blocks.
func (c *Conn) Mode(producer block.PublicKey) Mode { return c.tree.outMode(producer) }

// SetMode sets the link's outgoing mode for every producer (the manual
// control of seed 003); it clears the peer's prunes and grafts.
func (c *Conn) SetMode(now time.Time, m Mode) error {
	return c.input(now, func() { c.tree.setMode(m) })
}

// Step handles one message from the peer.
func (c *Conn) Step(now time.Time, lane Lane, m Msg) error {
	return c.input(now, func() { c.handle(lane, m) })
}

// Receive decodes one frame from the peer and steps it. A frame that does not
// decode closes the Conn (Ready.Disconnect says why).
func (c *Conn) Receive(now time.Time, lane Lane, frame []byte) error {
	return c.input(now, func() {
		m, err := Decode(frame, c.cfg.Limits)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = fault(ReasonMalformed, "%v", err)
			}
			c.disconnect(e)
			return
		}
		c.handle(lane, m)
	})
}

// ChainChanged tells the Conn that the local chain changed: a block was
// inserted, the head switched forks, or the irreversible block advanced.
func (c *Conn) ChainChanged(now time.Time) error {
	return c.input(now, func() {})
}

// Tick tells the Conn the time; call it at or after Ready.Deadline.
func (c *Conn) Tick(now time.Time) error {
	return c.input(now, c.tick)
}

// SendAfter queues payload for the peer once it is known to have block id
// (immediately if it is known already). Payloads are released in the order
// given; see Tied.
func (c *Conn) SendAfter(now time.Time, id block.ID, payload []byte) error {
	var err error
	if e := c.input(now, func() { err = c.hold(id, payload) }); e != nil {
		return e
	}
	return err
}

// Close closes the Conn locally (ReasonLocal).
func (c *Conn) Close(now time.Time, detail string) error {
	return c.input(now, func() { c.disconnect(fault(ReasonLocal, "%s", detail)) })
}

// HasReady reports whether Ready would return anything to do.
func (c *Conn) HasReady() bool {
	o := &c.out
	return len(o.Messages) > 0 || len(o.Blocks) > 0 || len(o.Tied) > 0 ||
		len(o.Penalties) > 0 || o.Disconnect != nil
}

// Ready returns the outputs accumulated since the last Advance. The slices
// belong to the driver until Advance.
func (c *Conn) Ready() Ready {
	r := c.out
	r.Deadline = c.deadline()
	return r
}

// Advance acknowledges that the driver handled the last Ready.
func (c *Conn) Advance() {
	c.out = Ready{}
	c.pending = c.pending[:0]
}

// input runs one input: every public entry point funnels through it, so
// that after any input the Conn's view of the peer is aligned with the
// chain, pending sends are made and the head is announced.
func (c *Conn) input(now time.Time, f func()) error {
	if c.state == StateClosed {
		return ErrClosed
	}
	if now.After(c.now) {
		c.now = now
	}
	c.align()
	f()
	if c.state == StateClosed {
		return nil
	}
	c.align()
	c.tree.chainMoved(c)
	c.pump()
	c.announce()
	c.releaseHeld()
	return nil
}

func (c *Conn) send(lane Lane, m Msg) {
	c.out.Messages = append(c.out.Messages, Message{Lane: lane, Msg: m})
}

func (c *Conn) penalize(e *Error) { c.out.Penalties = append(c.out.Penalties, e) }

// disconnect closes the Conn; it keeps the first reason.
func (c *Conn) disconnect(e *Error) {
	if c.state == StateClosed {
		return
	}
	c.state = StateClosed
	c.out.Disconnect = e
	c.held.clear()
	if c.inbound != nil {
		c.inbound.closed(c)
	}
}

// handle dispatches one peer message to its handler.
func (c *Conn) handle(lane Lane, m Msg) {
	switch m := m.(type) {
	case *Hello:
		if !c.budget.take(&c.cfg, c.now) {
			c.overBudget("hello")
			return
		}
		c.handleHello(m)
	case *Have:
		if !c.budget.take(&c.cfg, c.now) {
			c.overBudget("have")
			return
		}
		c.handleHave(m)
	case *Block:
		c.handleBlock(m)
	case *Ack:
		c.handleAck(m)
	case *Prune:
		c.handlePrune(m)
	case *Graft:
		c.handleGraft(m)
	case *Tied:
		c.handleTied(m)
	case *Coming:
		c.handleComing(m)
	default:
		c.disconnect(fault(ReasonProtocol, "unexpected message %T", m))
	}
}

func (c *Conn) deadline() time.Time {
	if c.state == StateClosed {
		return time.Time{}
	}
	return c.tree.deadline()
}

func (c *Conn) tick() { c.tree.tick(c) }
