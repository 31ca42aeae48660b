package sim

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
)

// AttestResult is what one attestation run measured; its JSON is what
// `blockwire sim attest --json` prints.
type AttestResult struct {
	Seed   uint64 `json:"seed"`
	Blocks int    `json:"blocks"`
	// AttestedRatio is the share of blocks finalized with a stored proof.
	AttestedRatio float64 `json:"attested_ratio"`
	// AttestP50Ms and AttestP99Ms: from a block becoming irreversible to
	// its finalization (virtual time), over finalized blocks.
	AttestP50Ms float64 `json:"attest_p50_ms"`
	AttestP99Ms float64 `json:"attest_p99_ms"`
	// RequestsPerBlock is requests sent (first asks, replacements, re-asks
	// and re-sends after restarts) per block.
	RequestsPerBlock float64 `json:"requests_per_block"`
	// Replacements counts requests to a new verifier after one missed its
	// deadline; Reasks requests to a verifier that missed before (no
	// replacement left); ResentAfterRestart requests re-sent at once after
	// a restart because they were in flight.
	Replacements       uint64 `json:"replacements"`
	Reasks             uint64 `json:"reasks"`
	ResentAfterRestart uint64 `json:"resent_after_restart"`
	// RepeatRequests counts requests to a verifier already asked for that
	// block and level; UnexplainedRepeats those not explained by a re-ask
	// or a restart re-send (must be 0: nobody is asked twice without
	// cause).
	RepeatRequests     int `json:"repeat_requests"`
	UnexplainedRepeats int `json:"unexplained_repeats"`
	// ExcessRefused counts receipts refused as excess (a late answer after
	// the level completed); Refused counts every refused receipt by reason
	// (duplicates included).
	ExcessRefused uint64            `json:"excess_refused"`
	Refused       map[string]uint64 `json:"refused"`
	// VerifierRefused counts requests verifiers refused, by reason.
	VerifierRefused map[string]int `json:"verifier_refused,omitempty"`
	// UnderAttested counts finalized blocks whose proof has, at some
	// level, fewer valid distinct verifications by qualifying verifiers
	// than required (must be 0); OverAttested more (must be 0).
	UnderAttested int `json:"under_attested"`
	OverAttested  int `json:"over_attested"`
	// Stalled counts blocks stalled at the end; Stalls stall events.
	Stalled int `json:"stalled"`
	Stalls  int `json:"stalls"`
	// EnoughResponsive: every level has at least Required verifiers that
	// eventually answer validly; then attested_ratio must be 1.
	EnoughResponsive bool `json:"enough_responsive"`
	// Crashes counts requester crash-restarts.
	Crashes int `json:"crashes"`
	// Messages sent, MessagesLost on the links; ReceiptsSent by verifiers
	// (re-sends included), ReceiptsDropped after MaxResends.
	Messages        int `json:"messages"`
	MessagesLost    int `json:"messages_lost"`
	ReceiptsSent    int `json:"receipts_sent"`
	ReceiptsDropped int `json:"receipts_dropped"`
	// Penalties counts refusals of correct nodes with a penalized reason
	// (must be 0).
	Penalties int      `json:"penalties"`
	VirtualMs float64  `json:"virtual_ms"`
	Events    uint64   `json:"events"`
	TraceHash string   `json:"trace_hash"`
	Failures  []string `json:"failures,omitempty"`
	Command   string   `json:"command"`
}

// Failed reports whether an invariant failed.
func (r *AttestResult) Failed() bool { return len(r.Failures) > 0 }

type attestMetrics struct {
	finalized       int
	requests        int
	asked           map[askKey]int // requests per (block, level, verifier)
	stats           attest.Stats
	stalls          int
	crashes         int
	messages, lost  int
	receipts        int
	dropped         int
	penalties       int
	penaltyReasons  []string
	verifierRefused map[attest.Reason]int
	responsive      map[int]int // level index -> responsive verifiers
	failures        []string
}

func (m *attestMetrics) init() {
	m.asked = map[askKey]int{}
	m.verifierRefused = map[attest.Reason]int{}
	m.responsive = map[int]int{}
	m.stats.Refused = map[attest.Reason]uint64{}
}

type askKey struct {
	id    block.ID
	level uint8
	to    block.PublicKey
}

func (m *attestMetrics) request(req *attest.Request, to block.PublicKey) {
	m.requests++
	m.asked[askKey{req.Block, req.Level, to}]++
}

func (m *attestMetrics) addStats(s attest.Stats) {
	m.stats.Requests += s.Requests
	m.stats.Replacements += s.Replacements
	m.stats.Reasks += s.Reasks
	m.stats.Resent += s.Resent
	for r, n := range s.Refused {
		m.stats.Refused[r] += n
	}
}

func (m *attestMetrics) penalty(s string) {
	m.penalties++
	if len(m.penaltyReasons) < 5 {
		m.penaltyReasons = append(m.penaltyReasons, s)
	}
}

func (m *attestMetrics) failure(s string) {
	if len(m.failures) < 10 {
		m.failures = append(m.failures, s)
	}
}

func (r *attestRunner) result() (AttestResult, error) {
	m := &r.m
	if r.req.up {
		m.addStats(r.req.s.Status().Stats)
	}
	res := AttestResult{
		Seed: r.cfg.Seed, Blocks: r.cfg.Blocks, Replacements: m.stats.Replacements, Reasks: m.stats.Reasks,
		ResentAfterRestart: m.stats.Resent, ExcessRefused: m.stats.Refused[attest.ReasonExcess],
		Refused: map[string]uint64{}, Stalls: m.stalls, Crashes: m.crashes, Messages: m.messages, MessagesLost: m.lost,
		ReceiptsSent: m.receipts, ReceiptsDropped: m.dropped, Penalties: m.penalties,
		VirtualMs: ms(r.e.now), Events: r.e.events, TraceHash: fmt.Sprintf("%016x", r.e.trace.Sum64()), Command: r.cfg.Command(),
		EnoughResponsive: true,
	}
	for reason, n := range m.stats.Refused {
		res.Refused[string(reason)] = n
	}
	if len(m.verifierRefused) > 0 {
		res.VerifierRefused = map[string]int{}
		for reason, n := range m.verifierRefused {
			res.VerifierRefused[string(reason)] = n
		}
	}
	for i, l := range r.acfg.Levels {
		if m.responsive[i] < l.Required {
			res.EnoughResponsive = false
		}
	}
	res.RequestsPerBlock = round3(float64(m.requests) / float64(r.cfg.Blocks))
	for _, n := range m.asked {
		res.RepeatRequests += n - 1
	}
	res.UnexplainedRepeats = max(0, res.RepeatRequests-int(m.stats.Reasks+m.stats.Resent))
	if r.req.up {
		for _, st := range r.req.s.States() {
			if st.Stalled != "" {
				res.Stalled++
			}
		}
		if err := r.checkProofs(&res); err != nil {
			return res, err
		}
	}
	var lat []time.Duration
	for _, b := range r.blocks {
		if b.finalized != 0 {
			lat = append(lat, b.finalized-b.produced)
		}
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		res.AttestP50Ms = ms(lat[len(lat)/2])
		res.AttestP99Ms = ms(lat[min(len(lat)-1, len(lat)*99/100)])
	}
	res.Failures = r.attestFailures(&res)
	return res, nil
}

// checkProofs reads every proof back from the store and checks it
// independently of attest.Proof.Verify: per level, the distinct verifiers
// that qualify for it and signed exactly (chain, block, level, digest of
// the level below).
func (r *attestRunner) checkProofs(res *AttestResult) error {
	found := 0
	err := r.req.st.Proofs(func(p attest.Proof) error {
		if _, ok := r.byID[p.Block]; !ok {
			r.m.failure(fmt.Sprintf("proof of unknown block %s", p.Block))
			return nil
		}
		found++
		under, over := r.countProof(&p)
		if under {
			res.UnderAttested++
		}
		if over {
			res.OverAttested++
		}
		return nil
	})
	res.AttestedRatio = round3(float64(found) / float64(r.cfg.Blocks))
	return err
}

func (r *attestRunner) countProof(p *attest.Proof) (under, over bool) {
	if len(p.Levels) != len(r.acfg.Levels) {
		return true, false
	}
	lower := attest.Digest(nil)
	for i, lv := range r.acfg.Levels {
		d := p.Levels[i]
		valid := map[block.PublicKey]bool{}
		for _, v := range d.Got {
			vi, ok := r.index[v.Verifier]
			if !ok || r.vers[vi].level != lv.Number || v.Block != p.Block || v.Level != lv.Number {
				continue
			}
			if ed25519.Verify(v.Verifier[:], attest.SignBytes(r.acfg.ChainID, p.Block, lv.Number, lower), v.Sig[:]) {
				valid[v.Verifier] = true
			}
		}
		under = under || len(valid) < lv.Required
		over = over || len(d.Got) > lv.Required
		lower = attest.Digest(d.Got)
	}
	return under, over
}

func (r *attestRunner) attestFailures(res *AttestResult) []string {
	f := append([]string(nil), r.m.failures...)
	if res.UnderAttested > 0 {
		f = append(f, fmt.Sprintf("%d blocks finalized under-attested", res.UnderAttested))
	}
	if res.OverAttested > 0 {
		f = append(f, fmt.Sprintf("%d blocks finalized with more than the required verifications", res.OverAttested))
	}
	if res.UnexplainedRepeats > 0 {
		f = append(f, fmt.Sprintf("%d requests repeated without cause", res.UnexplainedRepeats))
	}
	if res.Penalties > 0 {
		f = append(f, fmt.Sprintf("%d penalties of correct nodes %v", res.Penalties, r.m.penaltyReasons))
	}
	if res.EnoughResponsive && (res.AttestedRatio < 1 || res.Stalled > 0) {
		f = append(f, fmt.Sprintf("enough responsive verifiers, yet attested ratio %.3f with %d stalled", res.AttestedRatio, res.Stalled))
	}
	return f
}

// Summary renders the result for people.
func (r *AttestResult) Summary() string {
	var b strings.Builder
	status := "OK"
	if r.Failed() {
		status = "FAILED: " + strings.Join(r.Failures, "; ")
	}
	fmt.Fprintf(&b, "sim attest seed %d: %s\n", r.Seed, status)
	fmt.Fprintf(&b, "  %d blocks, attested %.3f (enough responsive verifiers: %v), under-attested %d, stalled %d\n",
		r.Blocks, r.AttestedRatio, r.EnoughResponsive, r.UnderAttested, r.Stalled)
	fmt.Fprintf(&b, "  latency p50 %.1f ms, p99 %.1f ms; %.2f requests per block, %d replacements, %d re-asks, %d re-sent after %d restarts\n",
		r.AttestP50Ms, r.AttestP99Ms, r.RequestsPerBlock, r.Replacements, r.Reasks, r.ResentAfterRestart, r.Crashes)
	reasons := make([]string, 0, len(r.Refused))
	for k := range r.Refused {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	var parts []string
	for _, k := range reasons {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.Refused[k]))
	}
	fmt.Fprintf(&b, "  refused receipts: %s; excess %d\n", strings.Join(parts, ", "), r.ExcessRefused)
	fmt.Fprintf(&b, "  %d messages (%d lost), %d receipts sent, %d dropped; penalties %d\n", r.Messages, r.MessagesLost, r.ReceiptsSent, r.ReceiptsDropped, r.Penalties)
	fmt.Fprintf(&b, "  %d events, %.0f ms virtual, trace %s\n  replay: %s\n", r.Events, r.VirtualMs, r.TraceHash, r.Command)
	return b.String()
}
