package bftrun

import (
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

// checker holds the cross-node invariants, checked as messages leave and
// as blocks become final:
//   - no signer signs two notarize (or finalize) votes for different
//     blocks in one view, or nullify and finalize in one view — across
//     restarts and epochs (signers are keys, not incarnations);
//   - every vote leaves only after its safety record is durable;
//   - no two nodes finalize different blocks at one height.
type checker struct {
	t      testing.TB
	mu     sync.Mutex
	nodes  map[peer.ID]*tnode
	signs  map[block.PublicKey]map[uint64]*signed
	finals map[uint64]block.ID
	votes  int
}

type signed struct {
	notarize, finalize block.ID
	nullify            bool
}

func newChecker(t testing.TB) *checker {
	return &checker{t: t, nodes: map[peer.ID]*tnode{}, signs: map[block.PublicKey]map[uint64]*signed{}, finals: map[uint64]block.ID{}}
}

func (c *checker) onSend(from, _ peer.ID, payload []byte) {
	if nd := c.nodes[from]; nd == nil || nd.hostile.Load() {
		return // a test speaking as an attacker
	}
	env, err := decodeEnvelope(payload, testLimits())
	if err != nil {
		c.t.Errorf("a correct producer sent an undecodable message: %v", err)
		return
	}
	v := env.msg.Vote
	if v == nil {
		return
	}
	nd := c.nodes[from]
	if env.typ == typeProposal {
		if ch := nd.onPropose.Swap(nil); ch != nil {
			close(*ch)
		}
	}
	key := nd.pub
	rk := map[bft.Kind]bft.RecordKind{bft.Notarize: bft.RecNotarized, bft.Nullify: bft.RecNullified, bft.Finalize: bft.RecFinalized}[v.Kind]
	if !nd.store.isDurable(rk, v.View, v.Block) {
		c.t.Errorf("node %d sent %s before its record was durable", nd.i, v)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.votes++
	byView := c.signs[key]
	if byView == nil {
		byView = map[uint64]*signed{}
		c.signs[key] = byView
	}
	s := byView[v.View]
	if s == nil {
		s = &signed{}
		byView[v.View] = s
	}
	switch v.Kind {
	case bft.Notarize:
		if !s.notarize.IsZero() && s.notarize != v.Block {
			c.t.Errorf("node %d double-signed notarize in view %d: %s and %s", nd.i, v.View, s.notarize, v.Block)
		}
		s.notarize = v.Block
	case bft.Finalize:
		if !s.finalize.IsZero() && s.finalize != v.Block {
			c.t.Errorf("node %d double-signed finalize in view %d", nd.i, v.View)
		}
		s.finalize = v.Block
	case bft.Nullify:
		s.nullify = true
	}
	if s.nullify && !s.finalize.IsZero() {
		c.t.Errorf("node %d signed nullify and finalize in view %d", nd.i, v.View)
	}
}

// final records that nd's final block moved from prev to id: every block
// in between is final at nd, and must be the one every other node has at
// its height.
func (c *checker) final(nd *tnode, prev, id block.ID) {
	path, err := nd.c.reg.ancestry(id)
	if err != nil {
		c.t.Errorf("node %d finalized %s whose ancestry is unknown", nd.i, id)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range path {
		if b.Height <= prev.Height() && b.ID() != prev {
			continue
		}
		if nd.i == 0 && b.ID() != prev {
			nd.c.reg.mu.Lock()
			if _, seen := nd.c.reg.finalAt[b.ID()]; !seen {
				nd.c.reg.finalAt[b.ID()] = time.Now()
			}
			nd.c.reg.mu.Unlock()
		}
		if have, ok := c.finals[b.Height]; ok && have != b.ID() {
			c.t.Errorf("safety: node %d finalized %s at height %d, another node %s", nd.i, b.ID(), b.Height, have)
		}
		c.finals[b.Height] = b.ID()
	}
}

func (c *checker) voteCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.votes
}

// sentBy counts the votes key's node sent.
func (c *checker) sentBy(key block.PublicKey) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.signs[key] {
		if !s.notarize.IsZero() {
			n++
		}
		if !s.finalize.IsZero() {
			n++
		}
		if s.nullify {
			n++
		}
	}
	return n
}
