package sim

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
	"github.com/blockwire/blockwire/consensus/atteststore"
)

// verifierKind is how a simulated verifier behaves.
type verifierKind uint8

const (
	kindHonest verifierKind = iota
	kindUnresponsive
	kindWrongBlock
	kindLate
	kindSlow
	kindDuplicate
)

// verifies reports whether the kind eventually delivers valid
// verifications.
func (k verifierKind) verifies() bool { return k != kindUnresponsive && k != kindWrongBlock }

// attestRunner is one attestation simulation. Node -1 is the requester;
// nodes 0..n-1 are the verifiers. Messages travel encoded (the real wire
// format) with a latency and a loss drawn per message.
type attestRunner struct {
	cfg    AttestConfig
	e      *engine
	epoch  time.Time
	acfg   attest.Config
	dir    *attest.Directory
	req    attestRequester
	vers   []*simVerifier
	index  map[block.PublicKey]int
	blocks []simBlock
	byID   map[block.ID]int
	m      attestMetrics
	settle time.Duration
}

// attestRequester is the node that runs the scheduler, and its disk.
type attestRequester struct {
	key      block.PublicKey
	s        *attest.Scheduler
	fs       *vfs.MemFS
	db       *pebble.DB
	st       *atteststore.Store
	up       bool
	deadline time.Time
	tgen     uint64
}

type simVerifier struct {
	i        int
	key      ed25519.PrivateKey
	pub      block.PublicKey
	level    uint8
	kind     verifierKind
	core     *attest.Verifier
	deadline time.Time
	tgen     uint64
	// release holds a late verifier's receipts for a block until after
	// the request's deadline.
	release map[block.ID]time.Duration
	held    map[block.ID]bool
	wrong   int
}

type simBlock struct {
	id        block.ID
	produced  time.Duration
	finalized time.Duration // 0 until finalized
}

// RunAttest simulates cfg and returns what it measured. The error is
// non-nil for an invalid config, or wraps ErrInvariant when an invariant
// failed (the result says which, and how to replay the run).
func RunAttest(cfg AttestConfig) (AttestResult, error) {
	if err := cfg.Validate(); err != nil {
		return AttestResult{}, err
	}
	r, err := newAttestRunner(cfg)
	if err != nil {
		return AttestResult{}, err
	}
	defer r.close()
	r.schedule()
	until := time.Duration(cfg.Blocks)*cfg.Interval + r.settle
	for r.e.step(until) {
		if r.m.finalized == cfg.Blocks && r.req.up {
			break
		}
	}
	res, err := r.result()
	if err != nil {
		return res, err
	}
	if res.Failed() {
		return res, fmt.Errorf("%w: %v (replay: %s)", ErrInvariant, res.Failures, res.Command)
	}
	return res, nil
}

func newAttestRunner(cfg AttestConfig) (*attestRunner, error) {
	levels, err := attest.ParseLevels(cfg.Levels, cfg.Deadline)
	if err != nil {
		return nil, err
	}
	e := newEngine(cfg.Seed)
	r := &attestRunner{cfg: cfg, e: e, epoch: time.UnixMilli(1_700_000_000_000), index: map[block.PublicKey]int{}, byID: map[block.ID]int{}}
	r.acfg = attest.DefaultConfig(block.Hash{0xa7, byte(cfg.Seed)})
	r.acfg.Levels, r.acfg.MaxRounds = levels, cfg.MaxRounds
	r.acfg.MaxDeadline = max(r.acfg.MaxDeadline, 16*cfg.Deadline)
	r.req.key = r.drawKey().pub()
	r.m.init()
	if err := r.buildVerifiers(levels); err != nil {
		return nil, err
	}
	r.req.fs = vfs.NewCrashableMem()
	if err := r.boot(); err != nil {
		return nil, err
	}
	return r, nil
}

type simKey ed25519.PrivateKey

func (k simKey) pub() (p block.PublicKey) {
	copy(p[:], ed25519.PrivateKey(k).Public().(ed25519.PublicKey))
	return p
}

func (r *attestRunner) drawKey() simKey {
	seed := make([]byte, ed25519.SeedSize)
	for j := range seed {
		seed[j] = byte(r.e.rng.Uint32())
	}
	return simKey(ed25519.NewKeyFromSeed(seed))
}

// buildVerifiers spreads the verifiers over the levels and assigns the
// faulty kinds (see AttestConfig).
func (r *attestRunner) buildVerifiers(levels []attest.Level) error {
	counts := spreadVerifiers(r.cfg.Verifiers, levels)
	r.settle = r.cfg.settleBound(levels, counts, r.acfg.MaxDeadline)
	var members []attest.Member
	byLevel := make([][]*simVerifier, len(levels))
	for li, n := range counts {
		for j := 0; j < n; j++ {
			k := r.drawKey()
			v := &simVerifier{i: len(r.vers), key: ed25519.PrivateKey(k), pub: k.pub(), level: levels[li].Number, release: map[block.ID]time.Duration{}, held: map[block.ID]bool{}}
			vc := attest.DefaultVerifierConfig(r.acfg.ChainID, v.key, v.level, 0, 0)
			if li > 0 {
				vc.LowerLevel, vc.LowerRequired = levels[li-1].Number, levels[li-1].Required
			}
			vc.ResendInterval, vc.MaxResends = r.cfg.Resend, 40
			core, err := attest.NewVerifier(vc)
			if err != nil {
				return err
			}
			v.core = core
			r.index[v.pub] = v.i
			r.vers = append(r.vers, v)
			byLevel[li] = append(byLevel[li], v)
			members = append(members, attest.Member{Key: v.pub, Level: v.level, Operator: fmt.Sprintf("op%d", v.i%r.cfg.Operators)})
		}
	}
	assignKinds(r.cfg, levels, byLevel)
	for li := range levels {
		for _, v := range byLevel[li] {
			if v.kind.verifies() {
				r.m.responsive[li]++
			}
		}
	}
	for _, v := range r.vers {
		r.e.mix(uint64(v.kind))
	}
	d, err := attest.NewDirectory(members)
	r.dir = d
	return err
}

// spreadVerifiers gives each level at least its Required verifiers and the
// rest in proportion to Required (largest remainder, lowest level first).
func spreadVerifiers(n int, levels []attest.Level) []int {
	total := 0
	for _, l := range levels {
		total += l.Required
	}
	counts := make([]int, len(levels))
	used := 0
	for i, l := range levels {
		counts[i] = n * l.Required / total
		used += counts[i]
	}
	for i := 0; used < n; i = (i + 1) % len(levels) {
		counts[i]++
		used++
	}
	return counts
}

// assignKinds makes the configured numbers of verifiers faulty: the kinds
// that never verify go where the most spare verifiers are (so a level
// keeps enough whenever the totals allow), then the others where the most
// responsive spares are (so late answers meet replacements and excess).
func assignKinds(cfg AttestConfig, levels []attest.Level, byLevel [][]*simVerifier) {
	spare := make([]int, len(levels))
	next := make([]int, len(levels))
	for i := range levels {
		spare[i] = len(byLevel[i]) - levels[i].Required
	}
	pick := func(k verifierKind) {
		best := -1
		for i := range levels {
			if next[i] < len(byLevel[i]) && (best < 0 || spare[i] > spare[best]) {
				best = i
			}
		}
		byLevel[best][next[best]].kind = k
		next[best]++
		if !k.verifies() {
			spare[best]--
		}
	}
	for _, kc := range []struct {
		k verifierKind
		n int
	}{{kindUnresponsive, cfg.Unresponsive}, {kindWrongBlock, cfg.WrongBlock}, {kindLate, cfg.Late}, {kindSlow, cfg.Slow}, {kindDuplicate, cfg.Duplicate}} {
		for range kc.n {
			pick(kc.k)
		}
	}
}

func (r *attestRunner) now() time.Time { return r.epoch.Add(r.e.now) }

// schedule queues block production and the requester's crashes.
func (r *attestRunner) schedule() {
	for i := 0; i < r.cfg.Blocks; i++ {
		var id block.ID
		for j := 8; j < 32; j++ {
			id[j] = byte(r.e.rng.Uint32())
		}
		id[7] = byte(i + 1)
		id[6] = byte((i + 1) >> 8)
		r.byID[id] = len(r.blocks)
		r.blocks = append(r.blocks, simBlock{id: id, produced: time.Duration(i+1) * r.cfg.Interval})
		bi := len(r.blocks) - 1
		r.e.at(r.blocks[bi].produced, evProduce, int32(bi), 0, uint64(id[8]), func() { r.produce(bi) })
	}
	span := time.Duration(r.cfg.Blocks) * r.cfg.Interval
	// One crash per slot of the production span, each restarted before the
	// next slot (Validate keeps a slot longer than downtime + interval).
	for k := range r.cfg.Crashes {
		slot := span / time.Duration(r.cfg.Crashes)
		at := time.Duration(k)*slot + r.cfg.Interval/2 + time.Duration(r.e.rng.Int64N(int64(max(1, slot-r.cfg.Downtime-r.cfg.Interval))))
		r.e.at(at, evFault, -1, 0, 1, r.crash)
		r.e.at(at+r.cfg.Downtime, evFault, -1, 0, 2, r.restart)
	}
}

func (r *attestRunner) produce(bi int) {
	if !r.req.up {
		return // added at restart
	}
	if err := r.req.s.Add(r.now(), r.blocks[bi].id); err != nil {
		r.m.failure(fmt.Sprintf("add block %d: %v", bi, err))
	}
	r.flushRequester()
}

// boot opens the requester's store and starts its scheduler from it, then
// adds every produced block that is neither pending nor finalized (the
// driver's duty after a restart: blocks that became irreversible while it
// was down, or whose Add was lost with the crash).
func (r *attestRunner) boot() error {
	cfg := chain.DefaultDBConfig()
	cfg.MemTableSize, cfg.CacheSize, cfg.FS = 1<<20, 1<<20, r.req.fs
	db, err := chain.OpenDB("attest", cfg)
	if err != nil {
		return err
	}
	st := atteststore.New(db)
	states, err := st.Load()
	if err != nil {
		_ = db.Close()
		return err
	}
	s, err := attest.New(r.acfg, r.dir, states, r.now())
	if err != nil {
		_ = db.Close()
		return err
	}
	r.req.db, r.req.st, r.req.s, r.req.up = db, st, s, true
	r.req.deadline = time.Time{}
	r.req.tgen++
	for bi := range r.blocks {
		b := &r.blocks[bi]
		if b.produced > r.e.now || s.Has(b.id) {
			continue
		}
		if _, ok, err := st.Proof(b.id); err != nil || ok {
			continue
		}
		if err := s.Add(r.now(), b.id); err != nil {
			return err
		}
	}
	r.flushRequester()
	return nil
}

func (r *attestRunner) crash() {
	if !r.req.up {
		return
	}
	r.m.addStats(r.req.s.Status().Stats)
	r.m.crashes++
	clone := r.req.fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	_ = r.req.db.Close()
	r.req.fs, r.req.db, r.req.s, r.req.up = clone, nil, nil, false
	r.req.tgen++
}

func (r *attestRunner) restart() {
	if r.req.up {
		return
	}
	if err := r.boot(); err != nil {
		r.m.failure(fmt.Sprintf("restart: %v", err))
	}
}

func (r *attestRunner) close() {
	if r.req.db != nil {
		_ = r.req.db.Close()
	}
}

// flushRequester performs the scheduler's Ready: store first (synced),
// then the messages.
func (r *attestRunner) flushRequester() {
	q := &r.req
	for q.up && q.s.HasReady() {
		rd := q.s.Ready()
		if err := q.st.Apply(&rd); err != nil {
			r.m.failure(fmt.Sprintf("store: %v", err))
			return
		}
		q.s.Advance()
		for _, f := range rd.Finalized {
			r.finalized(f.Proof.Block)
		}
		r.m.stalls += len(rd.Stalled)
		for _, m := range rd.Messages {
			if m.Msg.Request != nil {
				r.m.request(m.Msg.Request, m.To)
			}
			r.send(-1, r.index[m.To], m.Msg)
		}
		if !rd.Deadline.Equal(q.deadline) {
			q.deadline = rd.Deadline
			q.tgen++
			if !rd.Deadline.IsZero() {
				tg := q.tgen
				r.e.at(rd.Deadline.Sub(r.epoch), evTick, -1, 0, 0, func() {
					if q.up && q.tgen == tg {
						q.s.Tick(r.now())
						r.flushRequester()
					}
				})
			}
		}
	}
}

func (r *attestRunner) finalized(id block.ID) {
	bi, ok := r.byID[id]
	if !ok || r.blocks[bi].finalized != 0 {
		return
	}
	r.blocks[bi].finalized = r.e.now
	r.m.finalized++
}

// send carries msg from node a to node b (-1: the requester), encoded,
// after a drawn latency, unless lost.
func (r *attestRunner) send(from, to int, msg attest.Message) {
	r.sendAfter(from, to, msg, 0)
}

func (r *attestRunner) sendAfter(from, to int, msg attest.Message, extra time.Duration) {
	b := msg.AppendBinary(nil)
	r.m.messages++
	if r.cfg.Loss > 0 && r.e.rng.Float64() < r.cfg.Loss {
		r.m.lost++
		return
	}
	span := int64(r.cfg.LatencyMax - r.cfg.LatencyMin)
	delay := r.cfg.LatencyMin + extra
	if span > 0 {
		delay += time.Duration(r.e.rng.Int64N(span + 1))
	}
	r.e.after(delay, evDeliver, int32(from), int32(to), uint64(len(b)), func() { r.deliver(from, to, b) })
}

func (r *attestRunner) deliver(from, to int, b []byte) {
	msg, err := attest.DecodeMessage(b, attest.MaxMessageSize)
	if err != nil {
		r.m.failure(fmt.Sprintf("a correct node's message did not decode: %v", err))
		return
	}
	if to < 0 {
		r.deliverToRequester(from, msg)
		return
	}
	r.deliverToVerifier(r.vers[to], msg)
}

func (r *attestRunner) deliverToRequester(from int, msg attest.Message) {
	if !r.req.up || msg.Receipt == nil {
		return
	}
	v := r.vers[from]
	err := r.req.s.Receipt(r.now(), v.pub, msg.Receipt)
	reason := attest.ReasonOf(err)
	r.e.mix(uint64(len(reason)))
	if reason != "" && reason.Penalized() && v.kind != kindWrongBlock {
		r.m.penalty(fmt.Sprintf("requester penalized %s verifier %d: %v", kindName(v.kind), v.i, err))
	}
	r.flushRequester()
}

func (r *attestRunner) deliverToVerifier(v *simVerifier, msg attest.Message) {
	now := r.now()
	switch {
	case msg.Ack != nil:
		_ = v.core.Ack(now, r.req.key, msg.Ack)
	case msg.Request != nil:
		r.handleRequest(v, msg.Request)
		return
	}
	r.flushVerifier(v)
}

// handleRequest applies v's behaviour to a request.
func (r *attestRunner) handleRequest(v *simVerifier, req *attest.Request) {
	now := r.now()
	remaining := req.Deadline.Sub(now)
	switch v.kind {
	case kindUnresponsive:
		return
	case kindWrongBlock:
		r.wrongReceipt(v, req)
		return
	case kindSlow:
		if remaining > 0 {
			d := remaining/2 + time.Duration(r.e.rng.Int64N(int64(remaining)*2/5+1))
			r.e.after(d, evDeliver, -1, int32(v.i), 1, func() { r.verify(v, req) })
			return
		}
	case kindLate:
		v.release[req.Block] = max(v.release[req.Block], r.e.now+remaining+10*time.Millisecond+time.Duration(r.e.rng.Int64N(int64(time.Second))))
	}
	r.verify(v, req)
}

func (r *attestRunner) verify(v *simVerifier, req *attest.Request) {
	if err := v.core.Request(r.now(), r.req.key, req); err != nil {
		reason := attest.ReasonOf(err)
		if reason.Penalized() {
			r.m.penalty(fmt.Sprintf("verifier %d refused the requester: %v", v.i, err))
		}
		r.m.verifierRefused[reason]++
	}
	r.flushVerifier(v)
}

// wrongReceipt answers with a verification of another block or one whose
// signature does not verify, alternately.
func (r *attestRunner) wrongReceipt(v *simVerifier, req *attest.Request) {
	v.wrong++
	lower := attest.Digest(req.Lower)
	var ver attest.Verification
	if v.wrong%2 == 0 {
		other := req.Block
		other[31] ^= 0xff
		ver = attest.Sign(r.acfg.ChainID, v.key, other, req.Level, lower)
	} else {
		ver = attest.Sign(r.acfg.ChainID, v.key, req.Block, req.Level, lower)
		ver.Sig[0] ^= 1
	}
	r.send(v.i, -1, attest.Message{Receipt: &attest.Receipt{Verification: ver}})
}

// flushVerifier sends v's receipts (held back for a late verifier, twice
// for a duplicating one) and arms its timer.
func (r *attestRunner) flushVerifier(v *simVerifier) {
	for v.core.HasReady() {
		rd := v.core.Ready()
		v.core.Advance()
		r.m.dropped += len(rd.Dropped)
		for _, m := range rd.Messages {
			r.m.receipts++
			var hold time.Duration
			if m.Msg.Receipt != nil {
				if at, ok := v.release[m.Msg.Receipt.Verification.Block]; ok && at > r.e.now {
					hold = at - r.e.now
				}
			}
			if hold > 0 {
				// A late verifier's re-sends before its release would all
				// arrive together at the release: send one.
				id := m.Msg.Receipt.Verification.Block
				if v.held[id] {
					continue
				}
				v.held[id] = true
			}
			r.sendAfter(v.i, -1, m.Msg, hold)
			if v.kind == kindDuplicate {
				r.sendAfter(v.i, -1, m.Msg, hold+20*time.Millisecond)
			}
		}
		if !rd.Deadline.Equal(v.deadline) {
			v.deadline = rd.Deadline
			v.tgen++
			if !rd.Deadline.IsZero() {
				tg := v.tgen
				r.e.at(rd.Deadline.Sub(r.epoch), evTick, int32(v.i), 0, 0, func() {
					if v.tgen == tg {
						v.core.Tick(r.now())
						r.flushVerifier(v)
					}
				})
			}
		}
	}
}

func kindName(k verifierKind) string {
	return [...]string{"honest", "unresponsive", "wrong-block", "late", "slow", "duplicate"}[k]
}
