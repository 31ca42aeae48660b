package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/blockwire/blockwire/transport/broadcast"
)

// BroadcastResult is what one broadcast run measured; its JSON is what
// `blockwire sim broadcast --json` prints.
type BroadcastResult struct {
	Seed     uint64 `json:"seed"`
	Nodes    int    `json:"nodes"`
	Messages int    `json:"messages"`
	MsgSize  int    `json:"msg_size"`
	// CopiesPerNode is message bodies received (eager pushes, duplicates
	// and pull replies) ÷ (messages × (nodes − 1)); 1.0 is one copy each.
	CopiesPerNode float64 `json:"copies_per_node"`
	// DeliveredRatio is the share of (message, node) pairs delivered, over
	// the correct nodes that stayed reachable from the origin until they
	// got it (a node cut off or crashed first is not counted).
	DeliveredRatio float64 `json:"delivered_ratio"`
	PairsCounted   int     `json:"pairs_counted"`
	// P100Ms is the median over messages of the time until the last
	// counted node had it; P100MaxMs the worst message. IdealMs is the
	// median store-and-forward bound along shortest paths (hops × (latency
	// + transmission time)), as in measured-anchors.md.
	P100Ms    float64 `json:"p100_ms"`
	P100MaxMs float64 `json:"p100_max_ms"`
	IdealMs   float64 `json:"ideal_ms"`
	// CacheBytesMaxPerNode is the most bytes any node's cache held at any
	// step (checked against its budget after every step).
	CacheBytesMaxPerNode int `json:"cache_bytes_max_per_node"`
	CacheBudget          int `json:"cache_budget"`
	// PullRequests counts pulls sent (grafts included); PullsServed the
	// bodies sent in answer.
	PullRequests int `json:"pull_requests"`
	PullsServed  int `json:"pulls_served"`
	Prunes       int `json:"prunes"`
	// BodyBytesPerNode and ControlBytesPerNode are bytes sent per node on
	// the bulk and control lanes (announcements, prunes, pulls).
	BodyBytesPerNode    float64 `json:"body_bytes_per_node"`
	ControlBytesPerNode float64 `json:"control_bytes_per_node"`
	// Penalties given to byzantine peers, and bans (links closed after
	// banAfter penalties); HonestPenalties must be 0.
	Penalties       int      `json:"penalties"`
	Bans            int      `json:"bans"`
	HonestPenalties int      `json:"honest_penalties"`
	PenaltyReasons  []string `json:"penalty_reasons,omitempty"`
	VirtualMs       float64  `json:"virtual_ms"`
	Events          uint64   `json:"events"`
	TraceHash       string   `json:"trace_hash"`
	Failures        []string `json:"failures,omitempty"`
	Command         string   `json:"command"`
}

// Failed reports whether an invariant failed.
func (r *BroadcastResult) Failed() bool { return len(r.Failures) > 0 }

// Summary is the human-readable form.
func (r *BroadcastResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "broadcast: %d nodes, %d messages of %d bytes: delivered %.4f of %d pairs, %.3f copies/node\n",
		r.Nodes, r.Messages, r.MsgSize, r.DeliveredRatio, r.PairsCounted, r.CopiesPerNode)
	fmt.Fprintf(&b, "latency: p100 %.1f ms median (worst %.1f), ideal %.1f ms\n", r.P100Ms, r.P100MaxMs, r.IdealMs)
	fmt.Fprintf(&b, "cache: max %d bytes per node (budget %d); pulls %d, served %d, prunes %d\n",
		r.CacheBytesMaxPerNode, r.CacheBudget, r.PullRequests, r.PullsServed, r.Prunes)
	fmt.Fprintf(&b, "penalties %d (honest %d), bans %d; trace %s\n", r.Penalties, r.HonestPenalties, r.Bans, r.TraceHash)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "FAIL: %s\n", f)
	}
	return b.String()
}

// bcMsg is one published message's bookkeeping.
type bcMsg struct {
	origin   int
	sent     time.Duration
	ideal    time.Duration
	eligible map[int]bool
	got      map[int]time.Duration
}

// bcMetrics collects a broadcast run's measurements.
type bcMetrics struct {
	msgs                 map[broadcast.Digest]*bcMsg
	order                []*bcMsg
	copies               int
	cacheMax, overBudget int
	budget               int
	penalties, honest    int
	bans                 int
	reasons              map[string]int
	bytes                [2]int64
	retired              broadcast.Stats
}

func (m *bcMetrics) init(r *bcRunner) {
	m.msgs = map[broadcast.Digest]*bcMsg{}
	m.reasons = map[string]int{}
	m.budget = r.engineConfig(0).CacheBytes
}

// reachable is the set of running nodes origin can reach over links that
// may be up (partitions, bans and crashes excluded); connected counts only
// links that are up now (a node that is still dialing after a restart
// cannot be sent what is published meanwhile, and broadcast has no
// history to catch it up).
func (r *bcRunner) reachable(origin int) map[int]bool { return r.reach(origin, false) }

func (r *bcRunner) reach(origin int, connected bool) map[int]bool {
	seen := map[int]bool{origin: true}
	queue := []int{origin}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range r.g[v] {
			if !seen[w] && r.net.allowed(v, w) && (!connected || r.net.links[key(v, w)].up) {
				seen[w] = true
				queue = append(queue, w)
			}
		}
	}
	return seen
}

func (m *bcMetrics) published(r *bcRunner, src int, d broadcast.Digest) {
	msg := &bcMsg{origin: src, sent: r.e.now, eligible: map[int]bool{}, got: map[int]time.Duration{}}
	for v := range r.reach(src, true) {
		if v != src && r.correct(v) {
			msg.eligible[v] = true
		}
	}
	pushLen := (&broadcast.Push{Msg: &broadcast.Message{Payload: make([]byte, r.cfg.MsgSize)}}).Size()
	msg.ideal = idealDissemination(r.g, src, r.cfg.Latency+r.net.serialization(pushLen))
	m.msgs[d] = msg
	m.order = append(m.order, msg)
}

func (m *bcMetrics) delivered(r *bcRunner, i int, d broadcast.Digest) {
	msg := m.msgs[d]
	if msg == nil || !msg.eligible[i] {
		return
	}
	if _, ok := msg.got[i]; !ok {
		msg.got[i] = r.e.now
	}
}

// reachabilityChanged stops counting pairs whose node lost its path to the
// origin before it got the message.
func (m *bcMetrics) reachabilityChanged(r *bcRunner) {
	cache := map[int]map[int]bool{}
	for _, msg := range m.order {
		if len(msg.got) == len(msg.eligible) {
			continue
		}
		reach := cache[msg.origin]
		if reach == nil {
			reach = r.reachable(msg.origin)
			cache[msg.origin] = reach
		}
		for v := range msg.eligible {
			if _, ok := msg.got[v]; !ok && !reach[v] {
				delete(msg.eligible, v)
			}
		}
	}
}

func (m *bcMetrics) arrived(r *bcRunner, i, from int, f *bcFrame) {
	if !f.push {
		return
	}
	if msg := m.msgs[f.digest]; msg != nil && msg.origin != i {
		m.copies++
	}
}

func (m *bcMetrics) sent(r *bcRunner, lane broadcast.Lane, n int) {
	m.bytes[min(int(lane), 1)] += int64(n)
}

func (m *bcMetrics) penalty(r *bcRunner, i, peer int, p broadcast.Penalty) {
	if !r.correct(i) {
		return
	}
	m.penalties++
	m.reasons[string(p.Err.Reason)]++
	if r.correct(peer) {
		m.honest++
		m.reasons["honest:"+string(p.Err.Reason)]++
	}
}

// sample checks a node's cache against its budget after every step.
func (m *bcMetrics) sample(r *bcRunner, n *bcNode) {
	cb := n.eng.CacheBytes()
	m.cacheMax = max(m.cacheMax, cb)
	if cb > m.budget {
		m.overBudget++
	}
}

// retire folds a crashing node's counters into the totals.
func (m *bcMetrics) retire(n *bcNode) { addStats(&m.retired, n.eng.Stats()) }

func addStats(dst *broadcast.Stats, s broadcast.Stats) {
	dst.PullsSent += s.PullsSent
	dst.PullsServed += s.PullsServed
	dst.PrunesSent += s.PrunesSent
}

func (r *bcRunner) result() BroadcastResult {
	m := &r.m
	total := m.retired
	for _, n := range r.nodes {
		if n.up {
			addStats(&total, n.eng.Stats())
		}
	}
	res := BroadcastResult{
		Seed: r.cfg.Seed, Nodes: r.cfg.Nodes, Messages: r.cfg.Messages, MsgSize: r.cfg.MsgSize,
		CacheBytesMaxPerNode: m.cacheMax, CacheBudget: m.budget,
		PullRequests: int(total.PullsSent), PullsServed: int(total.PullsServed), Prunes: int(total.PrunesSent),
		BodyBytesPerNode:    float64(m.bytes[broadcast.LaneBulk]) / float64(r.cfg.Nodes),
		ControlBytesPerNode: float64(m.bytes[broadcast.LaneControl]) / float64(r.cfg.Nodes),
		Penalties:           m.penalties, Bans: m.bans, HonestPenalties: m.honest,
		VirtualMs: ms(r.e.now), Events: r.e.events, TraceHash: fmt.Sprintf("%016x", r.e.trace.Sum64()),
		Command: r.cfg.Command(),
	}
	if len(m.order) > 0 {
		res.CopiesPerNode = float64(m.copies) / float64(len(m.order)*(r.cfg.Nodes-1))
	}
	var got, counted int
	var p100, ideal []time.Duration
	for _, msg := range m.order {
		counted += len(msg.eligible)
		got += len(msg.got)
		ideal = append(ideal, msg.ideal)
		if len(msg.got) == len(msg.eligible) {
			var worst time.Duration
			for _, t := range msg.got {
				worst = max(worst, t-msg.sent)
			}
			p100 = append(p100, worst)
		}
	}
	res.PairsCounted = counted
	res.DeliveredRatio = 1
	if counted > 0 {
		res.DeliveredRatio = float64(got) / float64(counted)
	}
	if len(p100) > 0 {
		res.P100Ms = ms(median(p100))
		res.P100MaxMs = ms(slices.Max(p100))
	}
	res.IdealMs = ms(median(ideal))
	for k, v := range m.reasons {
		res.PenaltyReasons = append(res.PenaltyReasons, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(res.PenaltyReasons)
	if got < counted {
		res.Failures = append(res.Failures, fmt.Sprintf("delivered %d of %d (message, node) pairs whose node stayed reachable", got, counted))
	}
	if m.overBudget > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("a cache exceeded its %d-byte budget %d times", m.budget, m.overBudget))
	}
	if m.honest > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("%d penalties between correct nodes", m.honest))
	}
	return res
}
