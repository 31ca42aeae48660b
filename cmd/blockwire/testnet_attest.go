package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/blockwire/blockwire/consensus/attest"
	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/node/admin"
)

// attestOptions are testnet's --verifiers and --attest: K verifier
// processes beside the N nodes, levels assigned so each level has its
// required count first (then the rest round robin), each verifier its own
// operator; node0 collects attestations.
type attestOptions struct {
	verifiers int
	levels    string
	deadline  time.Duration
}

func addAttestFlags(f *pflag.FlagSet, o *attestOptions) {
	f.IntVar(&o.verifiers, "verifiers", 0, "verifier processes to run beside the nodes (attestation, with --attest)")
	f.StringVar(&o.levels, "attest", "L2=3,L3=1,L4=1,L5=1", "attestation levels node0 collects with --verifiers: L<number>=<required>,...")
	f.DurationVar(&o.deadline, "attest-deadline", 2*time.Second, "a verifier's answer time per request")
}

// attestResult is the attestation part of testnet's result.
type attestResult struct {
	Verifiers int    `json:"verifiers"`
	Levels    string `json:"levels"`
	// Attested blocks at node0; Pending and Stalled there at the end;
	// OldestPendingMs is how long the oldest pending block waited, against
	// DeadlinesMs (a level's deadline times the number of levels): every
	// irreversible block older than that is attested when
	// AllOldAttested.
	Attested         uint64  `json:"attested"`
	Pending          int     `json:"pending"`
	Stalled          int     `json:"stalled"`
	OldestPendingMs  float64 `json:"oldest_pending_ms"`
	DeadlinesMs      float64 `json:"deadlines_ms"`
	AllOldAttested   bool    `json:"all_old_attested"`
	P50Ms            float64 `json:"attest_p50_ms"`
	P99Ms            float64 `json:"attest_p99_ms"`
	MaxMs            float64 `json:"attest_max_ms"`
	RequestsPerBlock float64 `json:"requests_per_block"`
	MessagesPerBlock float64 `json:"messages_per_block"`
	Replacements     uint64  `json:"replacements"`
	Refused          uint64  `json:"refused"`
}

// configure returns InitNetwork's per-node hook: node0 requires, the last
// o.verifiers nodes verify. levels were checked by validate.
func (o *attestOptions) configure(nodes int) (func(int, *node.Config), error) {
	if o.verifiers == 0 {
		return nil, nil
	}
	ls, err := attest.ParseLevels(o.levels, o.deadline)
	if err != nil {
		return nil, err
	}
	need := 0
	for _, l := range ls {
		need += l.Required
	}
	if o.verifiers < need {
		return nil, fmt.Errorf("testnet: --verifiers %d is below the %d verifications --attest %s needs", o.verifiers, need, o.levels)
	}
	var assign []uint8
	for _, l := range ls {
		for range l.Required {
			assign = append(assign, l.Number)
		}
	}
	for i := 0; len(assign) < o.verifiers; i++ {
		assign = append(assign, ls[i%len(ls)].Number)
	}
	first := nodes - o.verifiers
	return func(i int, c *node.Config) {
		c.Attest.Levels, c.Attest.Deadline = attest.FormatLevels(ls), o.deadline.String()
		c.Attest.Require = i == 0
		if i >= first {
			c.Attest.Verifier, c.Attest.Level = true, int(assign[i-first])
			c.Attest.Labels = map[string]string{"operator": fmt.Sprintf("v%d", i-first)}
		}
	}, nil
}

// collectAttest reads node0's attestation status and every node's message
// counters, after waiting (bounded by the deadlines) for the blocks still
// pending at node0 to be attested.
func collectAttest(ctx context.Context, o *attestOptions, clients []*adminClient) *attestResult {
	if o.verifiers == 0 {
		return nil
	}
	ls, _ := attest.ParseLevels(o.levels, o.deadline)
	res := &attestResult{Verifiers: o.verifiers, Levels: o.levels, DeadlinesMs: float64(o.deadline.Milliseconds()) * float64(len(ls))}
	var st admin.AttestStatusJSON
	wait, cancel := context.WithTimeout(ctx, time.Duration(res.DeadlinesMs)*time.Millisecond+5*time.Second)
	defer cancel()
	for {
		err := clients[0].do(wait, "GET", "/attest", nil, &st, nil)
		if err == nil && st.OldestPendingAgeMs <= res.DeadlinesMs {
			break
		}
		select {
		case <-wait.Done():
		case <-time.After(200 * time.Millisecond):
			continue
		}
		break
	}
	res.Attested, res.Pending, res.Stalled = st.Finalized, st.Pending, st.StalledCount
	res.OldestPendingMs = st.OldestPendingAgeMs
	res.AllOldAttested = st.Requester && st.StalledCount == 0 && st.OldestPendingAgeMs <= res.DeadlinesMs
	res.P50Ms, res.P99Ms, res.MaxMs = st.LatencyP50, st.LatencyP99, st.LatencyMax
	res.Replacements = st.Replacements
	for _, n := range st.Refused {
		res.Refused += n
	}
	var msgs uint64
	for _, c := range clients {
		var s admin.AttestStatusJSON
		if c.do(ctx, "GET", "/attest", nil, &s, nil) == nil {
			msgs += s.Sent
		}
	}
	if st.Finalized > 0 {
		res.RequestsPerBlock = float64(st.Requests) / float64(st.Finalized+uint64(st.Pending))
		res.MessagesPerBlock = float64(msgs) / float64(st.Finalized+uint64(st.Pending))
	}
	return res
}

func (r *attestResult) problems() []string {
	if r == nil || r.AllOldAttested {
		return nil
	}
	return []string{fmt.Sprintf("attestation: %d stalled, oldest pending block waited %.0f ms (deadlines %.0f ms)",
		r.Stalled, r.OldestPendingMs, r.DeadlinesMs)}
}
