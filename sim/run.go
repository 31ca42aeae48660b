package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain/block"
)

// runner is one simulation: the engine, the network, the nodes and the
// metrics. Everything hangs off it, so a run shares no state with any other
// (runs may proceed in parallel in separate goroutines).
type runner struct {
	cfg     Config
	e       *engine
	g       graph
	net     *network
	nodes   []*node
	keys    *keyring
	fac     *factory
	cons    Consensus
	syncCfg blocksync.Config
	genesis *block.Block
	// checked memoizes block.Check per block value: blocks are immutable and
	// shared by every node, so one check stands for all; forged copies are
	// new values and get checked for real.
	checked map[*block.Block]error
	m       metrics
	// prodDone is when the last slot and the last fault are behind us.
	// checkFrom is when the run starts checking for convergence: prodDone,
	// or for a driven engine (which has no slots) the last fault, since
	// it ends once its target is final.
	prodDone, checkFrom time.Duration
	banned              map[[2]int]time.Duration
	// logf, when set by a test, receives a line per message and chain
	// event, for debugging a seed.
	logf func(format string, args ...any)
}

// Run simulates cfg and returns what it measured. The error is non-nil for
// an invalid Config; a run whose invariants fail returns a Result whose
// Failed method reports true, and ErrInvariant.
func Run(cfg Config) (Result, error) { return RunWith(cfg, nil) }

// NewConsensus builds a run's consensus engine. keys[i] is node i's public
// key (the producer key of its blocks); genesis is the root every node
// starts from.
type NewConsensus func(keys []block.PublicKey, genesis block.ID) Consensus

// RunWith is Run with the consensus engine newCons builds instead of the
// one cfg.Mode names (nil keeps cfg.Mode's). This is where real engines plug
// in; cfg.Producers still says which nodes are producers for the oracle's
// bookkeeping and for applying finality.
func RunWith(cfg Config, newCons NewConsensus) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	start := time.Now()
	r, err := newRunner(cfg)
	if err != nil {
		return Result{}, err
	}
	if newCons != nil {
		r.cons = newCons(slices.Clone(r.keys.pub), r.genesis.ID())
	}
	r.schedule()
	r.loop()
	res := r.result()
	res.WallMs = float64(time.Since(start).Microseconds()) / 1000
	if res.WallMs > 0 {
		res.EventsPerSec = float64(res.Events) / res.WallMs * 1000
	}
	if res.Failed() {
		return res, fmt.Errorf("%w: %v (replay: %s)", ErrInvariant, res.Failures, res.Command)
	}
	return res, nil
}

func newRunner(cfg Config) (*runner, error) {
	e := newEngine(cfg.Seed)
	g, err := buildTopology(cfg, e.rng)
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, e: e, g: g, checked: map[*block.Block]error{}, banned: map[[2]int]time.Duration{}}
	r.keys = newKeyring(cfg.Nodes, e.rng)
	r.fac = &factory{keys: r.keys, payload: make([]byte, max(cfg.BlockSize-blockOverhead, 0))}
	r.genesis = r.fac.genesis()
	r.syncCfg = blocksync.DefaultConfig()
	r.syncCfg.Prune = cfg.Relay == RelayTree
	if cfg.Window > 0 {
		r.syncCfg.Window = cfg.Window
	}
	r.syncCfg.Limits.Block.MaxBlockBytes = max(r.syncCfg.Limits.Block.MaxBlockBytes, 2*cfg.BlockSize)
	r.syncCfg.Limits.Block.MaxTxBytes = max(r.syncCfg.Limits.Block.MaxTxBytes, 2*cfg.BlockSize)
	byz := make([]bool, cfg.Nodes)
	behaviour := make([]Behaviour, cfg.Nodes)
	for _, f := range cfg.Faults {
		if f.Kind == FaultByzantine {
			for _, v := range f.Nodes {
				byz[v], behaviour[v] = true, f.Behaviour
			}
			for _, v := range twinHosts(cfg, f) {
				byz[v], behaviour[v] = true, f.Behaviour
			}
		}
	}
	switch cfg.Mode {
	case ModeSolo:
		r.cons = &solo{producer: r.keys.pub[0]}
	case ModeBFT:
		if r.cons, err = newBFT(r); err != nil {
			return nil, err
		}
	default:
		r.cons = newRotate(cfg.Producers, cfg.TermBlocks, byz, r.genesis.ID())
	}
	r.net = newNetwork(e, &r.cfg, g, &r.m.net)
	r.net.banned = func(a, b int) bool { return r.banned[key(a, b)] > e.now }
	r.m.init(cfg, r.genesis.ID())
	for i := range cfg.Nodes {
		n := &node{id: i, r: r, byz: behaviour[i], peers: g[i], twins: map[block.ID]*block.Block{}, forged: map[block.ID]*block.Block{}}
		n.boot(newStore(r.genesis))
		r.nodes = append(r.nodes, n)
		r.net.nodes = append(r.net.nodes, n)
		r.net.up[i] = true
	}
	if cfg.CatchUpNode >= 0 {
		r.nodes[cfg.CatchUpNode].crash()
		r.net.up[cfg.CatchUpNode] = false
	}
	return r, nil
}

// blockOverhead is what a block's encoding adds to its payload (version,
// header, signature, counts and the 8-byte tag), so that BlockSize is the
// size on the wire.
const blockOverhead = 1 + block.HeaderSize + 64 + 1 + 1 + 8 + 3 + 1

// schedule queues the slots, the faults and the initial connections.
func (r *runner) schedule() {
	d, isDriven := r.cons.(driven)
	if isDriven {
		r.e.at(0, evConsensus, -1, 0, 0, d.start)
	}
	for s := 1; s <= r.cfg.Blocks && !isDriven; s++ {
		slot := uint64(s)
		r.e.at(time.Duration(s)*r.cfg.Interval, evProduce, 0, 0, slot, func() { r.produce(slot) })
	}
	for i := range r.cfg.Faults {
		f := &r.cfg.Faults[i]
		r.scheduleFault(f)
		r.checkFrom = max(r.checkFrom, f.From, f.To)
	}
	if c := r.cfg.CatchUpNode; c >= 0 {
		r.e.at(r.cfg.CatchUpAt, evFault, int32(c), 0, 0, func() { r.restart(c) })
		r.checkFrom = max(r.checkFrom, r.cfg.CatchUpAt)
	}
	slots := time.Duration(r.cfg.Blocks) * r.cfg.Interval
	if isDriven {
		// A driven engine's blocks come as fast as it finalizes them
		// (2δ each in BFT's good case); budget 4δ a block at least.
		slots = time.Duration(r.cfg.Blocks) * max(r.cfg.Interval, 4*r.cfg.Latency)
		r.prodDone = r.checkFrom + slots
	} else {
		r.prodDone = max(slots, r.checkFrom)
		r.checkFrom = r.prodDone
	}
	r.e.at(0, evFault, -1, 0, 0, r.net.reconcile)
}

// loop runs events until the network has converged after production and
// faults ended, or until Settle runs out.
func (r *runner) loop() {
	deadline := r.prodDone + r.cfg.Settle
	r.e.at(r.checkFrom, evCheck, 0, 0, 0, r.checkConverged)
	for !r.m.converged && r.e.step(deadline) {
		// step ran one event; converged is set by checkConverged.
	}
}

// checkConverged ends the run once every correct running node has the same
// head and the same irreversible block and no liveness window is open;
// otherwise it looks again later.
func (r *runner) checkConverged() {
	lo, hi := r.irreversibleRange()
	if r.headsAgree() && lo == hi && len(r.m.windows) == 0 && r.caughtUp() && r.consDone() {
		r.m.converged = true
		return
	}
	r.e.after(50*time.Millisecond, evCheck, 0, 0, 0, r.checkConverged)
}

// consDone reports whether a driven engine met its target (always true
// for the slot-based ones, whose slots end at prodDone).
func (r *runner) consDone() bool {
	d, ok := r.cons.(driven)
	return !ok || d.done()
}

func (r *runner) caughtUp() bool {
	return r.cfg.CatchUpNode < 0 || r.m.catchUpDone > 0
}

func (r *runner) headsAgree() bool {
	var head block.ID
	first := true
	for _, n := range r.nodes {
		if !n.up || !n.correct() {
			continue
		}
		if first {
			head, first = n.tree.HeadID(), false
		} else if n.tree.HeadID() != head {
			return false
		}
	}
	return true
}

// produce makes the block of one slot, if its producer is running.
func (r *runner) produce(slot uint64) {
	p, term := r.cons.Producer(slot)
	n := r.nodes[p]
	if !n.up {
		return
	}
	parent := n.tree.Head()
	if parent.Term > term {
		return
	}
	b := r.fac.child(&parent, p, term, slot, n.tree.RootID(), int64(r.e.now), 0)
	r.e.mix(uint64(b.ID().Height()))
	if n.byz == ByzEquivocate {
		n.twins[b.ID()] = r.fac.child(&parent, p, term, slot, n.tree.RootID(), int64(r.e.now), 1)
	}
	r.m.produced(b, r.e.now, p)
	old := n.tree.HeadID()
	if err := n.tree.Insert(b.SignedHeader); err != nil {
		panic("sim: producer cannot insert its own block: " + err.Error())
	}
	r.checked[b] = nil
	n.accepted(b, old)
	n.chainChanged()
	n.flush()
}

// check is block.Check, memoized per block value.
func (r *runner) check(b *block.Block) error {
	if err, ok := r.checked[b]; ok {
		return err
	}
	err := b.Check()
	r.checked[b] = err
	return err
}

// headChanged tells consensus about a node's new head and applies what it
// finalizes to the producers that hold it.
func (r *runner) headChanged(n *node) {
	for _, id := range r.cons.HeadChanged(n.id, n.tree) {
		for _, p := range r.nodes {
			if p.id < r.cfg.Producers && p.up && p.correct() {
				p.finalFromConsensus(id)
			}
		}
	}
}

// ban closes the link between a node and a peer it caught misbehaving and
// keeps it closed for a while, so a byzantine peer cannot hammer it.
func (r *runner) ban(n, peer int) {
	k := key(n, peer)
	r.banned[k] = r.e.now + banTime
	l := r.net.links[k]
	if l.up {
		r.net.close(l)
	}
	l.gen++
	r.e.after(banTime, evFault, int32(n), int32(peer), 0, r.reconcile)
}

const banTime = 5 * time.Second

func (r *runner) reconcile() { r.net.reconcile() }
