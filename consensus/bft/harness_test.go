package bft

import (
	"container/heap"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// The proof harness: etcd raft's in-test network made deterministic. One
// seeded event queue on virtual time drives n producers' engines (and the
// byzantine actors of actors_test.go); no goroutines, no sleeps. Every
// message a node sends is recorded, and checkers (checker_test.go) compare
// what correct nodes signed and finalized across nodes.

// scenario is one run's parameters; its String is the replay key.
type scenario struct {
	seed   uint64
	n      int
	delta  time.Duration // one-way latency δ
	jitter time.Duration // extra uniform delay in [0, jitter)
	loss   float64       // message loss before the prefix ends
	byz    map[int]actorKind
	twins  []int   // signer indexes run as two correct engines sharing one key
	crash  float64 // probability a Ready of a correct node crashes it (before the prefix ends)
	parts  []partition
	prefix time.Duration // faults (loss, partitions, crashes) stop here
	post   time.Duration // run this long after the prefix
	joint  bool          // run under a joint set (old = new minus one member, plus one outsider)
	broken brokenMode    // applied to every correct node
	noSkip bool          // SkipAfterViews = 0: silent leaders cost a timeout
	// drop is a message hook: it drops m from instance src to dst while the
	// prefix lasts when it returns true (targeted loss).
	drop func(m Message, src, dst int) bool
}

type partition struct {
	from, to time.Duration
	side     uint64 // bit i: instance i is on side B
}

func (s scenario) String() string {
	return fmt.Sprintf("seed=%d n=%d δ=%v byz=%v twins=%v crash=%.2f loss=%.2f parts=%d joint=%v",
		s.seed, s.n, s.delta, s.byz, s.twins, s.crash, s.loss, len(s.parts), s.joint)
}

var epoch = time.Unix(1_700_000_000, 0).UTC()

// event kinds
const (
	evMsg = iota
	evBlock
	evTick
	evRestart
)

type event struct {
	at   time.Time
	seq  uint64
	kind int
	to   int // instance index
	from int // signer index of the sender
	msg  Message
	blk  Block
}

type queue []*event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// instance is one running participant: a correct engine (maybe a twin) or
// a byzantine actor. Several instances share a signer index only as twins.
type instance struct {
	id      int
	signer  int
	actor   actorKind
	correct bool // counts for the checkers (not byzantine, not a twin)
	eng     *Engine
	store   *memStore
	blocks  map[block.ID]Block // the node's block store (survives crashes)
	down    bool
	timerAt time.Time
	// finality bookkeeping (correct instances)
	final    map[uint64]block.ID // height → final block
	finalTop block.ID
	// proposal is our block waiting for its notarize vote to be sent
	// (blocks go out with the vote, after its record is durable).
	proposal *Block
	// actor state
	maxView uint64
	seen    []Message
}

// net is the harness.
type net struct {
	t     testing.TB
	sc    scenario
	rng   *rand.Rand
	now   time.Time
	q     queue
	seq   uint64
	keys  []ed25519.PrivateKey
	set   *Set
	chain block.Hash
	memo  *memo
	inst  []*instance
	// all blocks ever proposed, and when
	blocks   map[block.ID]Block
	byView   map[uint64][]block.ID
	proposed map[block.ID]time.Time
	genesis  Root
	chk      *checker
	events   int
	// stopAfter ends the run early once every correct node finalized this
	// many blocks after the prefix (0: run to the end).
	stopAfter uint64
	trace     int // instance whose events are logged (-1: none)
}

func newNet(t testing.TB, sc scenario, memo *memo) *net {
	if memo == nil {
		memo = newMemo()
	}
	nt := &net{t: t, sc: sc, rng: rand.New(rand.NewPCG(sc.seed, 0x5eed)), now: epoch,
		trace: -1, blocks: map[block.ID]Block{}, byView: map[uint64][]block.ID{}, proposed: map[block.ID]time.Time{}, memo: memo}
	nt.chain = sha256.Sum256([]byte("bft-harness"))
	var pubs []block.PublicKey
	for i := 0; i < sc.n+1; i++ { // one spare key: the joint set's outsider
		seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("key"), uint64(i)))
		k := ed25519.NewKeyFromSeed(seed[:])
		nt.keys = append(nt.keys, k)
		var p block.PublicKey
		copy(p[:], k.Public().(ed25519.PublicKey))
		pubs = append(pubs, p)
	}
	var err error
	if sc.joint {
		// new = nodes 0..n-1; old = nodes 1..n-1 plus node n (leaving); the
		// leaving node n runs as a correct engine too.
		old := append(slices.Clone(pubs[1:sc.n]), pubs[sc.n])
		nt.set, err = NewJointSet(old, pubs[:sc.n])
	} else {
		nt.set, err = NewSet(pubs[:sc.n])
	}
	if err != nil {
		t.Fatal(err)
	}
	nt.chk = newChecker(nt)
	members := sc.n
	if sc.joint {
		members = sc.n + 1
	}
	for s := 0; s < members; s++ {
		kind := sc.byz[s]
		copies := 1
		if slices.Contains(sc.twins, s) {
			copies, kind = 2, actorTwin
		}
		for range copies {
			in := &instance{id: len(nt.inst), signer: s, actor: kind, correct: kind == actorCorrect,
				store: &memStore{}, blocks: map[block.ID]Block{}, final: map[uint64]block.ID{}}
			nt.inst = append(nt.inst, in)
			nt.start(in)
		}
	}
	return nt
}

func (nt *net) config(signer int) Config {
	d := nt.sc.delta
	cfg := DefaultConfig(nt.chain, nt.set, nt.keys[signer])
	cfg.LeaderTimeout, cfg.AdvanceTimeout, cfg.RetryInterval = 4*d+nt.sc.jitter*2, 6*d+nt.sc.jitter*3, 4*d
	cfg.SkipAfterViews = uint64(2 * nt.sc.n)
	if nt.sc.noSkip {
		cfg.SkipAfterViews = 0
	}
	cfg.Verifier = nt.memo
	cfg.Signer = memoSigner{nt.memo, nt.keys[signer]}
	return cfg
}

// start (re)creates in's engine from its durable records and blocks.
func (nt *net) start(in *instance) {
	if in.actor == actorSilent || in.actor == actorNullifyOnly {
		return
	}
	recs, _ := in.store.Load()
	broken := brokenMode{}
	if in.correct {
		broken = nt.sc.broken
	}
	eng, err := newEngine(nt.config(in.signer), nt.genesis, recs, nt.now, broken)
	if err != nil {
		nt.t.Fatalf("%s: instance %d restart: %v", nt.sc, in.id, err)
	}
	in.eng, in.down, in.timerAt = eng, false, time.Time{}
	bs := make([]Block, 0, len(in.blocks))
	for _, b := range in.blocks {
		bs = append(bs, b)
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].ID.Compare(bs[j].ID) < 0 })
	for _, b := range bs {
		_ = eng.AddBlock(nt.now, b)
	}
	nt.drain(in)
}

func (nt *net) push(e *event) {
	nt.seq++
	e.seq = nt.seq
	heap.Push(&nt.q, e)
}

func (nt *net) faulty() bool { return nt.now.Sub(epoch) < nt.sc.prefix }

// cut reports whether a partition separates instances a and b now (twins
// can sit on different sides).
func (nt *net) cut(a, b int) (bool, time.Time) {
	at := nt.now.Sub(epoch)
	for _, p := range nt.sc.parts {
		if at >= p.from && at < p.to && (p.side>>a)&1 != (p.side>>b)&1 {
			return true, epoch.Add(p.to)
		}
	}
	return false, time.Time{}
}

func (nt *net) delay() time.Duration {
	d := nt.sc.delta
	if nt.sc.jitter > 0 {
		d += time.Duration(nt.rng.Int64N(int64(nt.sc.jitter)))
	}
	return d
}

// send broadcasts m from instance src to every other instance.
func (nt *net) send(src *instance, m Message) {
	if nt.trace >= 0 && src.id == nt.trace && m.Vote != nil {
		nt.t.Logf("%v inst %d sends %s", nt.now.Sub(epoch), src.id, m.Vote)
	}
	nt.chk.sent(src, m)
	for _, dst := range nt.inst {
		if dst == src {
			continue
		}
		nt.sendTo(src, dst, m)
	}
}

func (nt *net) sendTo(src, dst *instance, m Message) {
	if cut, _ := nt.cut(src.id, dst.id); cut {
		return
	}
	if nt.faulty() && nt.sc.loss > 0 && nt.rng.Float64() < nt.sc.loss {
		return
	}
	if nt.faulty() && nt.sc.drop != nil && nt.sc.drop(m, src.id, dst.id) {
		return
	}
	nt.push(&event{at: nt.now.Add(nt.delay()), kind: evMsg, to: dst.id, from: src.signer, msg: m})
}

// sendBlock delivers a block to dst reliably (blocksync), after a
// partition heals if one separates them.
func (nt *net) sendBlock(src, dst *instance, b Block) {
	at := nt.now.Add(nt.delay())
	if cut, heal := nt.cut(src.id, dst.id); cut {
		at = heal.Add(nt.delay())
	}
	nt.push(&event{at: at, kind: evBlock, to: dst.id, blk: b})
}

// makeBlock builds a block for a proposal request, with a real header id.
func (nt *net) makeBlock(signer int, req ProposeRequest, salt int64) Block {
	h := block.Header{Height: req.Parent.Height() + 1, Parent: req.Parent, Term: req.View,
		Producer: nt.set.Key(signer), Timestamp: int64(req.View)<<8 + salt}
	b := Block{ID: h.ID(), Parent: req.Parent, View: req.View, Producer: h.Producer}
	nt.blocks[b.ID] = b
	nt.byView[b.View] = append(nt.byView[b.View], b.ID)
	if _, ok := nt.proposed[b.ID]; !ok {
		nt.proposed[b.ID] = nt.now
	}
	return b
}

// drain performs in's Ready batches until none is left: persist (with crash
// injection between persist and send), send, finality, proposals, timer.
func (nt *net) drain(in *instance) {
	for in.eng != nil && !in.down && in.eng.HasReady() {
		rd := in.eng.Ready()
		if !nt.perform(in, rd) {
			return // crashed
		}
		in.eng.Advance()
		if rd.Propose != nil {
			nt.onPropose(in, *rd.Propose)
		}
		if !rd.Deadline.IsZero() && !rd.Deadline.Equal(in.timerAt) {
			in.timerAt = rd.Deadline
			nt.push(&event{at: rd.Deadline, kind: evTick, to: in.id})
		}
	}
}

// perform runs one Ready; false if the instance crashed doing it.
func (nt *net) perform(in *instance, rd Ready) bool {
	crashAt := -2 // -1: before the sync; k ≥ 0: after k messages
	if in.correct && nt.faulty() && nt.sc.crash > 0 && (len(rd.Persist) > 0 || len(rd.Messages) > 0) &&
		nt.rng.Float64() < nt.sc.crash {
		crashAt = nt.rng.IntN(len(rd.Messages)+2) - 1
	}
	if crashAt == -1 {
		nt.crash(in) // the records were written but not synced: lost
		return false
	}
	_ = in.store.Append(rd.Persist)
	if rd.PruneBelow > 0 {
		_ = in.store.PruneBelow(rd.PruneBelow)
	}
	for i, m := range rd.Messages {
		if i == crashAt {
			nt.crash(in)
			return false
		}
		nt.act(in, m)
	}
	if crashAt == len(rd.Messages) {
		nt.crash(in)
		return false
	}
	for _, c := range rd.Finalized {
		nt.chk.finalized(in, c)
		nt.fetch(in, c)
	}
	for _, c := range rd.Notarized {
		nt.fetch(in, c)
	}
	for _, r := range rd.Reported {
		nt.fetch(in, &Certificate{Block: r.ID})
	}
	return true
}

// fetch models the driver pulling a certified block it lacks through
// blocksync (one round trip): an equivocating leader may have shown this
// node only the other block.
func (nt *net) fetch(in *instance, c *Certificate) {
	if _, have := in.blocks[c.Block]; have {
		return
	}
	if b, ok := nt.blocks[c.Block]; ok {
		in.blocks[b.ID] = b
		nt.push(&event{at: nt.now.Add(2 * nt.delay()), kind: evBlock, to: in.id, blk: b})
	}
}

func (nt *net) crash(in *instance) {
	if nt.trace >= 0 && in.id == nt.trace {
		nt.t.Logf("%v inst %d CRASH (store %v)", nt.now.Sub(epoch), in.id, in.store.recs)
	}
	in.down, in.eng = true, nil
	nt.chk.crashes++
	down := time.Duration(2+nt.rng.IntN(8)) * nt.sc.delta
	nt.push(&event{at: nt.now.Add(down), kind: evRestart, to: in.id})
}

func (nt *net) onPropose(in *instance, req ProposeRequest) {
	if in.eng == nil {
		return
	}
	b := nt.makeBlock(in.signer, req, 0)
	in.blocks[b.ID] = b
	if err := in.eng.Propose(nt.now, b); err != nil {
		// A request performed in the same batch as an input that moved the
		// engine on is answered late; anything else is a bug.
		if ReasonOf(err) != ReasonBadProposal {
			nt.t.Fatalf("%s: instance %d propose %+v: %v", nt.sc, in.id, req, err)
		}
		nt.chk.lateProposals++
		return
	}
	// The block leaves with its notarize vote (act), after the vote's
	// record is durable.
	in.proposal = &b
	if in.splits() {
		nt.equivocate(in, req, b)
	}
}

// run runs the scenario to its end and returns the checker.
func (nt *net) run() *checker {
	end := epoch.Add(nt.sc.prefix + nt.sc.post)
	prefixDone := false
	for nt.q.Len() > 0 {
		e := heap.Pop(&nt.q).(*event)
		if e.at.After(end) {
			break
		}
		nt.now = e.at
		if !prefixDone && !nt.faulty() {
			prefixDone = true
			nt.chk.prefixEnded()
		}
		nt.events++
		nt.handle(e)
		if prefixDone && nt.stopAfter > 0 && nt.chk.progressed && nt.chk.allFinalized(nt.stopAfter) {
			break // every correct node finalized stopAfter blocks since the prefix
		}
		nt.chk.progressed = false
	}
	if !prefixDone {
		nt.chk.prefixEnded()
	}
	return nt.chk
}

func (nt *net) handle(e *event) {
	in := nt.inst[e.to]
	switch e.kind {
	case evRestart:
		if nt.trace == in.id {
			nt.t.Logf("%v inst %d RESTART", nt.now.Sub(epoch), in.id)
		}
		nt.start(in)
		return
	case evBlock:
		in.blocks[e.blk.ID] = e.blk
	}
	if in.down {
		return
	}
	if in.eng == nil { // byzantine actors without an engine
		nt.actorReceive(in, e)
		return
	}
	switch e.kind {
	case evMsg:
		err := in.eng.Step(nt.now, e.from, e.msg)
		nt.chk.refused(in, e.from, e.msg, err)
		nt.actorObserve(in, e.msg)
	case evBlock:
		_ = in.eng.AddBlock(nt.now, e.blk)
	case evTick:
		if !e.at.Equal(in.timerAt) {
			return
		}
		in.eng.Tick(nt.now)
	}
	nt.drain(in)
}

// memStore is the harness's Store: records survive crashes (they were
// synced before the crash point; unsynced ones never reach it).
type memStore struct{ recs []Record }

var _ Store = (*memStore)(nil)

func (s *memStore) Append(recs []Record) error {
	for _, r := range recs { // through the encoding, as a real store would
		got, err := DecodeRecord(r.AppendBinary(nil))
		if err != nil {
			return err
		}
		s.recs = append(s.recs, got)
	}
	return nil
}

// covers reports whether a durable record covers our vote v.
func (s *memStore) covers(v Vote) bool {
	want := map[Kind]RecordKind{Notarize: RecNotarized, Nullify: RecNullified, Finalize: RecFinalized}[v.Kind]
	for _, r := range s.recs {
		if r.Kind == want && r.View == v.View && r.Block == v.Block {
			return true
		}
	}
	return false
}

func (s *memStore) Load() ([]Record, error) { return slices.Clone(s.recs), nil }
func (s *memStore) PruneBelow(view uint64) error {
	s.recs = slices.DeleteFunc(s.recs, func(r Record) bool { return r.View < view })
	return nil
}

// memo caches ed25519, which is a pure function both ways, across the
// simulated nodes and the seeds of a sweep: each distinct (key, message,
// signature) is verified once and each (key, message) signed once. It
// returns exactly what ed25519.Verify and ed25519.Sign return, and is used
// from one goroutine.
type memo struct {
	verified map[string]bool
	signed   map[string]block.Signature
}

func newMemo() *memo { return &memo{verified: map[string]bool{}, signed: map[string]block.Signature{}} }

func (m *memo) Verify(key block.PublicKey, msg []byte, sig block.Signature) bool {
	k := string(key[:]) + string(sig[:]) + string(msg)
	ok, hit := m.verified[k]
	if !hit {
		ok = Ed25519{}.Verify(key, msg, sig)
		m.verified[k] = ok
	}
	return ok
}

type memoSigner struct {
	m   *memo
	key ed25519.PrivateKey
}

func (s memoSigner) Sign(msg []byte) block.Signature {
	k := string(s.key[32:]) + string(msg)
	sig, hit := s.m.signed[k]
	if !hit {
		sig = keySigner{s.key}.Sign(msg)
		s.m.signed[k] = sig
	}
	return sig
}
