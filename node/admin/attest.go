package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
	"github.com/blockwire/blockwire/consensus/attestrun"
)

// AttestBackend is the optional part of a Backend that attests (*node.Node
// is one): GET /attest, GET /attest/{block}, POST /attest/{block}/retry
// and the attestation metrics.
type AttestBackend interface {
	// Attestation is the runner; nil when attestation is off.
	Attestation() *attestrun.Runner
}

func (s *Server) attestRunner(w http.ResponseWriter) *attestrun.Runner {
	ab, ok := s.b.(AttestBackend)
	if !ok || ab.Attestation() == nil {
		writeError(w, http.StatusNotFound, "attest-off", "attestation is off on this node (attest.require and attest.verifier)")
		return nil
	}
	return ab.Attestation()
}

// AttestStatusJSON is GET /attest.
type AttestStatusJSON struct {
	Requester bool   `json:"requester"`
	Level     uint8  `json:"level,omitempty"`
	Levels    string `json:"levels"`
	Cursor    uint64 `json:"cursor"`
	Pending   int    `json:"pending"`
	// OldestPendingAgeMs is how long the oldest pending block has waited
	// (0: none pending).
	OldestPendingAgeMs float64 `json:"oldest_pending_age_ms"`
	// StalledCount and Stalled: blocks that stopped being scheduled, with
	// the reason (POST /attest/{block}/retry resumes one).
	StalledCount int                 `json:"stalled_count"`
	Stalled      []AttestStallJSON   `json:"stalled"`
	PerLevel     map[string]int      `json:"per_level"`
	Finalized    uint64              `json:"finalized"`
	Requests     uint64              `json:"requests"`
	Replacements uint64              `json:"replacements"`
	Reasks       uint64              `json:"reasks"`
	Resent       uint64              `json:"resent"`
	Unreachable  uint64              `json:"unreachable"`
	Refused      map[string]uint64   `json:"refused"`
	Drops        map[string]uint64   `json:"drops"`
	Sent         uint64              `json:"messages_sent"`
	Received     uint64              `json:"messages_received"`
	LatencyP50   float64             `json:"latency_p50_ms"`
	LatencyP99   float64             `json:"latency_p99_ms"`
	LatencyMax   float64             `json:"latency_max_ms"`
	Sample       int                 `json:"latency_sample"`
	Verifier     *AttestVerifierJSON `json:"verifier,omitempty"`
	Directory    []AttestMemberJSON  `json:"directory"`
}

// AttestStallJSON is a stalled block.
type AttestStallJSON struct {
	Block  block.ID `json:"block"`
	Level  uint8    `json:"level"`
	Reason string   `json:"reason"`
}

// AttestVerifierJSON is the verifier side's counters.
type AttestVerifierJSON struct {
	Signed   uint64            `json:"signed"`
	Resent   uint64            `json:"resent"`
	Acked    uint64            `json:"acked"`
	Dropped  uint64            `json:"dropped"`
	Held     int               `json:"held"`
	Parked   int               `json:"parked"`
	Refused  map[string]uint64 `json:"refused"`
	Verdicts map[string]uint64 `json:"verdicts"`
}

// AttestMemberJSON is a verifier of the directory.
type AttestMemberJSON struct {
	Key      string            `json:"key"`
	Level    uint8             `json:"level"`
	Operator string            `json:"operator,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
}

func reasons(m map[attest.Reason]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func attestStatusJSON(st attestrun.Status) AttestStatusJSON {
	sc := st.Scheduler.Stats
	out := AttestStatusJSON{Requester: st.Requester, Level: st.Level, Levels: st.Levels, Cursor: st.Cursor,
		Pending: st.Scheduler.Pending, StalledCount: st.Scheduler.Stalled, Stalled: []AttestStallJSON{}, PerLevel: map[string]int{},
		Finalized: st.Stats.Finalized, Requests: sc.Requests, Replacements: sc.Replacements, Reasks: sc.Reasks,
		Resent: sc.Resent, Unreachable: sc.Unreachable, Refused: reasons(st.Stats.Refused), Drops: st.Stats.Drops,
		Sent: st.Stats.Sent, Received: st.Stats.Received, LatencyP50: ms(st.LatencyP50), LatencyP99: ms(st.LatencyP99),
		LatencyMax: ms(st.LatencyMax), Sample: st.LatencySample, Directory: []AttestMemberJSON{}}
	for lv, n := range st.Scheduler.PerLevel {
		out.PerLevel[fmt.Sprintf("L%d", lv)] = n
	}
	if !st.OldestPending.IsZero() {
		out.OldestPendingAgeMs = ms(time.Since(st.OldestPending))
	}
	for _, s := range st.Stalled {
		out.Stalled = append(out.Stalled, AttestStallJSON{Block: s.Block, Level: s.Level, Reason: s.Reason})
	}
	if st.Level != 0 {
		v := st.Verifier
		out.Verifier = &AttestVerifierJSON{Signed: v.Signed, Resent: v.Resent, Acked: v.Acked, Dropped: v.Dropped,
			Held: st.Held, Parked: st.Parked, Refused: reasons(v.Refused), Verdicts: reasons(v.Verdicts)}
	}
	for _, m := range st.Directory {
		out.Directory = append(out.Directory, AttestMemberJSON{Key: fmt.Sprintf("%x", m.Key[:]), Level: m.Level, Operator: m.Operator, Labels: m.Labels})
	}
	return out
}

func (s *Server) attestStatus(w http.ResponseWriter, _ *http.Request) {
	if r := s.attestRunner(w); r != nil {
		writeJSON(w, http.StatusOK, attestStatusJSON(r.Status()))
	}
}

// AttestationJSON is GET /attest/{block}: the proof once the block is
// attested, else its pending state.
type AttestationJSON struct {
	Block     block.ID          `json:"block"`
	Status    string            `json:"status"` // attested, pending, stalled, unknown
	Level     uint8             `json:"level,omitempty"`
	Stalled   string            `json:"stalled,omitempty"`
	Added     *time.Time        `json:"added,omitempty"`
	Finalized *time.Time        `json:"finalized,omitempty"`
	LatencyMs float64           `json:"latency_ms,omitempty"`
	Levels    []AttestLevelJSON `json:"levels"`
}

// AttestLevelJSON is one level's verifications (done) or asks (pending).
type AttestLevelJSON struct {
	Level         uint8    `json:"level"`
	Verifications []string `json:"verifications"` // verifier keys, hex
	Asked         []string `json:"asked"`
}

func keysHex(ks []block.PublicKey) []string {
	out := make([]string, 0, len(ks))
	for _, k := range ks {
		out = append(out, fmt.Sprintf("%x", k[:]))
	}
	return out
}

func verifiers(vs []attest.Verification) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%x", v.Verifier[:]))
	}
	return out
}

func attestationJSON(id block.ID, a attestrun.Attestation) AttestationJSON {
	out := AttestationJSON{Block: id, Status: "unknown", Levels: []AttestLevelJSON{}}
	done := func(ds []attest.DoneLevel) {
		for _, d := range ds {
			out.Levels = append(out.Levels, AttestLevelJSON{Level: d.Number, Verifications: verifiers(d.Got), Asked: keysHex(d.Asked)})
		}
	}
	switch {
	case a.Proof != nil:
		p := a.Proof
		out.Status, out.Added, out.Finalized = "attested", &p.Added, &p.Finalized
		out.LatencyMs = ms(p.Finalized.Sub(p.Added))
		done(p.Levels)
	case a.State != nil:
		st := a.State
		out.Status, out.Level, out.Stalled, out.Added = "pending", st.Level, st.Stalled, &st.Added
		if st.Stalled != "" {
			out.Status = "stalled"
		}
		done(st.Done)
		var asked []block.PublicKey
		for _, k := range st.Asked {
			asked = append(asked, k.Verifier)
		}
		out.Levels = append(out.Levels, AttestLevelJSON{Level: st.Level, Verifications: verifiers(st.Got), Asked: keysHex(asked)})
	}
	return out
}

// attestBlockID resolves {block}: a height on the best chain or an id.
func (s *Server) attestBlockID(w http.ResponseWriter, r *http.Request) (block.ID, bool) {
	ref := r.PathValue("block")
	if h, err := strconv.ParseUint(ref, 10, 64); err == nil {
		b, err := s.b.BlockAt(r.Context(), h)
		if err != nil {
			writeNodeError(w, err)
			return block.ID{}, false
		}
		return b.ID(), true
	}
	id, err := block.ParseID(ref)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-block-ref", fmt.Sprintf("%q is neither a height nor a 64-hex-digit block id", ref))
		return block.ID{}, false
	}
	return id, true
}

// attestation serves GET /attest/{block}[?wait=10s]: with wait, it waits
// up to that long (and WaitTimeout) for the block to be attested.
func (s *Server) attestation(w http.ResponseWriter, r *http.Request) {
	run := s.attestRunner(w)
	if run == nil {
		return
	}
	id, ok := s.attestBlockID(w, r)
	if !ok {
		return
	}
	if q := r.URL.Query().Get("wait"); q != "" {
		d, err := time.ParseDuration(q)
		if err != nil || d < 0 {
			writeError(w, http.StatusBadRequest, "bad-wait", fmt.Sprintf("wait=%q: want a duration such as 10s", q))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), min(d, s.cfg.WaitTimeout))
		_, _ = run.Wait(ctx, id) // the state below says how far it got
		cancel()
	}
	a, err := run.Attestation(id)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, attestrun.ErrNotRequester) {
			status = http.StatusConflict
		}
		writeError(w, status, "attest", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, attestationJSON(id, a))
}

// attestRetry serves POST /attest/{block}/retry: resume a stalled block.
func (s *Server) attestRetry(w http.ResponseWriter, r *http.Request) {
	run := s.attestRunner(w)
	if run == nil {
		return
	}
	id, ok := s.attestBlockID(w, r)
	if !ok {
		return
	}
	if err := run.Retry(id); err != nil {
		writeError(w, http.StatusConflict, "attest-retry", err.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"block": id.String(), "status": "retrying"})
}

var (
	descAttestPending  = desc("blockwire_attest_pending", "Blocks being attested, by level and state.", "level", "state")
	descAttestFinal    = desc("blockwire_attest_finalized_total", "Blocks attested through every level.")
	descAttestRequests = desc("blockwire_attest_requests_total", "Attestation requests sent, by kind (first, replacement, reask, resent, unreachable).", "kind")
	descAttestRefused  = desc("blockwire_attest_refused_total", "Attestation input refused, by reason.", "reason")
	descAttestLatency  = desc("blockwire_attest_latency_seconds", "Attestation latency (irreversible to attested) over recent blocks, by quantile.", "quantile")
	descAttestMessages = desc("blockwire_attest_messages_total", "Attestation messages, by direction.", "direction")
	descAttestSigned   = desc("blockwire_attest_verifications_signed_total", "Verifications this verifier signed.")
)

var attestDescs = []*prometheus.Desc{descAttestPending, descAttestFinal, descAttestRequests, descAttestRefused,
	descAttestLatency, descAttestMessages, descAttestSigned}

// collectAttest exports the attestation counters (nothing when off).
func (m *Metrics) collectAttest(gauge func(*prometheus.Desc, float64, ...string), counter func(*prometheus.Desc, uint64, ...string)) {
	ab, ok := m.b.(AttestBackend)
	if !ok || ab.Attestation() == nil {
		return
	}
	st := ab.Attestation().Status()
	counter(descAttestMessages, st.Stats.Sent, "sent")
	counter(descAttestMessages, st.Stats.Received, "received")
	for r, n := range st.Stats.Refused {
		counter(descAttestRefused, n, string(r))
	}
	if st.Level != 0 {
		counter(descAttestSigned, st.Verifier.Signed)
	}
	if !st.Requester {
		return
	}
	sc := st.Scheduler.Stats
	counter(descAttestFinal, st.Stats.Finalized)
	first := sc.Requests - sc.Replacements - sc.Reasks - sc.Resent
	for kind, n := range map[string]uint64{"first": first, "replacement": sc.Replacements, "reask": sc.Reasks, "resent": sc.Resent, "unreachable": sc.Unreachable} {
		counter(descAttestRequests, n, kind)
	}
	stalled := map[uint8]int{}
	for _, s := range st.Stalled {
		stalled[s.Level]++
	}
	for lv, n := range st.Scheduler.PerLevel {
		gauge(descAttestPending, float64(n-stalled[lv]), fmt.Sprintf("L%d", lv), "live")
		gauge(descAttestPending, float64(stalled[lv]), fmt.Sprintf("L%d", lv), "stalled")
	}
	gauge(descAttestLatency, st.LatencyP50.Seconds(), "0.5")
	gauge(descAttestLatency, st.LatencyP99.Seconds(), "0.99")
}
