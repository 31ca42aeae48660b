package admin

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/blockwire/blockwire/node"
)

// StatusView is /status: the node's Status plus what the server adds (the
// head's age by this machine's clock, the binary's version).
type StatusView struct {
	node.Status
	// HeadAge is now minus the head block's timestamp (includes clock skew
	// between the producer and this machine); HeadAgeSeconds the same in
	// seconds, for scripts.
	HeadAge        string  `json:"head_age"`
	HeadAgeSeconds float64 `json:"head_age_seconds"`
	Version        string  `json:"version,omitempty"`
}

func (s *Server) statusView() StatusView {
	st := s.b.Status()
	age := headAge(st, s.cfg.Now())
	return StatusView{Status: st, HeadAge: age.Round(time.Millisecond).String(), HeadAgeSeconds: age.Seconds(), Version: s.cfg.Version}
}

// headAge is how old the head is; zero for a node without a head time.
func headAge(st node.Status, now time.Time) time.Duration {
	if st.Head.Timestamp.IsZero() {
		return 0
	}
	return max(now.Sub(st.Head.Timestamp), 0)
}

// Readiness is the /readyz answer: Ready, or the reasons it is not (one
// line each, the first also as the error's reason label).
type Readiness struct {
	Ready   bool     `json:"ready"`
	Reasons []string `json:"reasons,omitempty"`
	Peers   int      `json:"peers"`
	HeadAge string   `json:"head_age"`
}

// readiness checks what a load balancer or an orchestrator needs before
// sending traffic to the node: it runs, it is connected, a producer has a
// leader to produce under, and the chain moves. Labels: stopped,
// isolated, no-leader, stale-head.
func (s *Server) readiness() (Readiness, []string) {
	st := s.b.Status()
	age := headAge(st, s.cfg.Now())
	r := Readiness{Peers: st.Peers, HeadAge: age.Round(time.Millisecond).String()}
	var labels []string
	fail := func(label, format string, args ...any) {
		labels = append(labels, label)
		r.Reasons = append(r.Reasons, label+": "+fmt.Sprintf(format, args...))
	}
	if !st.Running {
		fail("stopped", "the node is not running: %s", st.StatusError)
	}
	// The only producer of a one-producer chain (solo, or cft with one
	// voter) has nobody to talk to by design.
	cs := s.b.Consensus()
	alone := st.Engine == node.EngineSolo && st.Producing || cs.Member && len(cs.Producers) == 1
	if st.Running && st.Peers == 0 && !alone {
		fail("isolated", "no connected peers (see blockwire peers for the last disconnect reasons)")
	}
	if cs.Member && cs.Raft != nil && cs.Raft.Leader == "" {
		fail("no-leader", "this producer sees no raft leader in term %d: fewer than a majority of producers are connected, or an election is in progress", cs.Raft.Term)
	}
	if limit := s.cfg.ReadyMaxHeadAge; limit > 0 && age > limit {
		fail("stale-head", "head %d is %v old, more than admin.ready_max_head_age %v: no block is being produced or received", st.Head.Height, age.Round(time.Millisecond), limit)
	}
	r.Ready = len(labels) == 0
	return r, labels
}

// ready serves /readyz: 200 when ready, else 503 with every reason.
// /healthz stays liveness (the process serves), so a supervisor does not
// restart a node that is merely cut off.
func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	r, labels := s.readiness()
	if r.Ready {
		writeJSON(w, http.StatusOK, r)
		return
	}
	writeJSON(w, http.StatusServiceUnavailable, struct {
		Error  string `json:"error"`
		Reason string `json:"reason"`
		Readiness
	}{Error: "not ready: " + strings.Join(r.Reasons, "; "), Reason: labels[0], Readiness: r})
}
