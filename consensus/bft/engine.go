package bft

import (
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/internal/invariants"
)

// Engine is one producer's BFT state machine. It is pure and not safe for
// concurrent use: one driver goroutine calls its inputs (Step, AddBlock,
// Propose, Tick) and performs its Ready batches.
type Engine struct {
	cfg    Config
	set    *Set
	self   int
	verify Verifier
	signer Signer

	// root is the highest final block we know. Invariant: cur > root.View;
	// views holds no view at or below root.View.
	root     Root
	rootCert *Certificate
	// cur is the view we are in.
	cur   uint64
	views map[uint64]*view
	// blocks are the blocks of views above the root, and the root.
	blocks map[block.ID]Block
	// lastActive[i] is the highest view signer i sent us a verified vote
	// for (or our view when we started, so a restart skips no one).
	lastActive []uint64

	// Timers of the current view.
	entered, retryAt time.Time
	now              time.Time

	rd           Ready
	lastDeadline time.Time
	// inherited are the certificates of Config.Prev we hold (Inherit):
	// never relayed as ours.
	inherited map[*Certificate]bool

	broken brokenMode // test-only mutations; zero in the product
}

// brokenMode deliberately breaks the engine so tests can prove the harness's
// checkers fire. It is unexported: only this package's tests set it.
type brokenMode struct {
	skipPersist bool // emit no records (a driver that never persisted)
	noSafety    bool // sign without consulting our own earlier votes
	fastShort   bool // fast-finalize on n−1 notarize votes instead of n
	noReports   bool // ignore nullify reports: skip views the rule blocks
}

// New returns an engine that starts from root (genesis, or the last block
// the node knows final) and replays recs, the records loaded from the
// Store, so it never signs against a vote it made before a restart.
func New(cfg Config, root Root, recs []Record, now time.Time) (*Engine, error) {
	return newEngine(cfg, root, recs, now, brokenMode{})
}

func newEngine(cfg Config, root Root, recs []Record, now time.Time, broken brokenMode) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	self, _ := cfg.Set.Self(cfg.Key)
	e := &Engine{
		cfg:        cfg,
		set:        cfg.Set,
		self:       self,
		verify:     cfg.Verifier,
		root:       root,
		views:      map[uint64]*view{},
		blocks:     map[block.ID]Block{root.ID: {ID: root.ID, View: root.View}},
		lastActive: make([]uint64, cfg.Set.Len()),
		inherited:  map[*Certificate]bool{},
		now:        now,
		broken:     broken,
	}
	if e.verify == nil {
		e.verify = Ed25519{}
	}
	if e.signer = cfg.Signer; e.signer == nil {
		e.signer = keySigner{cfg.Key}
	}
	for _, r := range recs {
		if r.Kind == RecRoot && r.Cert != nil {
			// Our own store, but nothing unverified is ever passed on.
			if err := r.Cert.Verify(cfg.ChainID, cfg.Set, e.verify); err != nil {
				return nil, fmt.Errorf("bft: root record %s: %w", r, err)
			}
			shortFast := broken.fastShort && r.Cert.ForBlock(Notarize, r.View, r.Block) // test-only
			if !r.Cert.Finalizes(cfg.Set, r.View, r.Block) && !shortFast {
				return nil, fmt.Errorf("bft: root record %s holds %s", r, r.Cert)
			}
		}
		if r.Kind == RecRoot && r.View > e.root.View {
			e.root, e.rootCert = Root{ID: r.Block, View: r.View}, r.Cert
		}
	}
	e.blocks = map[block.ID]Block{e.root.ID: {ID: e.root.ID, View: e.root.View}}
	start := e.root.View + 1
	for _, r := range recs {
		if r.Kind == RecRoot || r.View <= e.root.View || broken.noSafety {
			continue
		}
		if err := e.replay(r); err != nil {
			return nil, err
		}
		start = max(start, r.View)
	}
	for i := range e.lastActive {
		e.lastActive[i] = start
	}
	e.enter(start)
	return e, nil
}

// replay folds one of our records into its view.
func (e *Engine) replay(r Record) error {
	v := e.view(r.View)
	switch r.Kind {
	case RecNotarized:
		if v.notarized && v.myNotarize != r.Block {
			return fmt.Errorf("bft: records hold two notarize votes in view %d (%s, %s)", r.View, v.myNotarize, r.Block)
		}
		v.notarized, v.myNotarize = true, r.Block
	case RecNullified:
		v.nullified, v.myReport = true, r.Block
	case RecFinalized:
		v.finalized, v.myFinalize = true, r.Block
	default:
		return fmt.Errorf("bft: record kind %d", r.Kind)
	}
	if v.nullified && v.finalized {
		return fmt.Errorf("bft: records hold both nullify and finalize in view %d", r.View)
	}
	// Records are appended in signing order and we never notarize after
	// nullifying, so a nullify record reports the notarize record's block.
	// A zero report beside a notarize record is a version 1 record (no
	// reports then): the truthful report is the notarized block.
	if v.nullified && v.notarized && v.myReport.IsZero() {
		v.myReport = v.myNotarize
	}
	if v.nullified && v.notarized && v.myReport != v.myNotarize {
		return fmt.Errorf("bft: records of view %d: nullify reports %s, notarized %s", r.View, v.myReport, v.myNotarize)
	}
	return nil
}

// view returns the state of view n, creating it. Callers bound n.
func (e *Engine) view(n uint64) *view {
	v := e.views[n]
	if v == nil {
		v = newView(n, e.set)
		e.views[n] = v
	}
	return v
}

// Status is a snapshot for operators.
type Status struct {
	View       uint64
	Leader     block.PublicKey
	Root       Root
	Notarized  block.ID // highest notarized block above the root, if any
	NotarizedV uint64
	Views      int // views held in memory
	Blocks     int
}

// Status returns a snapshot of the engine's state.
func (e *Engine) Status() Status {
	st := Status{View: e.cur, Leader: e.set.Key(e.set.Leader(e.cur)), Root: e.root, Views: len(e.views), Blocks: len(e.blocks)}
	for n, v := range e.views {
		if id, ok := v.notarizedBlock(); ok && n > st.NotarizedV {
			st.Notarized, st.NotarizedV = id, n
		}
	}
	return st
}

// View returns the current view.
func (e *Engine) View() uint64 { return e.cur }

// Root returns the highest final block the engine knows.
func (e *Engine) Root() Root { return e.root }

// Step handles a message delivered by producer from (the signer index the
// driver authenticated the sending peer as). Refusals are *Error values;
// Reason.Penalized says whether to score the peer down.
func (e *Engine) Step(now time.Time, from int, m Message) error {
	e.now = now
	var err error
	switch {
	case m.Vote != nil && m.Cert == nil:
		err = e.onVote(from, m.Vote)
	case m.Cert != nil && m.Vote == nil:
		err = e.onCert(m.Cert, false)
	default:
		err = refuse(ReasonMalformed, "message with neither or both of vote and certificate")
	}
	e.progress()
	return err
}

// Tick tells the engine the time; call it at or after Ready.Deadline.
func (e *Engine) Tick(now time.Time) {
	e.now = now
	e.onTimer()
	e.progress()
}

// AddBlock hands the engine a block the driver validated and stored.
func (e *Engine) AddBlock(now time.Time, b Block) error {
	e.now = now
	err := e.addBlock(b)
	e.progress()
	return err
}

func (e *Engine) addBlock(b Block) error {
	if _, ok := e.blocks[b.ID]; ok {
		return nil
	}
	if b.View <= e.root.View {
		return refuse(ReasonStale, "block %s of view %d, final view %d", b.ID, b.View, e.root.View)
	}
	if b.View > e.cur+e.cfg.ViewWindow {
		return refuse(ReasonViewTooFar, "block %s of view %d, ours %d", b.ID, b.View, e.cur)
	}
	if b.ID.Height() != b.Parent.Height()+1 {
		return refuse(ReasonMalformed, "block %s on parent %s", b.ID, b.Parent)
	}
	idx, ok := e.set.Index(b.Producer)
	leads := ok && idx == e.set.Leader(b.View)
	if !leads && !e.carried(b) {
		return refuse(ReasonNotLeader, "block %s of view %d by %s", b.ID, b.View, b.Producer)
	}
	v := e.view(b.View)
	if v.blocks >= e.cfg.MaxBlocksPerView {
		return refuse(ReasonTooManyBlocks, "view %d already has %d blocks", b.View, v.blocks)
	}
	v.blocks++
	e.blocks[b.ID] = b
	if leads && (v.proposal == nil || (e.broken.noSafety && b.View == e.cur)) {
		v.proposal = &b
	}
	return nil
}

// Propose hands the engine the block the driver built for the last
// ProposeRequest. The block's vote (our proposal) leaves in the next Ready.
func (e *Engine) Propose(now time.Time, b Block) error {
	e.now = now
	err := e.propose(b)
	e.progress()
	return err
}

func (e *Engine) propose(b Block) error {
	v := e.views[b.View]
	if b.View != e.cur || v == nil || !v.proposeAsked {
		return refuse(ReasonBadProposal, "block %s for view %d: no request (view %d)", b.ID, b.View, e.cur)
	}
	if e.set.Key(e.self) != b.Producer {
		return refuse(ReasonBadProposal, "block %s produced by %s, not us", b.ID, b.Producer)
	}
	if v.notarized || v.nullified {
		return refuse(ReasonBadProposal, "view %d: already voted", b.View)
	}
	if err := e.addBlock(b); err != nil {
		return err
	}
	if v.proposal.ID != b.ID {
		return refuse(ReasonBadProposal, "view %d already has block %s", b.View, v.proposal.ID)
	}
	if !e.parentOK(b) {
		return refuse(ReasonBadProposal, "block %s: parent %s is not the requested one", b.ID, b.Parent)
	}
	e.sign(v, Notarize, b.ID)
	return nil
}

// progress re-evaluates what the inputs may have unblocked: the current
// view's proposal, our own proposal, and the checked invariants.
func (e *Engine) progress() {
	for {
		// Voting can complete a certificate and move us on; then the new
		// view's proposal (it may have arrived early) is due at once.
		cur := e.cur
		v := e.view(cur)
		if v.proposal != nil {
			e.maybeNotarize(v)
		}
		e.maybeAskPropose(e.view(e.cur))
		if e.cur == cur {
			break
		}
	}
	if invariants.Enabled {
		e.checkInvariants()
	}
}

func (e *Engine) checkInvariants() {
	// sign panics before signing against our own record; here the cheap
	// structural invariants, checked after every input.
	if e.cur <= e.root.View {
		panic(fmt.Sprintf("bft: view %d at or below the root's %d", e.cur, e.root.View))
	}
	if _, ok := e.views[e.root.View]; ok && e.root.View > 0 {
		panic(fmt.Sprintf("bft: the root's view %d is still held", e.root.View))
	}
	if _, ok := e.blocks[e.root.ID]; !ok {
		panic(fmt.Sprintf("bft: the root block %s is not held", e.root.ID))
	}
}
