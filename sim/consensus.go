package sim

import (
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

// Consensus decides who produces each slot and which blocks become
// irreversible. The simulator calls it from its one event loop only, so
// implementations need no locking; they must draw no randomness of their own
// (a consensus engine that needs some takes it from the run's seed).
//
// The two built-in engines are the solo producer and the rotating producers
// with a finality oracle; a real engine (cft, bft) plugs in by implementing
// the same three calls, with its own messages carried later by an optional
// interface, never by widening this one.
type Consensus interface {
	// Producer returns the node that produces slot s (counted from 1) and
	// the term it signs the block with.
	Producer(s uint64) (node int, term uint64)
	// HeadChanged tells the engine that node's best head moved; tree is the
	// node's fork database, or nil when node crashed (it stops counting
	// until it restarts). The tree stays owned by the simulator; an engine
	// may keep it and read it during later calls. It returns blocks
	// that have just become final, lowest first: the simulator makes each
	// irreversible on every producer that holds it.
	HeadChanged(node int, tree *forkdb.Tree) []block.ID
	// Final returns the block that node may treat as irreversible once it
	// has accepted header h (ok is false when h proves nothing new).
	Final(node int, h *block.SignedHeader) (id block.ID, ok bool)
}

// solo is the one-producer engine: node 0 produces every slot in term 1 and
// each of its blocks is irreversible as soon as it exists. The producer makes
// its block its root at once; other nodes learn it from the Irreversible
// field of the producer's next header (as non-producers learn finality from
// headers in every mode), so the newest block is final only at the producer.
type solo struct {
	producer block.PublicKey
}

var _ Consensus = (*solo)(nil)

func (s *solo) Producer(uint64) (int, uint64)            { return 0, 1 }
func (s *solo) HeadChanged(int, *forkdb.Tree) []block.ID { return nil }
func (s *solo) Final(node int, h *block.SignedHeader) (block.ID, bool) {
	if h.Producer != s.producer {
		return block.ZeroID, false
	}
	if node == 0 {
		return h.ID(), true
	}
	return h.Irreversible, !h.Irreversible.IsZero()
}

// rotate lets producers 0..P-1 take turns: term t belongs to producer
// (t-1) mod P and lasts termBlocks slots. Because fork choice prefers the
// higher term, a partition makes real forks that must be resolved when it
// heals.
//
// Its finality oracle sees every producer's best chain (a test oracle, not a
// protocol): a block is final once a majority of all producers have it on
// their best chain. Nodes learn finality from the Irreversible field of the
// headers they accept, which the oracle vouches for (standing in for a
// certificate check).
type rotate struct {
	producers  int
	termBlocks uint64
	byz        []bool // byzantine producers do not count towards a majority
	// final maps height to the block the oracle finalized there.
	// Invariant: never rewritten; heights are contiguous from genesis.
	final   map[uint64]block.ID
	top     uint64 // highest final height
	heads   []*forkdb.Tree
	scratch map[block.ID]int
}

var _ Consensus = (*rotate)(nil)

func newRotate(producers, termBlocks int, byz []bool, genesis block.ID) *rotate {
	return &rotate{
		producers:  producers,
		termBlocks: uint64(termBlocks),
		byz:        byz,
		final:      map[uint64]block.ID{genesis.Height(): genesis},
		top:        genesis.Height(),
		heads:      make([]*forkdb.Tree, producers),
		scratch:    map[block.ID]int{},
	}
}

func (r *rotate) Producer(s uint64) (int, uint64) {
	term := (s-1)/r.termBlocks + 1
	return int((term - 1) % uint64(r.producers)), term
}

// HeadChanged finalizes, height by height above the last final block, the
// block that a majority of correct producers hold on their best chains.
// Trees are remembered per producer; a crashed producer's tree is replaced
// when it restarts (the simulator calls HeadChanged with the new tree).
func (r *rotate) HeadChanged(node int, tree *forkdb.Tree) []block.ID {
	if node >= r.producers {
		return nil
	}
	r.heads[node] = tree
	if tree == nil {
		return nil
	}
	need := r.producers/2 + 1
	var out []block.ID
	for h := r.top + 1; ; h++ {
		clear(r.scratch)
		var winner block.ID
		for p, t := range r.heads {
			if t == nil || r.byz[p] {
				continue
			}
			if id, ok := t.BestAt(h); ok {
				r.scratch[id]++
				if r.scratch[id] >= need {
					winner = id
				}
			}
		}
		if winner.IsZero() {
			return out
		}
		r.final[h] = winner
		r.top = h
		out = append(out, winner)
	}
}

func (r *rotate) Final(_ int, h *block.SignedHeader) (block.ID, bool) {
	id := h.Irreversible
	return id, !id.IsZero() && r.final[id.Height()] == id
}
