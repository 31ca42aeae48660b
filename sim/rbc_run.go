package sim

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"

	"github.com/blockwire/blockwire/transport/rbc"
)

// rbcRunner is one seed of the reliable-broadcast simulator: the engine,
// one transport/rbc core per participant (byzantine ones too: they tamper
// with what their core sends), each participant's durable records, the
// faults and the metrics. Cores exchange encoded messages, so the wire
// format, its checks and its sizes are the real ones.
type rbcRunner struct {
	cfg    RBCConfig
	seed   uint64
	e      *engine
	epoch  time.Time
	keys   []ed25519.PrivateKey
	set    *rbc.Participants
	domain [32]byte
	nodes  []*rbcNode
	byz    []string // behaviour per participant; "" for correct ones
	verify *memoVerifier
	parts  []rbcPartition
	m      rbcMetrics
}

// rbcNode is one participant: its core while up, its records (what a
// synced store holds: they survive crashes), and its timer.
type rbcNode struct {
	i       int
	core    *rbc.Core
	up      bool
	store   []rbc.Record
	crashAt bool // crash at the next flush, after persisting, before sending
	depth   int  // causal depth of the input being handled
	timer   time.Duration
	tgen    uint64
	// delivered is every delivery output over all lifetimes.
	delivered map[rbc.Instance][]rbc.Delivery
	// heard keeps recent messages received (the replay behaviour's stock).
	heard   []rbcHeard
	byzSeq  uint64
	lastOut [][]byte // recent own messages (replayed verbatim)
	signer  *memoSigner
}

type rbcHeard struct {
	from int
	b    []byte
}

type rbcPartition struct {
	from, to time.Duration
	side     uint64 // bit i: participant i's side
}

// payloadPrefix marks a valid payload: the simulated application's rule.
const payloadPrefix = "ok|"

func rbcValidate(_ rbc.Instance, p []byte) error {
	if !strings.HasPrefix(string(p), payloadPrefix) {
		return fmt.Errorf("payload does not start with %q", payloadPrefix)
	}
	return nil
}

// runRBCSeed runs one seed and returns its metrics.
func runRBCSeed(cfg RBCConfig, seed uint64) (*rbcRunner, error) {
	r := &rbcRunner{cfg: cfg, seed: seed, e: newEngine(seed), epoch: time.Unix(1_700_000_000, 0),
		verify: newMemoVerifier(), domain: [32]byte{'s', 'i', 'm'}}
	r.m.init()
	var pubs []ed25519.PublicKey
	for range cfg.Nodes {
		s := make([]byte, ed25519.SeedSize)
		for j := range s {
			s[j] = byte(r.e.rng.Uint32())
		}
		k := ed25519.NewKeyFromSeed(s)
		r.keys, pubs = append(r.keys, k), append(pubs, k.Public().(ed25519.PublicKey))
	}
	set, err := rbc.NewParticipants(pubs)
	if err != nil {
		return nil, err
	}
	r.set = set
	r.byz = make([]string, cfg.Nodes)
	for _, i := range r.e.rng.Perm(cfg.Nodes)[:cfg.Byzantine] {
		r.byz[i] = cfg.Behaviours[r.e.rng.IntN(len(cfg.Behaviours))]
	}
	for i := range cfg.Nodes {
		r.nodes = append(r.nodes, &rbcNode{i: i, delivered: map[rbc.Instance][]rbc.Delivery{}, byzSeq: 1,
			signer: &memoSigner{key: rbc.KeySigner{Key: r.keys[i]}, seen: map[string]rbc.Sig{}}})
		if err := r.boot(i); err != nil {
			return nil, err
		}
	}
	r.schedule()
	for r.e.step(cfg.Duration) {
	}
	r.e.now = cfg.Duration
	r.check()
	return r, nil
}

func (r *rbcRunner) now() time.Time { return r.epoch.Add(r.e.now) }

func (r *rbcRunner) coreConfig(i int) rbc.Config {
	c := rbc.DefaultConfig(r.domain, r.set, r.keys[i])
	c.ValidatePayload = rbcValidate
	c.Verifier = r.verify
	c.Signer = r.nodes[i].signer
	c.MaxPayload = 4 << 10
	c.MaxOpenPerPeer = 32
	// Retransmission: first after ~10 round trips, capped at 1.6 s, 12
	// rounds: about 15 s, beyond every fault window this simulator draws.
	c.RetransmitBase, c.RetransmitMax, c.RetransmitLimit = 20*r.cfg.Latency, 1600*time.Millisecond, 12
	c.Horizon = 2 * r.cfg.Duration // nothing is collected during a run
	return c
}

// boot starts (or restarts) participant i from its records.
func (r *rbcRunner) boot(i int) error {
	n := r.nodes[i]
	c, err := rbc.New(r.coreConfig(i), n.store, r.now())
	if err != nil {
		return fmt.Errorf("sim: rbc participant %d restart: %w", i, err)
	}
	n.core, n.up, n.crashAt = c, true, false
	r.flush(i)
	return nil
}

// schedule queues every broadcast, partition and crash of the seed.
func (r *rbcRunner) schedule() {
	w := r.cfg.FaultWindow
	for i := range r.nodes {
		for k := range r.cfg.Instances {
			at := w + r.cfg.Latency + time.Duration(r.e.rng.Int64N(int64(time.Second)))
			if k%2 == 1 {
				at = time.Duration(r.e.rng.Int64N(int64(w)))
			}
			good := k%2 == 0
			r.e.at(at, evProduce, int32(i), int32(k), 0, func() { r.originate(i, k, good) })
		}
	}
	for range r.cfg.Partitions {
		from := time.Duration(r.e.rng.Int64N(int64(w)))
		to := min(w, from+time.Duration(r.e.rng.Int64N(int64(w/3)+1)))
		r.parts = append(r.parts, rbcPartition{from: from, to: to, side: r.e.rng.Uint64()})
	}
	var correct []int
	for i, b := range r.byz {
		if b == "" {
			correct = append(correct, i)
		}
	}
	for range r.cfg.Crashes {
		i := correct[r.e.rng.IntN(len(correct))]
		at := time.Duration(r.e.rng.Int64N(int64(2 * w / 3)))
		back := at + r.cfg.Latency + time.Duration(r.e.rng.Int64N(int64(w/3)))
		r.e.at(at, evFault, int32(i), 0, 0, func() { r.crashSoon(i) })
		r.e.at(back, evFault, int32(i), 1, 0, func() { r.restart(i) })
	}
}

// originate makes participant i start its k-th instance.
func (r *rbcRunner) originate(i, k int, good bool) {
	n := r.nodes[i]
	switch r.byz[i] {
	case "":
		if !n.up {
			return // a crashed origin starts nothing
		}
		p := fmt.Appendf(nil, "%s%d|%d|%d", payloadPrefix, r.seed, i, k)
		n.depth = 0
		inst, err := n.core.Broadcast(p, r.now())
		if err != nil {
			r.m.fail("correct participant %d could not broadcast: %v", i, err)
			return
		}
		r.m.started(inst, p, good)
		r.flush(i)
	case RBCEquivocate:
		r.equivocate(i, k)
	case RBCFlood:
		r.flood(i, k)
	}
}

// flush performs participant i's Ready: records first (the simulated
// store is synced), then, unless a crash was due at this boundary, its
// messages and deliveries, then its timer.
func (r *rbcRunner) flush(i int) {
	n := r.nodes[i]
	if !n.up || !n.core.HasReady() {
		return
	}
	rd := n.core.Ready()
	n.store = append(n.store, rd.Persist...)
	if len(rd.Forget) > 0 {
		r.m.fail("participant %d collected instances during the run", i)
	}
	if n.crashAt {
		r.crash(i) // persisted, nothing sent
		return
	}
	for _, o := range rd.Messages {
		if r.byz[i] == "" {
			r.m.signedBy(i, o.Msg)
		}
		r.emit(i, o)
	}
	for _, d := range rd.Delivered {
		if d.Replayed && len(n.delivered[d.Inst]) > 0 {
			continue // handed out before the crash: subscribers key on the instance
		}
		n.delivered[d.Inst] = append(n.delivered[d.Inst], d)
		if r.byz[i] == "" && !d.Replayed {
			r.m.delivery(d.Inst, n.depth)
		}
	}
	n.core.Advance()
	r.arm(i, rd.Deadline)
}

// arm sets participant i's one timer to deadline.
func (r *rbcRunner) arm(i int, deadline time.Time) {
	n := r.nodes[i]
	if deadline.IsZero() {
		n.tgen++
		return
	}
	at := deadline.Sub(r.epoch)
	if at == n.timer && n.tgen > 0 {
		return
	}
	n.tgen++
	n.timer = at
	gen := n.tgen
	r.e.at(at, evTick, int32(i), 0, gen, func() {
		if n.up && n.tgen == gen {
			n.depth++
			n.core.Tick(r.now())
			r.flush(i)
		}
	})
}

// send queues b from participant from to participant to, with loss and
// partitions inside the fault window.
func (r *rbcRunner) send(from, to int, b []byte, depth int) {
	r.m.messages++
	r.m.bytes += len(b)
	now := r.e.now
	if now < r.cfg.FaultWindow {
		if r.cfg.Loss > 0 && r.e.rng.Float64() < r.cfg.Loss {
			return
		}
		for _, p := range r.parts {
			if now >= p.from && now < p.to && (p.side>>from)&1 != (p.side>>to)&1 {
				return
			}
		}
	}
	lat := r.cfg.Latency
	if r.cfg.Jitter > 0 {
		lat += time.Duration(r.e.rng.Int64N(int64(r.cfg.Jitter) + 1))
	}
	r.e.after(lat, evDeliver, int32(from), int32(to), uint64(len(b)), func() { r.deliver(from, to, b, depth) })
}

func (r *rbcRunner) deliver(from, to int, b []byte, depth int) {
	n := r.nodes[to]
	if !n.up {
		return
	}
	if r.byz[to] == RBCReplay && len(n.heard) < 64 {
		n.heard = append(n.heard, rbcHeard{from: from, b: b})
	}
	n.depth = depth
	err := n.core.Receive(from, b, r.now())
	if err != nil && r.byz[to] == "" {
		reason := rbc.ReasonOf(err)
		r.m.refused[string(reason)]++
		if reason.Penalized() && r.byz[from] == "" {
			r.m.penalty(from, to, err)
		}
	}
	r.e.mix(uint64(len(rbc.ReasonOf(err))))
	r.flush(to)
}

// crashSoon makes participant i crash at its next persist/send boundary
// (a Ready persisted, its messages not sent), or after δ if none comes.
func (r *rbcRunner) crashSoon(i int) {
	n := r.nodes[i]
	if !n.up {
		return
	}
	n.crashAt = true
	r.e.after(r.cfg.Latency, evFault, int32(i), 2, 0, func() {
		if n.up && n.crashAt {
			r.crash(i)
		}
	})
}

func (r *rbcRunner) crash(i int) {
	n := r.nodes[i]
	n.up, n.core, n.crashAt = false, nil, false
	n.tgen++
	r.m.crashes++
}

func (r *rbcRunner) restart(i int) {
	if r.nodes[i].up {
		return
	}
	if err := r.boot(i); err != nil {
		r.m.fail("%v", err)
	}
}

// memoVerifier caches ed25519 verdicts: one seed verifies each distinct
// signature once, not once per receiver and retransmission. Verdicts are
// pure, so the cache changes nothing but time.
type memoVerifier struct{ seen map[string]bool }

func newMemoVerifier() *memoVerifier { return &memoVerifier{seen: map[string]bool{}} }

func (v *memoVerifier) Verify(pub ed25519.PublicKey, msg []byte, sig rbc.Sig) bool {
	k := string(pub) + string(sig[:]) + string(msg)
	ok, hit := v.seen[k]
	if !hit {
		ok = ed25519.Verify(pub, msg, sig[:])
		v.seen[k] = ok
	}
	return ok
}

// memoSigner caches a participant's signatures across its restarts
// (ed25519 is deterministic, so the cache changes nothing but time).
type memoSigner struct {
	key  rbc.KeySigner
	seen map[string]rbc.Sig
}

func (s *memoSigner) Sign(msg []byte) rbc.Sig {
	sig, ok := s.seen[string(msg)]
	if !ok {
		sig = s.key.Sign(msg)
		s.seen[string(msg)] = sig
	}
	return sig
}

func (r *rbcRunner) traceHash() uint64 { return r.e.trace.Sum64() }
