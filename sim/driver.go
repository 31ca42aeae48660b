package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

// epoch is virtual time zero as a time.Time, for blocksync's now arguments
// (the date testing/synctest uses).
func epoch() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

func (n *node) now() time.Time { return epoch().Add(n.r.e.now) }

// connected starts a Conn for a new connection and sends its locator.
func (n *node) connected(peer int) {
	c, err := blocksync.New(n.r.syncCfg, chainView{n}, n.now())
	if err != nil {
		// The config was validated before the run started.
		panic("sim: blocksync config: " + err.Error())
	}
	n.conns[peer] = &peerConn{peer: peer, c: c, gen: n.r.net.links[key(n.id, peer)].gen, tickAt: -1}
	n.r.connOpened(n.id, peer)
	n.flush()
}

// disconnected drops the Conn of a closed connection.
func (n *node) disconnected(peer int) {
	if pc := n.conns[peer]; pc != nil {
		n.r.connClosed(n.id, pc)
		_ = pc.c.Close(n.now(), "connection closed") // its bodies on their way are lost
		delete(n.conns, peer)
	}
}

// deliver steps a message from a neighbour into its Conn.
func (n *node) deliver(from int, m *wireMsg) {
	pc := n.conns[from]
	if !n.up || pc == nil {
		return
	}
	if n.r.logf != nil {
		n.r.logf("%v %d<-%d %s", n.r.e.now, n.id, from, describe(m.payload))
	}
	lane := blocksync.LaneSync
	if m.lane == laneBlocks {
		lane = blocksync.LaneBlocks
	}
	switch p := m.payload.(type) {
	case []byte:
		_ = pc.c.Receive(n.now(), lane, p)
	case blocksync.Msg:
		if _, ok := p.(*blocksync.Block); ok {
			n.r.bodyReceived(n, m.size)
		}
		_ = pc.c.Step(n.now(), lane, p)
	}
	if n.learnFinal(pc.c.PeerIrreversible()) {
		n.chainChanged()
	}
	n.flush()
}

// tick fires a Conn's timer if it is still the armed one.
func (n *node) tick(pc *peerConn, at time.Duration) {
	if !n.up || n.conns[pc.peer] != pc || pc.tickAt != at {
		return
	}
	pc.tickAt = -1
	_ = pc.c.Tick(n.now())
	n.flush()
}

// flush performs every Conn's Ready until none has anything left to do.
// Handling one Conn's blocks calls ChainChanged on all of them, which can
// produce more output, hence the loop; it ends because each round only
// reacts to chain changes that the previous round made, and a block is
// inserted once.
func (n *node) flush() {
	for progress := true; progress && n.up; {
		progress = false
		for _, pc := range n.sortedConns() {
			if n.conns[pc.peer] != pc {
				continue
			}
			if pc.c.HasReady() {
				progress = true
				n.perform(pc)
			}
			n.arm(pc)
		}
	}
}

// perform handles one Ready in the order its doc requires.
func (n *node) perform(pc *peerConn) {
	rd := pc.c.Ready()
	pc.c.Advance()
	changed := false
	for _, b := range rd.Blocks {
		if n.addBlock(b, pc.peer) {
			changed = true
		}
		if !n.up || n.conns[pc.peer] != pc {
			return
		}
	}
	if n.learnFinal(pc.c.PeerIrreversible()) {
		changed = true
	}
	if changed {
		n.chainChanged()
	}
	for _, m := range rd.Messages {
		n.send(pc.peer, m)
	}
	for _, e := range rd.Penalties {
		n.r.penalized(n.id, pc.peer, string(e.Reason), e.Error())
	}
	if rd.Disconnect != nil && rd.Disconnect.Reason != blocksync.ReasonLocal {
		n.r.penalized(n.id, pc.peer, string(rd.Disconnect.Reason), rd.Disconnect.Error())
		n.r.ban(n.id, pc.peer)
	}
}

// arm schedules the Conn's next tick if its deadline moved.
func (n *node) arm(pc *peerConn) {
	dl := pc.c.Ready().Deadline
	if dl.IsZero() {
		pc.tickAt = -1
		return
	}
	at := max(dl.Sub(epoch()), n.r.e.now)
	if at == pc.tickAt {
		return
	}
	pc.tickAt = at
	n.r.e.at(at, evTick, int32(n.id), int32(pc.peer), 0, func() { n.tick(pc, at) })
}

// chainChanged tells every Conn that the chain moved. Their outputs are
// performed by the flush loop.
func (n *node) chainChanged() {
	now := n.now()
	for _, pc := range n.sortedConns() {
		_ = pc.c.ChainChanged(now)
	}
}

// send puts one blocksync message on the link, through the byzantine
// filter when the node is byzantine.
func (n *node) send(peer int, m blocksync.Message) {
	ln := laneControl
	if m.Lane == blocksync.LaneBlocks {
		ln = laneBlocks
	}
	if n.r.logf != nil {
		n.r.logf("%v %d->%d %s", n.r.e.now, n.id, peer, describe(m.Msg))
	}
	for _, out := range n.byzantine(peer, m.Msg) {
		size := 0
		switch p := out.(type) {
		case []byte:
			size = len(p)
		case blocksync.Msg:
			size = p.Size()
		}
		n.r.net.send(n.id, peer, &wireMsg{lane: ln, size: size, payload: out})
	}
}

// addBlock validates a received block fully and inserts it. It returns
// whether the chain changed. An invalid block penalizes its sender and
// closes the connection; blocks a correct peer may send in a race
// (duplicates, blocks at or below our irreversible block) are dropped
// silently.
func (n *node) addBlock(b *block.Block, from int) bool {
	if err := n.r.check(b); err != nil {
		n.reject(from, "invalid-block", err)
		return false
	}
	oldHead := n.tree.HeadID()
	err := n.tree.Insert(b.SignedHeader)
	switch forkdb.ReasonOf(err) {
	case "":
	case forkdb.ReasonDuplicate, forkdb.ReasonBelowIrreversible:
		return false
	case forkdb.ReasonUnknownParent:
		if n.gone[b.Parent] {
			// The Conn passed the block as the child of the peer's
			// previous body, which a new irreversible block has pruned
			// since: an orphan in flight, stale rather than invalid.
			n.gone[b.ID()] = true
			return false
		}
		n.reject(from, "forkdb-"+string(forkdb.ReasonOf(err)), err)
		return false
	default:
		n.reject(from, "forkdb-"+string(forkdb.ReasonOf(err)), err)
		return false
	}
	n.accepted(b, oldHead)
	if n.r.logf != nil {
		n.r.logf("%v %d added %s from %d head %s root %s", n.r.e.now, n.id, b.ID(), from, n.tree.HeadID(), n.tree.RootID())
	}
	return true
}

func (n *node) reject(from int, reason string, err error) {
	n.r.penalized(n.id, from, reason, err.Error())
	if pc := n.conns[from]; pc != nil && from >= 0 {
		_ = pc.c.Close(n.now(), reason)
		n.r.ban(n.id, from)
	}
}

// accepted records a block that entered the tree (received or produced)
// and applies what consensus makes of it.
func (n *node) accepted(b *block.Block, oldHead block.ID) {
	id := b.ID()
	n.store.blocks[id] = b
	n.r.held(n.id, id)
	if d, ok := n.r.cons.(driven); ok {
		d.blockAdded(n, b)
	}
	if fin, ok := n.r.cons.Final(n.id, &b.SignedHeader); ok {
		n.makeFinal(fin)
	}
	if n.tree.HeadID() != oldHead {
		n.r.headChanged(n)
	}
}

// makeFinal makes id irreversible if the node holds it above its root.
func (n *node) makeFinal(id block.ID) {
	if !n.tree.Has(id) || id.Height() <= n.tree.Root().Height {
		return
	}
	pruned, err := n.tree.SetIrreversible(id)
	if err != nil && !errors.Is(err, forkdb.ErrNotFound) {
		panic("sim: SetIrreversible on a held block: " + err.Error())
	}
	for _, p := range pruned {
		if n.r.logf != nil {
			n.r.logf("%v %d pruned %s (root %s)", n.r.e.now, n.id, p, id)
		}
		delete(n.store.blocks, p)
		n.gone[p] = true
	}
	n.r.finalized(n, n.store.finalize(id))
}

// learnFinal adopts the irreversible block a peer reported (in its locator
// or a Have) when the simulator can vouch for it: some correct node made it
// irreversible, which stands for the certificate a real peer would attach.
// Without it, nodes would learn finality only from the next block's header
// and the last blocks of a run would never become final anywhere but at the
// producers.
func (n *node) learnFinal(id block.ID) bool {
	if id.Height() <= n.tree.Root().Height || !n.tree.Has(id) || n.r.m.finalAt[id.Height()] != id {
		return false
	}
	old := n.tree.HeadID()
	n.makeFinal(id)
	if n.tree.HeadID() != old {
		n.r.headChanged(n)
	}
	return true
}

// finalFromConsensus applies a block the consensus engine finalized. It runs
// outside any Conn's Ready, so the Conns' reactions are flushed by a
// separate event rather than nested inside another flush, which would
// reorder a Conn's messages.
func (n *node) finalFromConsensus(id block.ID) {
	if !n.up || !n.tree.Has(id) || id.Height() <= n.tree.Root().Height {
		return
	}
	old := n.tree.HeadID()
	n.makeFinal(id)
	n.chainChanged()
	n.r.e.after(0, evFlush, int32(n.id), 0, 0, n.flush)
	if n.tree.HeadID() != old {
		n.r.headChanged(n)
	}
}

// describe renders a message for a debug log.
func describe(p any) string {
	switch m := p.(type) {
	case *blocksync.Hello:
		return fmt.Sprintf("hello %s head=%v committed=%v", m.ID, m.Head, m.Committed)
	case *blocksync.Have:
		return fmt.Sprintf("have %s irr %s", m.Header.ID(), m.Irreversible)
	case *blocksync.Block:
		return fmt.Sprintf("block %s parent %s", m.Block.ID(), m.Block.Parent)
	case blocksync.Msg:
		return fmt.Sprintf("%s %+v", m.Type(), m)
	}
	return fmt.Sprintf("%d garbage bytes", len(p.([]byte)))
}
