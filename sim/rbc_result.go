package sim

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"

	"github.com/blockwire/blockwire/transport/rbc"
)

// rbcMetrics is what one seed observed.
type rbcMetrics struct {
	messages, bytes int
	crashes         int
	// instances: every instance started (correct or byzantine origin).
	instances map[rbc.Instance]bool
	// payload: a correct origin's payload; good: broadcast after the
	// fault window (the good-case rounds are measured on these).
	payload map[rbc.Instance][]byte
	good    map[rbc.Instance]bool
	// rounds: causal depth at each correct delivery (good case / all).
	roundsGood, roundsAll []int
	signed                map[signKey]rbc.Digest
	doubleSigns           int
	correctPenalties      int
	refused               map[string]int
	agreement, totality   int
	validity              int
	failures              []string
}

func (m *rbcMetrics) init() {
	m.instances, m.payload, m.good = map[rbc.Instance]bool{}, map[rbc.Instance][]byte{}, map[rbc.Instance]bool{}
	m.signed, m.refused = map[signKey]rbc.Digest{}, map[string]int{}
}

func (m *rbcMetrics) fail(format string, args ...any) {
	if len(m.failures) < 8 {
		m.failures = append(m.failures, fmt.Sprintf(format, args...))
	}
}

func (m *rbcMetrics) started(inst rbc.Instance, p []byte, good bool) {
	m.instances[inst] = true
	m.payload[inst] = p
	m.good[inst] = good
}

func (m *rbcMetrics) delivery(inst rbc.Instance, depth int) {
	m.roundsAll = append(m.roundsAll, depth)
	if m.good[inst] {
		m.roundsGood = append(m.roundsGood, depth)
	}
}

type signKey struct {
	node int
	kind rbc.Kind
	inst rbc.Instance
}

// signedBy records what correct participant i signs, across its
// restarts: one digest per instance and kind.
func (m *rbcMetrics) signedBy(i int, msg rbc.Message) {
	if msg.Kind == rbc.KindCert {
		return
	}
	k := signKey{i, msg.Kind, msg.Inst}
	if prev, ok := m.signed[k]; ok && prev != msg.Digest {
		m.doubleSigns++
		m.fail("participant %d signed two digests: %s in %s: %s and %s", i, msg.Kind, msg.Inst, prev, msg.Digest)
	}
	m.signed[k] = msg.Digest
}

func (m *rbcMetrics) penalty(from, to int, err error) {
	m.correctPenalties++
	m.fail("correct participant %d penalized by %d: %v", from, to, err)
}

// check runs the invariants across the correct participants once the
// network has healed: agreement (one payload per instance), totality (all
// or none deliver), validity (a correct origin's payload is delivered by
// all, only valid payloads are delivered, each once).
func (r *rbcRunner) check() {
	m := &r.m
	for _, n := range r.nodes {
		if r.byz[n.i] == "" && !n.up {
			m.fail("participant %d is down at the end", n.i)
		}
		if r.byz[n.i] == "" {
			for inst := range n.delivered {
				m.instances[inst] = true
			}
		}
	}
	insts := make([]rbc.Instance, 0, len(m.instances))
	for inst := range m.instances {
		insts = append(insts, inst)
	}
	slices.SortFunc(insts, func(a, b rbc.Instance) int {
		if a.Origin != b.Origin {
			return int(a.Origin) - int(b.Origin)
		}
		return int(a.Seq) - int(b.Seq)
	})
	for _, inst := range insts {
		r.checkInstance(inst)
	}
}

func (r *rbcRunner) checkInstance(inst rbc.Instance) {
	m := &r.m
	var got []string
	missing := 0
	for _, n := range r.nodes {
		if r.byz[n.i] != "" {
			continue
		}
		ds := n.delivered[inst]
		if len(ds) == 0 {
			missing++
			continue
		}
		got = append(got, string(ds[0].Payload))
		if len(ds) > 1 {
			m.validity++
			m.fail("participant %d delivered %s %d times", n.i, inst, len(ds))
		}
		if rbcValidate(inst, ds[0].Payload) != nil {
			m.validity++
			m.fail("participant %d delivered an invalid payload in %s", n.i, inst)
		}
		if err := ds[0].Cert.Verify(r.domain, r.set, r.verify); err != nil || ds[0].Cert.Digest != rbc.DigestOf(ds[0].Payload) {
			m.validity++
			m.fail("participant %d delivered %s with a bad certificate: %v", n.i, inst, err)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(got)))) > 1 {
		m.agreement++
		m.fail("instance %s: correct participants delivered different payloads", inst)
	}
	if len(got) > 0 && missing > 0 {
		m.totality++
		m.fail("instance %s: %d correct participants delivered, %d did not", inst, len(got), missing)
	}
	if p, ok := m.payload[inst]; ok && (missing > 0 || len(got) > 0 && got[0] != string(p)) {
		m.validity++
		m.fail("instance %s of a correct origin: %d correct participants did not deliver its payload", inst, missing)
	}
}

// RBCResult is what `blockwire sim rbc --json` prints: the sum over seeds.
type RBCResult struct {
	Seeds      int      `json:"seeds"`
	Nodes      int      `json:"nodes"`
	Byzantine  int      `json:"byzantine"`
	Behaviours []string `json:"behaviours"`
	// Instances counts instances started (by correct and byzantine
	// origins) and Deliveries deliveries at correct participants.
	Instances  int `json:"instances"`
	Deliveries int `json:"deliveries"`
	// AgreementViolations: instances where two correct participants
	// delivered different payloads. TotalityViolations: instances some
	// correct participants delivered and others did not, at the end (the
	// network healed). ValidityViolations: a correct origin's instance not
	// delivered with its payload by every correct participant, an invalid
	// payload or certificate delivered, or a delivery repeated. All 0.
	AgreementViolations int `json:"agreement_violations"`
	TotalityViolations  int `json:"totality_violations"`
	ValidityViolations  int `json:"validity_violations"`
	// DoubleSigns: a correct participant signed two digests for one
	// instance and kind (across crash-restarts). CorrectPenalties: a
	// correct participant's message refused with a penalized reason. Both 0.
	DoubleSigns      int `json:"double_signs"`
	CorrectPenalties int `json:"correct_penalties"`
	// DeliverRoundsP50 is the median causal depth (message delays since
	// the broadcast) of correct deliveries of correct origins' instances
	// started after the fault window: the good case, 3. The _all figure
	// covers every correct delivery, the max the good case's worst.
	DeliverRoundsP50    float64 `json:"deliver_rounds_p50"`
	DeliverRoundsMax    int     `json:"deliver_rounds_max_good"`
	DeliverRoundsP50All float64 `json:"deliver_rounds_p50_all"`
	// MessagesPerInstance and BytesPerInstance count everything sent
	// (retransmissions and byzantine traffic included) per instance.
	MessagesPerInstance float64 `json:"messages_per_instance"`
	BytesPerInstance    float64 `json:"bytes_per_instance"`
	// Refused counts correct participants' refusals by reason: the
	// defences the byzantine behaviours exercised.
	Refused   map[string]int `json:"refused"`
	Crashes   int            `json:"crashes"`
	Events    uint64         `json:"events"`
	TraceHash string         `json:"trace_hash"`
	Failures  []string       `json:"failures,omitempty"`
	Command   string         `json:"command"`
}

// Failed reports whether an invariant failed.
func (r *RBCResult) Failed() bool { return len(r.Failures) > 0 }

// RunRBC simulates cfg's seeds and sums what they measured. The error is
// non-nil for an invalid config, or wraps ErrInvariant when an invariant
// failed (Failures says where; each names the seed's replay command).
func RunRBC(cfg RBCConfig) (RBCResult, error) {
	if err := cfg.Validate(); err != nil {
		return RBCResult{}, err
	}
	res := RBCResult{Seeds: cfg.Seeds, Nodes: cfg.Nodes, Byzantine: cfg.Byzantine, Behaviours: cfg.Behaviours,
		Refused: map[string]int{}, Command: cfg.Command()}
	trace := fnv.New64a()
	var good, all []int
	for s := cfg.Seed; s < cfg.Seed+uint64(cfg.Seeds); s++ {
		r, err := runRBCSeed(cfg, s)
		if err != nil {
			return res, err
		}
		m := &r.m
		res.Instances += len(m.instances)
		res.Deliveries += len(m.roundsAll)
		res.AgreementViolations += m.agreement
		res.TotalityViolations += m.totality
		res.ValidityViolations += m.validity
		res.DoubleSigns += m.doubleSigns
		res.CorrectPenalties += m.correctPenalties
		res.Crashes += m.crashes
		res.Events += r.e.events
		res.MessagesPerInstance += float64(m.messages)
		res.BytesPerInstance += float64(m.bytes)
		for k, v := range m.refused {
			res.Refused[k] += v
		}
		good, all = append(good, m.roundsGood...), append(all, m.roundsAll...)
		trace.Write(binary.LittleEndian.AppendUint64(nil, r.traceHash()))
		if len(m.failures) > 0 {
			one := cfg
			one.Seed, one.Seeds = s, 1
			res.Failures = append(res.Failures, fmt.Sprintf("seed %d: %s (replay: %s)", s, strings.Join(m.failures, "; "), one.Command()))
		}
	}
	if res.Instances > 0 {
		res.MessagesPerInstance = round3(res.MessagesPerInstance / float64(res.Instances))
		res.BytesPerInstance = round3(res.BytesPerInstance / float64(res.Instances))
	}
	res.DeliverRoundsP50, res.DeliverRoundsP50All = medianInt(good), medianInt(all)
	for _, g := range good {
		res.DeliverRoundsMax = max(res.DeliverRoundsMax, g)
	}
	res.TraceHash = fmt.Sprintf("%016x", trace.Sum64())
	if res.Failed() {
		return res, fmt.Errorf("%w: %s", ErrInvariant, res.Failures[0])
	}
	return res, nil
}

func medianInt(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Ints(s)
	if len(s)%2 == 1 {
		return float64(s[len(s)/2])
	}
	return float64(s[len(s)/2-1]+s[len(s)/2]) / 2
}

// Summary is a human-readable report.
func (r *RBCResult) Summary() string {
	status := "OK"
	if r.Failed() {
		status = "FAILED"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: rbc, %d seeds of n=%d with %d byzantine (%s): %d instances, %d deliveries\n",
		status, r.Seeds, r.Nodes, r.Byzantine, strings.Join(r.Behaviours, ","), r.Instances, r.Deliveries)
	fmt.Fprintf(&b, "violations: agreement %d, totality %d, validity %d, double signs %d, correct penalized %d\n",
		r.AgreementViolations, r.TotalityViolations, r.ValidityViolations, r.DoubleSigns, r.CorrectPenalties)
	fmt.Fprintf(&b, "deliver rounds p50 %.1f (good case; max %d), %.1f (all); %.1f messages and %.0f bytes per instance; %d crashes\n",
		r.DeliverRoundsP50, r.DeliverRoundsMax, r.DeliverRoundsP50All, r.MessagesPerInstance, r.BytesPerInstance, r.Crashes)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	fmt.Fprintf(&b, "trace %s\n", r.TraceHash)
	return b.String()
}
