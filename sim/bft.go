package sim

import (
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
	// done reports that the run's target is met (Config.Blocks final, and
	// the recovery after the adversarial prefix), so the run may end once
	// the network converged.
	done() bool
	// report adds the engine's figures and failures to res.
	report(res *Result)
}

// bftCons runs pure bft.Engines on the simulator's virtual time: one
// instance per producer (nodes 0..Producers-1, signer i on node i), plus a
// second instance with the same key on node Producers+i for a twin. Consensus
// messages travel on a direct consensus link between the instances' nodes
// (DESIGN §7: "direct links before" routing) with the run's latency, jitter,
// loss and bandwidth, and obey its crashes and partitions. As in
// consensus/bftrun, a leader's notarize vote carries its block (a type 2
// envelope) to the producers; blocks also spread by blocksync to everyone.
// A message lost on the wire is gone: the engine's retries repair it.
// Byzantine instances (bft_byz.go) mutate what their engine sends or run no
// engine at all; crashpoint faults (bft_crash.go) crash a producer between a
// persist and a send.
type bftCons struct {
	r     *runner
	set   *bft.Set
	chain block.Hash
	ps    []*bftInstance
	// host[v] is the instance node v runs, -1 for none.
	host   []int
	verify *verifyMemo
	// proposedAt and finalAt time each proposal and its first finalization
	// at any correct producer.
	proposedAt map[block.ID]time.Duration
	finalAt    map[block.ID]time.Duration
	// certFast says, per block a certificate finalized at a correct
	// producer, whether the first such certificate was a fast one.
	certFast map[block.ID]bool
	// blocks are every block a leader proposed (both of an equivocation),
	// byView the ids of each view's.
	blocks map[block.ID]*block.Block
	byView map[uint64][]block.ID
	// top is the highest block finalized by a certificate at a correct
	// producer.
	top      block.ID
	slot     uint64 // proposals built, for unique block tags
	messages int64
	bytes    int64
	votes    *voteLog   // what correct producers signed, across restarts
	byzVotes *voteLog   // what byzantine producers and twins signed: evidence they acted
	chk      bftChecker // safety and ancestry of certificates
	rec      recovery
	crashes  int // crashpoint crashes
	// unsynced counts votes correct producers sent without a durable
	// record covering them (persist before send; must be 0).
	unsynced int
	// skipPersist breaks the driver on purpose (tests only): records are
	// never synced, so the checkers must catch what a restart then signs.
	skipPersist bool
}

// bftInstance is one engine (or engine-less byzantine actor) and its
// durable records.
type bftInstance struct {
	signer, node int
	actor        Behaviour // "" for a correct producer's engine
	eng          *bft.Engine
	recs         []bft.Record // the producer's synced store: survives a crash
	// gen counts incarnations so that timers and messages addressed to a
	// crashed engine are dropped.
	gen    uint64
	tickAt time.Duration // armed tick; -1 for none
	final  block.ID      // highest block this instance saw finalized
	// counted is the height up to which applyFinal timed its node's final
	// chain.
	counted uint64
	// proposal is our block waiting for its notarize vote, which carries it.
	proposal *block.Block
	// Actor state: the highest view a nullify-only actor nullified; what a
	// forger received (to replay).
	maxView uint64
	seen    []bft.Message
}

// bftMsg is one consensus-link message: a bft message, and the block a
// leader's notarize vote carries.
type bftMsg struct {
	m   bft.Message
	blk *block.Block
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
	bc := &bftCons{r: r, set: set, chain: block.Hash(r.genesis.ID()), verify: newVerifyMemo(),
		proposedAt: map[block.ID]time.Duration{}, finalAt: map[block.ID]time.Duration{}, certFast: map[block.ID]bool{},
		blocks: map[block.ID]*block.Block{}, byView: map[uint64][]block.ID{},
		top: r.genesis.ID(), votes: newVoteLog(set.Len()), byzVotes: newVoteLog(set.Len())}
	bc.chk.init()
	bc.host = make([]int, r.cfg.Nodes)
	for i := range bc.host {
		bc.host[i] = -1
	}
	actors := bftActors(r.cfg)
	for v := range r.cfg.Producers {
		bc.add(v, v, actors[v])
	}
	for v := range r.cfg.Producers {
		if actors[v] == ByzTwin {
			bc.add(v, r.cfg.Producers+v, ByzTwin)
		}
	}
	bc.rec.init(r.cfg)
	return bc, nil
}

func (bc *bftCons) add(signer, node int, actor Behaviour) {
	bc.host[node] = len(bc.ps)
	bc.ps = append(bc.ps, &bftInstance{signer: signer, node: node, actor: actor, tickAt: -1})
}

// correct reports whether instance i counts for the checkers: its node is
// correct (a twin's two nodes and every byzantine producer are not).
func (bc *bftCons) correct(i int) bool { return bc.r.nodes[bc.ps[i].node].correct() }

// engineConfig scales the engine's timeouts to the link: a leader's block
// travels with its proposal, so it gets 4δ plus twice the block's
// serialization and three jitter deviations (at least 20 ms) to reach us,
// as in consensus/bft's harness, and twice that to gather a notarization.
func (bc *bftCons) engineConfig(signer int) bft.Config {
	cfg := bft.DefaultConfig(bc.chain, bc.set, bc.r.keys.priv[signer])
	c := bc.r.cfg
	cfg.LeaderTimeout = max(20*time.Millisecond, 4*c.Latency+2*bc.r.net.serialization(c.BlockSize)+3*c.Jitter)
	cfg.AdvanceTimeout = 2 * cfg.LeaderTimeout
	cfg.RetryInterval = cfg.LeaderTimeout
	cfg.Verifier = bc.verify
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
	for i := range bc.ps {
		bc.boot(i)
	}
	bc.rec.schedule(bc)
}

// boot creates instance i's engine from its records and its node's
// irreversible block (whose header Term is its view). Engine-less actors
// (silent, nullify-only) have none.
func (bc *bftCons) boot(i int) {
	p, n := bc.ps[i], bc.r.nodes[bc.ps[i].node]
	if p.actor == ByzSilent || p.actor == ByzNullify {
		return
	}
	root := n.tree.Root()
	eng, err := bft.New(bc.engineConfig(p.signer), bft.Root{ID: root.ID(), View: root.Term}, p.recs, n.now())
	if err != nil {
		panic("sim: bft engine: " + err.Error())
	}
	p.eng, p.tickAt, p.proposal = eng, -1, nil
	// New only folds the records in; the first input (a tick at the
	// current time) lets the engine act in its view, e.g. ask its leader
	// to propose, as consensus/bftrun does after New.
	eng.Tick(n.now())
	bc.perform(i)
}

func (bc *bftCons) crashed(v int) {
	if i := bc.host[v]; i >= 0 {
		p := bc.ps[i]
		p.eng, p.gen, p.tickAt, p.proposal = nil, p.gen+1, -1, nil
	}
}

func (bc *bftCons) restarted(v int) {
	if i := bc.host[v]; i >= 0 {
		bc.boot(i)
	}
}

func (bc *bftCons) done() bool {
	return bc.top.Height() >= bc.r.genesis.ID().Height()+uint64(bc.r.cfg.Blocks) && bc.rec.met(bc)
}

func (bc *bftCons) blockAdded(n *node, b *block.Block) {
	i := bc.host[n.id]
	if i < 0 {
		return
	}
	p := bc.ps[i]
	gen := p.gen
	bc.r.e.after(0, evConsensus, int32(n.id), -1, uint64(b.Height), func() {
		if p.gen != gen || p.eng == nil {
			return
		}
		// Errors are stale or duplicate blocks (our own proposal comes back
		// through blocksync): nothing to do.
		_ = p.eng.AddBlock(n.now(), engineBlock(b))
		bc.applyFinal(i)
		bc.perform(i)
	})
}

func engineBlock(b *block.Block) bft.Block {
	return bft.Block{ID: b.ID(), Parent: b.Parent, View: b.Term, Producer: b.Producer}
}

// perform carries out instance i's Ready batches in the order bft.Ready's
// doc gives: records are appended to the durable slice before any vote
// leaves. A crash in the simulator otherwise happens between events, which
// makes the pair atomic; a crashpoint fault (bft_crash.go) crashes the
// node between the two or between two sends.
func (bc *bftCons) perform(i int) {
	p := bc.ps[i]
	for p.eng != nil && p.eng.HasReady() {
		rd := p.eng.Ready()
		at := bc.crashPoint(i, rd)
		if at == crashBeforeSync {
			bc.crashAt(i)
			return
		}
		if !bc.skipPersist {
			p.recs = bc.sync(p.recs, rd.Persist)
		}
		if rd.PruneBelow > 0 {
			p.recs = pruneRecords(p.recs, rd.PruneBelow)
		}
		for k, m := range rd.Messages {
			if k == at {
				bc.crashAt(i)
				return
			}
			bc.act(i, m)
		}
		if at == len(rd.Messages) {
			bc.crashAt(i)
			return
		}
		for _, c := range rd.Finalized {
			bc.finalized(i, c)
			bc.fetch(i, c.Block)
		}
		for _, c := range rd.Notarized {
			bc.fetch(i, c.Block)
		}
		for _, r := range rd.Reported {
			bc.fetch(i, r.ID)
		}
		bc.arm(i, rd.Deadline)
		p.eng.Advance()
		if rd.Propose != nil {
			bc.propose(i, *rd.Propose)
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
func (bc *bftCons) arm(i int, dl time.Time) {
	p := bc.ps[i]
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
	bc.r.e.at(at, evConsensus, int32(p.node), -2, 0, func() {
		if p.gen != gen || p.eng == nil || p.tickAt != at {
			return
		}
		p.tickAt = -1
		p.eng.Tick(bc.r.nodes[p.node].now())
		bc.perform(i)
	})
}

// propose builds the block the engine asked for on the parent it chose,
// inserts it like a produced block (blocksync spreads it) and hands it to
// the engine, whose notarize vote carries it to the producers in the next
// Ready. Once the run's target is final, leaders stop proposing (their
// views are nullified).
func (bc *bftCons) propose(i int, req bft.ProposeRequest) {
	r, p := bc.r, bc.ps[i]
	n := r.nodes[p.node]
	parent, ok := n.tree.Get(req.Parent)
	if r.logf != nil {
		r.logf("%v %d bft propose view %d on %s (have parent %v)", r.e.now, p.node, req.View, req.Parent, ok)
	}
	if bc.done() || !ok {
		return
	}
	bc.slot++
	b := r.fac.child(&parent, p.signer, req.View, bc.slot, n.tree.RootID(), int64(r.e.now), 0)
	old := n.tree.HeadID()
	if err := n.tree.Insert(b.SignedHeader); err != nil {
		return
	}
	r.e.mix(uint64(b.ID().Height()))
	r.checked[b] = nil
	r.m.produced(b, r.e.now, p.node)
	bc.proposed(b)
	if p.actor == ByzEquivocate || p.actor == ByzLie {
		bc.prepareTwin(i, &parent, b)
	}
	if err := p.eng.Propose(n.now(), engineBlock(b)); err != nil {
		panic("sim: bft engine refused its own proposal: " + err.Error())
	}
	p.proposal = b
	n.accepted(b, old)
	n.chainChanged()
	r.e.after(0, evFlush, int32(p.node), 0, 0, n.flush)
}

// proposed records a block a leader made.
func (bc *bftCons) proposed(b *block.Block) {
	id := b.ID()
	if _, ok := bc.proposedAt[id]; !ok {
		bc.proposedAt[id] = bc.r.e.now
	}
	bc.blocks[id] = b
	bc.byView[b.Term] = append(bc.byView[b.Term], id)
}

// finalized records a finalization certificate instance i obtained, checks
// it against what the other correct instances finalized, and makes its
// block irreversible there (now, or when the block arrives).
func (bc *bftCons) finalized(i int, c *bft.Certificate) {
	p := bc.ps[i]
	if bc.correct(i) {
		bc.chk.finalized(bc, i, c)
		if _, ok := bc.certFast[c.Block]; !ok {
			bc.certFast[c.Block] = c.Kind == bft.Notarize
		}
	}
	if c.Block.Height() > p.final.Height() {
		p.final = c.Block
	}
	if bc.correct(i) && c.Block.Height() > bc.top.Height() {
		// The run's target counts correct producers only: a byzantine one
		// may hold a finalization (its engine is correct code) that no
		// correct producer ever receives.
		bc.top = c.Block
	}
	bc.applyFinal(i)
}

// applyFinal makes instance i's highest finalized block irreversible on its
// node if the node holds it, and times the blocks that became final for the
// first time at a correct producer. The timing walks the node's final chain
// from the last height it counted, so a height the node made final while
// it lacked the body (the fast path can finalize before blocksync brings
// it) is counted when the chain reaches it.
func (bc *bftCons) applyFinal(i int) {
	p := bc.ps[i]
	n, id := bc.r.nodes[p.node], p.final
	if !id.IsZero() && n.up && n.tree.Has(id) && id.Height() > n.tree.Root().Height {
		n.finalFromConsensus(id)
	}
	for h := max(p.counted, bc.r.genesis.ID().Height()) + 1; n.correct() && n.up; h++ {
		fid, ok := n.store.finalAt(h)
		if !ok {
			break
		}
		if _, seen := bc.finalAt[fid]; !seen {
			bc.finalAt[fid] = bc.r.e.now
		}
		p.counted = h
	}
}
