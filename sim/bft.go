package sim

import (
	"errors"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/forkdb"
)

// driven is the optional interface of a Consensus that runs a protocol of
// its own instead of the slot schedule: it carries its messages between
// producers, arms its own timers, builds blocks on the parent it picks at the
// time it picks, and finalizes from its certificates. The runner finds it by
// type assertion and then schedules no slots; everything it does runs in the
// runner's event loop (no locking, no randomness but the run's).
type driven interface {
	// start runs at virtual time zero, after the nodes booted.
	start()
	// blockAdded reports a block that entered node n's tree (received or
	// built); the engine takes it in a separate event, never inside the
	// blocksync flush that inserted it.
	blockAdded(n *node, b *block.Block)
	// crashed and restarted follow the node's crash faults.
	crashed(v int)
	restarted(v int)
	// done reports that the run's target is met (Config.Blocks final), so
	// the run may end once the network converged.
	done() bool
	// report adds the engine's figures and failures to res.
	report(res *Result)
}

// bftCons runs one pure bft.Engine per producer (nodes 0..Producers-1) on
// the simulator's virtual time. Consensus messages travel on a direct
// consensus link between every pair of producers (DESIGN §7: "direct links
// before" routing) with the run's latency, jitter and loss, and obey its
// crashes and partitions; blocks travel by blocksync like every other block.
// A message lost on the wire is gone: the engine's retries repair it.
type bftCons struct {
	r   *runner
	set *bft.Set
	ps  []*bftProducer
	// proposedAt and finalAt time each proposal and its first finalization
	// at any correct producer.
	proposedAt map[block.ID]time.Duration
	finalAt    map[block.ID]time.Duration
	// top is the highest block finalized by a certificate anywhere.
	top      block.ID
	slot     uint64 // proposals built, for unique block tags
	messages int64
	bytes    int64
	votes    *voteLog // what correct producers signed, across restarts
}

// bftProducer is one producer's engine and its durable records.
type bftProducer struct {
	eng  *bft.Engine
	recs []bft.Record // the producer's synced store: survives a crash
	// gen counts incarnations so that timers and messages addressed to a
	// crashed engine are dropped.
	gen    uint64
	tickAt time.Duration // armed tick; -1 for none
	final  block.ID      // highest block this producer saw finalized
}

var (
	_ Consensus = (*bftCons)(nil)
	_ driven    = (*bftCons)(nil)
)

func newBFT(r *runner) (*bftCons, error) {
	set, err := bft.NewSet(r.keys.pub[:r.cfg.Producers])
	if err != nil {
		return nil, err
	}
	bc := &bftCons{r: r, set: set, proposedAt: map[block.ID]time.Duration{}, finalAt: map[block.ID]time.Duration{}, top: r.genesis.ID(), votes: newVoteLog()}
	for range r.cfg.Producers {
		bc.ps = append(bc.ps, &bftProducer{tickAt: -1})
	}
	return bc, nil
}

// engineConfig scales the engine's timeouts to the link latency: a leader
// gets 20δ (at least 200 ms) to have its block reach us over blocksync's
// hops, twice that to gather a notarization.
func (bc *bftCons) engineConfig(v int) bft.Config {
	cfg := bft.DefaultConfig(block.Hash(bc.r.genesis.ID()), bc.set, bc.r.keys.priv[v])
	cfg.LeaderTimeout = max(200*time.Millisecond, 20*bc.r.cfg.Latency)
	cfg.AdvanceTimeout = 2 * cfg.LeaderTimeout
	cfg.RetryInterval = cfg.LeaderTimeout
	return cfg
}

// Producer is unused: no slots are scheduled for a driven engine.
func (bc *bftCons) Producer(uint64) (int, uint64) { return 0, 0 }

// HeadChanged finalizes nothing: finality comes from certificates.
func (bc *bftCons) HeadChanged(int, *forkdb.Tree) []block.ID { return nil }

// Final vouches for a header's Irreversible block once some correct node
// made it irreversible, which stands for the finalization certificate a
// block body carries under BFT.
func (bc *bftCons) Final(_ int, h *block.SignedHeader) (block.ID, bool) {
	id := h.Irreversible
	return id, !id.IsZero() && bc.r.m.finalAt[id.Height()] == id
}

func (bc *bftCons) start() {
	for v := range bc.ps {
		bc.boot(v)
	}
}

// boot creates producer v's engine from its records and its irreversible
// block (whose header Term is its view).
func (bc *bftCons) boot(v int) {
	p, n := bc.ps[v], bc.r.nodes[v]
	root := n.tree.Root()
	eng, err := bft.New(bc.engineConfig(v), bft.Root{ID: root.ID(), View: root.Term}, p.recs, n.now())
	if err != nil {
		panic("sim: bft engine: " + err.Error())
	}
	p.eng, p.tickAt = eng, -1
	// New only folds the records in; the first input (a tick at the
	// current time) lets the engine act in its view, e.g. ask its leader
	// to propose, as consensus/bftrun does after New.
	eng.Tick(n.now())
	bc.perform(v)
}

func (bc *bftCons) crashed(v int) {
	if v < len(bc.ps) {
		p := bc.ps[v]
		p.eng, p.gen, p.tickAt = nil, p.gen+1, -1
	}
}

func (bc *bftCons) restarted(v int) {
	if v < len(bc.ps) {
		bc.boot(v)
	}
}

func (bc *bftCons) done() bool {
	return bc.top.Height() >= bc.r.genesis.ID().Height()+uint64(bc.r.cfg.Blocks)
}

func (bc *bftCons) blockAdded(n *node, b *block.Block) {
	if n.id >= len(bc.ps) {
		return
	}
	p := bc.ps[n.id]
	gen := p.gen
	bb := bft.Block{ID: b.ID(), Parent: b.Parent, View: b.Term, Producer: b.Producer}
	bc.r.e.after(0, evConsensus, int32(n.id), -1, uint64(b.Height), func() {
		if p.gen != gen || p.eng == nil {
			return
		}
		// Errors are stale or duplicate blocks (our own proposal comes back
		// through blocksync): nothing to do.
		_ = p.eng.AddBlock(n.now(), bb)
		bc.applyFinal(n.id)
		bc.perform(n.id)
	})
}

// perform carries out producer v's Ready batches in the order bft.Ready's
// doc gives: records are appended to the durable slice before any vote
// leaves (a crash in the simulator happens between events, so the pair is
// atomic here, which is what a synced store gives a real node).
func (bc *bftCons) perform(v int) {
	p := bc.ps[v]
	for p.eng != nil && p.eng.HasReady() {
		rd := p.eng.Ready()
		p.recs = append(p.recs, rd.Persist...)
		if rd.PruneBelow > 0 {
			p.recs = pruneRecords(p.recs, rd.PruneBelow)
		}
		for _, m := range rd.Messages {
			if m.Vote != nil && bc.r.nodes[v].correct() {
				bc.votes.sent(m.Vote)
			}
			for q := range bc.ps {
				if q != v {
					bc.send(v, q, m)
				}
			}
		}
		for _, c := range rd.Finalized {
			bc.finalized(v, c)
		}
		bc.arm(v, rd.Deadline)
		p.eng.Advance()
		if rd.Propose != nil {
			bc.propose(v, *rd.Propose)
		}
	}
}

func pruneRecords(recs []bft.Record, below uint64) []bft.Record {
	out := recs[:0]
	for _, rec := range recs {
		if rec.View >= below || rec.Kind == bft.RecRoot {
			out = append(out, rec)
		}
	}
	return out
}

// arm schedules the engine's next tick if its deadline moved.
func (bc *bftCons) arm(v int, dl time.Time) {
	p := bc.ps[v]
	if dl.IsZero() {
		p.tickAt = -1
		return
	}
	at := max(dl.Sub(epoch()), bc.r.e.now)
	if at == p.tickAt {
		return
	}
	p.tickAt = at
	gen := p.gen
	bc.r.e.at(at, evConsensus, int32(v), -2, 0, func() {
		if p.gen != gen || p.eng == nil || p.tickAt != at {
			return
		}
		p.tickAt = -1
		p.eng.Tick(bc.r.nodes[v].now())
		bc.perform(v)
	})
}

// send puts one engine message on the consensus link from producer a to b:
// dropped when either end is down, a partition or one-way cut separates
// them (now or on arrival), or the wire loses it.
func (bc *bftCons) send(a, b int, m bft.Message) {
	nw := bc.r.net
	if !nw.up[a] || !nw.up[b] || nw.cut(a, b) || nw.held(a, b) {
		return
	}
	size := len(m.AppendBinary(nil))
	bc.messages++
	bc.bytes += int64(size)
	e := bc.r.e
	if bc.r.cfg.Loss > 0 && e.rng.Float64() < bc.r.cfg.Loss {
		e.mix(1)
		return
	}
	d := bc.r.cfg.Latency + nw.serialization(size)
	if bc.r.cfg.Jitter > 0 {
		d += max(0, time.Duration(e.rng.NormFloat64()*float64(bc.r.cfg.Jitter)))
	}
	q := bc.ps[b]
	gen := q.gen
	e.after(d, evConsensus, int32(a), int32(b), uint64(size), func() {
		if q.gen != gen || q.eng == nil || nw.cut(a, b) || nw.held(a, b) {
			return
		}
		err := q.eng.Step(bc.r.nodes[b].now(), a, m)
		var be *bft.Error
		if errors.As(err, &be) && be.Reason.Penalized() {
			bc.r.penalized(b, a, "bft-"+string(be.Reason), be.Error())
		}
		bc.perform(b)
	})
}

// propose builds the block the engine asked for on the parent it chose,
// inserts it like a produced block (blocksync spreads it) and hands it to
// the engine, whose notarize vote goes out in the next Ready. Once the
// run's target is final, leaders stop proposing (their views are nullified).
func (bc *bftCons) propose(v int, req bft.ProposeRequest) {
	r, n := bc.r, bc.r.nodes[v]
	parent, ok := n.tree.Get(req.Parent)
	if r.logf != nil {
		r.logf("%v %d bft propose view %d on %s (have parent %v)", r.e.now, v, req.View, req.Parent, ok)
	}
	if bc.done() || !ok {
		return
	}
	bc.slot++
	b := r.fac.child(&parent, v, req.View, bc.slot, n.tree.RootID(), int64(r.e.now), 0)
	old := n.tree.HeadID()
	if err := n.tree.Insert(b.SignedHeader); err != nil {
		return
	}
	r.e.mix(uint64(b.ID().Height()))
	r.checked[b] = nil
	r.m.produced(b, r.e.now, v)
	bc.proposedAt[b.ID()] = r.e.now
	if err := bc.ps[v].eng.Propose(n.now(), bft.Block{ID: b.ID(), Parent: b.Parent, View: b.Term, Producer: b.Producer}); err != nil {
		panic("sim: bft engine refused its own proposal: " + err.Error())
	}
	n.accepted(b, old)
	n.chainChanged()
	r.e.after(0, evFlush, int32(v), 0, 0, n.flush)
}

// finalized records a finalization certificate producer v obtained and
// makes its block irreversible there (now, or when the block arrives).
func (bc *bftCons) finalized(v int, c *bft.Certificate) {
	p := bc.ps[v]
	if c.Block.Height() > p.final.Height() {
		p.final = c.Block
	}
	if c.Block.Height() > bc.top.Height() {
		bc.top = c.Block
	}
	bc.applyFinal(v)
}

// applyFinal makes producer v's highest finalized block irreversible if it
// holds it, and times the blocks that became final for the first time at
// a correct producer.
func (bc *bftCons) applyFinal(v int) {
	n, id := bc.r.nodes[v], bc.ps[v].final
	if id.IsZero() || !n.up || !n.tree.Has(id) || id.Height() <= n.tree.Root().Height {
		return
	}
	from := n.tree.Root().Height
	n.finalFromConsensus(id)
	for h := from + 1; h <= id.Height() && n.correct(); h++ {
		if fid, ok := n.store.finalAt(h); ok {
			if _, seen := bc.finalAt[fid]; !seen {
				bc.finalAt[fid] = bc.r.e.now
			}
		}
	}
}
