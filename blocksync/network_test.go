package blocksync

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// network is an in-test network in the style of etcd raft's raft_test.go:
// nodes, each a chain and one Conn per peer, and queues of messages that the
// test delivers until quiescent. Lanes stay FIFO; with a rand, delivery picks
// a random non-empty lane each step (lanes race, as on real links).
type network struct {
	t     testing.TB
	cfg   Config
	nodes map[string]*tnode
	names []string
	msgs  []envelope
	rng   *rand.Rand
	now   time.Time
	// hold keeps matching messages queued (a slow path) until release.
	hold func(e envelope) bool
	// log, when set, receives every delivered message (transcripts).
	log       func(string)
	delivered int
}

type tnode struct {
	name  string
	chain *testChain
	conns map[string]*Conn
	peers []string
	// gotFrom[peer] holds the bodies this node received from peer on the
	// current connection: it must never send them back (never echo).
	gotFrom map[string]map[block.ID]bool
	bodies  int // bodies received
	faults  []*Error
	// rejected are blocks from peers that the chain refused.
	rejected []error
	// verify, when set, is the node's Verifier (bodies are checked on
	// receipt and forwarded before they are added); execute, when set,
	// may refuse a block at add time (a failed execution).
	verify  func(*block.Block) error
	execute func(*block.Block) error
	// early are the bodies this node sent before its chain held them.
	early []block.ID
}

// verifyingChain is a testChain with a Verifier.
type verifyingChain struct {
	*testChain
	verify func(*block.Block) error
}

func (c verifyingChain) VerifyBody(b *block.Block) error { return c.verify(b) }

type envelope struct {
	from, to string
	lane     Lane
	msg      Msg
}

func newNetwork(t testing.TB, cfg Config, genesis *block.Block, names ...string) *network {
	n := &network{t: t, cfg: cfg, nodes: map[string]*tnode{}, now: time.Unix(1000, 0)}
	for _, name := range names {
		ch := newTestChain(genesis)
		ch.inbound = NewInbound()
		n.nodes[name] = &tnode{name: name, chain: ch, conns: map[string]*Conn{}, gotFrom: map[string]map[block.ID]bool{}}
		n.names = append(n.names, name)
	}
	return n
}

// connect creates the Conns at both ends.
func (n *network) connect(a, b string) {
	n.t.Helper()
	tracef("connect %s %s", a, b)
	for _, p := range [][2]string{{a, b}, {b, a}} {
		x := n.nodes[p[0]]
		var ch Chain = x.chain
		if x.verify != nil {
			ch = verifyingChain{x.chain, x.verify}
		}
		c, err := New(n.cfg, ch, n.now)
		require.NoError(n.t, err)
		x.conns[p[1]] = c
		x.peers = append(x.peers, p[1])
		x.gotFrom[p[1]] = map[block.ID]bool{}
	}
	n.drain(a)
	n.drain(b)
}

// disconnect closes and drops both Conns (as a driver does when a link
// ends) and every queued message between a and b.
func (n *network) disconnect(a, b string) {
	tracef("disconnect %s %s", a, b)
	for _, p := range [][2]string{{a, b}, {b, a}} {
		x := n.nodes[p[0]]
		_ = x.conns[p[1]].Close(n.now, "link down")
		delete(x.conns, p[1])
		x.peers = slices.DeleteFunc(x.peers, func(s string) bool { return s == p[1] })
	}
	n.msgs = slices.DeleteFunc(n.msgs, func(e envelope) bool {
		return (e.from == a && e.to == b) || (e.from == b && e.to == a)
	})
}

// drain performs every Ready of a node, feeding received blocks to its chain
// and chain changes to all its Conns, until none has anything to do.
func (n *network) drain(name string) {
	n.t.Helper()
	x := n.nodes[name]
	for progress := true; progress; {
		progress = false
		for _, p := range x.peers {
			if n.perform(x, p) {
				progress = true
			}
		}
	}
}

// perform performs one Conn's Ready, as a driver does; false if it had
// nothing to do. A node with a verify func forwards each received body to
// its other peers before adding it (Forward), as node/ does.
func (n *network) perform(x *tnode, p string) bool {
	n.t.Helper()
	c := x.conns[p]
	if !c.HasReady() {
		return false
	}
	rd := c.Ready()
	changed := false
	for _, b := range rd.Blocks {
		x.gotFrom[p][b.ID()] = true
		if x.verify != nil {
			n.forwardEarly(x, p, b)
		}
		if err := x.add(b); err != nil {
			x.rejected = append(x.rejected, err)
		}
		changed = true
	}
	for _, m := range rd.Messages {
		if bm, ok := m.Msg.(*Block); ok {
			id := bm.Block.ID()
			if x.gotFrom[p][id] {
				for _, tp := range c.tips {
					_, known := x.chain.Header(tp.id)
					tracef("tip %s known=%v anchor %s memo(%s@%s)=%s fresh=%s", tp.id, known, tp.anchor, tp.caOf, tp.caHead, tp.ca, c.commonAncestor(c.known(&tp)))
				}
				tracef("sent %s head %s", c.sent, x.chain.Head())
			}
			require.False(n.t, x.gotFrom[p][id], "%s echoed %s back to %s", x.name, id, p)
			if _, known := x.chain.Header(id); !known {
				x.early = append(x.early, id)
			}
		}
		n.msgs = append(n.msgs, envelope{from: x.name, to: p, lane: m.Lane, msg: m.Msg})
	}
	x.faults = append(x.faults, rd.Penalties...)
	if rd.Disconnect != nil {
		x.faults = append(x.faults, rd.Disconnect)
	}
	c.Advance()
	if changed {
		n.chainChanged(x.name)
	}
	return true
}

// forwardEarly offers b, received from p and not yet added, to x's other
// peers and performs their Readies.
func (n *network) forwardEarly(x *tnode, from string, b *block.Block) {
	for _, q := range x.peers {
		if q == from {
			continue
		}
		if err := x.conns[q].Forward(n.now, b); err == nil {
			n.perform(x, q)
		}
	}
}

// add inserts b into x's chain, unless x's execution refuses it.
func (x *tnode) add(b *block.Block) error {
	if x.execute != nil {
		if err := x.execute(b); err != nil {
			return err
		}
	}
	return x.chain.add(b)
}

func (n *network) chainChanged(name string) {
	x := n.nodes[name]
	for _, p := range x.peers {
		_ = x.conns[p].ChainChanged(n.now)
	}
}

// next picks the next deliverable message: the oldest, or the oldest of a
// random link-lane; -1 if every queued message is held.
func (n *network) next() int {
	var heads []int
	seen := map[[3]string]bool{}
	for i, e := range n.msgs {
		k := [3]string{e.from, e.to, e.lane.String()}
		if seen[k] {
			continue
		}
		seen[k] = true
		if n.hold != nil && n.hold(e) {
			continue // a held lane blocks its later messages too (FIFO)
		}
		heads = append(heads, i)
		if n.rng == nil {
			break
		}
	}
	if len(heads) == 0 {
		return -1
	}
	if n.rng == nil {
		return heads[0]
	}
	return heads[n.rng.IntN(len(heads))]
}

// deliverOne delivers one message; false when nothing is deliverable.
func (n *network) deliverOne() bool {
	i := n.next()
	if i < 0 {
		return false
	}
	e := n.msgs[i]
	if i == 0 {
		n.msgs[0] = envelope{}
		n.msgs = n.msgs[1:]
	} else {
		n.msgs = slices.Delete(n.msgs, i, i+1)
	}
	n.delivered++
	to := n.nodes[e.to]
	if c := to.conns[e.from]; c != nil {
		if b, ok := e.msg.(*Block); ok {
			_ = b
			to.bodies++
		}
		if tracing() {
			tracef("%s -> %s: %s", e.from, e.to, describe(e.msg))
		}
		if n.log != nil {
			n.log(fmt.Sprintf("%s->%s %s: %s", e.from, e.to, e.lane, brief(e.msg)))
		}
		_ = c.Step(n.now, e.lane, e.msg)
		n.drain(e.to)
	}
	return true
}

// stabilize delivers until quiescent.
func (n *network) stabilize() {
	n.t.Helper()
	for steps := 0; n.deliverOne(); steps++ {
		require.Less(n.t, steps, 10_000_000, "network does not quiesce")
	}
}

// settle delivers until quiescent, then keeps jumping to the earliest
// deadline and delivering, until no Conn has a deadline: what a driver does
// with its timer.
func (n *network) settle() {
	n.t.Helper()
	for range 1000 {
		n.stabilize()
		var next time.Time
		for _, name := range n.names {
			x := n.nodes[name]
			for _, p := range x.peers {
				if d := x.conns[p].Ready().Deadline; !d.IsZero() && (next.IsZero() || d.Before(next)) {
					next = d
				}
			}
		}
		if next.IsZero() {
			return
		}
		n.tick(max(next.Sub(n.now), 0))
	}
	n.t.Fatal("network does not settle")
}

// tick advances time and ticks every Conn.
func (n *network) tick(d time.Duration) {
	n.now = n.now.Add(d)
	for _, name := range n.names {
		x := n.nodes[name]
		for _, p := range x.peers {
			_ = x.conns[p].Tick(n.now)
		}
		n.drain(name)
	}
}

// produce extends a node's head with one block by producer and tells its
// Conns.
func (n *network) produce(m *maker, name string, term uint64, producer int) *block.Block {
	n.t.Helper()
	x := n.nodes[name]
	head, ok := x.chain.Block(x.chain.Head())
	require.True(n.t, ok)
	b := m.child(head, term, producer)
	require.NoError(n.t, x.chain.add(b))
	tracef("%s produced %s parent %s term %d", name, b.ID(), b.Parent, term)
	n.chainChanged(name)
	n.drain(name)
	return b
}

// requireHealthy checks that no correct node rejected a block from a correct
// peer or faulted one (seed 003's invariant).
func (n *network) requireHealthy() {
	n.t.Helper()
	for _, name := range n.names {
		x := n.nodes[name]
		require.Empty(n.t, x.rejected, "%s rejected blocks", name)
		require.Empty(n.t, x.faults, "%s faulted its peers", name)
	}
}

func (n *network) requireHeadsAgree() {
	n.t.Helper()
	for _, name := range n.names {
		x := n.nodes[name]
		tracef("%s: head %s irr %s", name, x.chain.Head(), x.chain.Irreversible())
		for _, p := range x.peers {
			c := x.conns[p]
			tracef("  to %s: state %s sent %s peerIrr %s tips %v inflight %d pull %d modes %v pruned %v due %v",
				p, c.state, c.sent, c.peerIrr, c.tips, c.InFlight(), c.tree.pullHeight, c.tree.out, c.tree.pruned, c.tree.due)
		}
	}
	want := n.nodes[n.names[0]].chain.Head()
	for _, name := range n.names[1:] {
		require.Equal(n.t, want, n.nodes[name].chain.Head(), "head of %s", name)
	}
}

func (n *network) hellos() (total uint64) {
	for _, x := range n.nodes {
		for _, c := range x.conns {
			total += c.Stats().HellosSent
		}
	}
	return total
}
