package sim

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// ErrInvariant is returned by Run, wrapped, when an invariant failed.
var ErrInvariant = errors.New("sim: invariant failed")

// metrics gathers what a run measures. Every invariant compares nodes with
// each other, never a node with itself.
type metrics struct {
	net       netStats
	converged bool
	observer  []bool // nodes whose arrival times count for dissemination

	blocks []produced
	index  map[block.ID]int
	// arrive[i][n] is when node n first held block i; -1 until then.
	arrive [][]time.Duration
	bodies int64

	hellos map[[3]uint64]uint64 // (low node, high node, link generation) → hellos both ends sent

	finalAt           map[uint64]block.ID
	safety            int
	correctRejections int
	penalties         int
	failures          []string

	windows []*window
	liveMax time.Duration

	catchUpStart, catchUpDone time.Duration
	catchUpHeight             uint64
	catchUpBytes              int64
	catchUpLinks              int
}

type produced struct {
	id       block.ID
	at       time.Duration
	producer int
	size     int
}

// window is one liveness measurement: opened when a partition heals or a
// node restarts, closed when every correct running node holds target.
type window struct {
	opened  time.Duration
	target  block.ID
	missing map[int]bool
	what    string
}

func (m *metrics) init(cfg Config, genesis block.ID) {
	m.index = map[block.ID]int{}
	m.hellos = map[[3]uint64]uint64{}
	m.finalAt = map[uint64]block.ID{genesis.Height(): genesis}
	m.observer = make([]bool, cfg.Nodes)
	for i := range m.observer {
		m.observer[i] = i != cfg.CatchUpNode
	}
	for _, f := range cfg.Faults {
		for _, v := range append(f.Nodes, twinHosts(cfg, f)...) {
			m.observer[v] = false // crashed, restarted and byzantine nodes
		}
	}
}

func (m *metrics) produced(b *block.Block, at time.Duration, producer int) {
	id := b.ID()
	m.index[id] = len(m.blocks)
	m.blocks = append(m.blocks, produced{id: id, at: at, producer: producer, size: b.EncodedSize()})
	arr := make([]time.Duration, len(m.observer))
	for i := range arr {
		arr[i] = -1
	}
	m.arrive = append(m.arrive, arr)
}

func (r *runner) held(n int, id block.ID) {
	m := &r.m
	if i, ok := m.index[id]; ok && m.arrive[i][n] < 0 {
		m.arrive[i][n] = r.e.now
	}
	for _, w := range m.windows {
		if w.target == id {
			delete(w.missing, n)
		}
	}
	r.closeWindows()
	if n == r.cfg.CatchUpNode && m.catchUpStart > 0 && m.catchUpDone == 0 && id.Height() >= m.catchUpHeight {
		m.catchUpDone = r.e.now
	}
}

func (r *runner) bodyReceived(n *node, size int) {
	if !n.correct() {
		return
	}
	r.m.bodies++
	if n.id == r.cfg.CatchUpNode && r.m.catchUpStart > 0 && r.m.catchUpDone == 0 {
		r.m.catchUpBytes += int64(size)
	}
}

func (r *runner) penalized(n, from int, reason, detail string) {
	r.m.penalties++
	if from >= 0 && r.nodes[n].correct() && r.nodes[from].correct() {
		r.m.correctRejections++
		if r.m.correctRejections <= 3 {
			r.m.failures = append(r.m.failures, fmt.Sprintf("node %d rejected correct node %d at %v: %s (%s)", n, from, r.e.now, reason, detail))
		}
	}
}

// finalized checks, for each block a node just made irreversible, that no
// other correct node made a different block irreversible at that height.
func (r *runner) finalized(n *node, ids []block.ID) {
	if !n.correct() {
		return
	}
	for _, id := range ids {
		h := id.Height()
		prev, ok := r.m.finalAt[h]
		switch {
		case !ok:
			r.m.finalAt[h] = id
		case prev != id:
			r.m.safety++
			if r.m.safety <= 3 {
				r.m.failures = append(r.m.failures, fmt.Sprintf("node %d made %s irreversible at height %d where another node has %s", n.id, id, h, prev))
			}
		}
	}
}

func (r *runner) connOpened(n, peer int) {
	m := &r.m
	if n == r.cfg.CatchUpNode && m.catchUpStart == 0 {
		m.catchUpStart = r.e.now
		for _, o := range r.nodes {
			if o.up && o.correct() && o.id != n {
				m.catchUpHeight = max(m.catchUpHeight, o.tree.Head().Height)
			}
		}
		for _, p := range r.g[n] {
			if r.nodes[p].up {
				m.catchUpLinks++
			}
		}
	}
}

func (r *runner) connClosed(n int, pc *peerConn) {
	k := key(n, pc.peer)
	r.m.hellos[[3]uint64{uint64(k[0]), uint64(k[1]), pc.gen}] += pc.c.Stats().HellosSent
}

// openWindow starts a liveness measurement towards the highest
// irreversible block any correct running node has.
func (r *runner) openWindow(what string) {
	var target block.ID
	for _, n := range r.nodes {
		if n.up && n.correct() && n.tree.Root().Height > target.Height() {
			target = n.tree.RootID()
		}
	}
	w := &window{opened: r.e.now, target: target, missing: map[int]bool{}, what: what}
	for _, n := range r.nodes {
		if n.up && n.correct() && !n.holds(target) {
			w.missing[n.id] = true
		}
	}
	r.m.windows = append(r.m.windows, w)
	r.closeWindows()
}

func (r *runner) closeWindows() {
	m := &r.m
	m.windows = slices.DeleteFunc(m.windows, func(w *window) bool {
		if len(w.missing) > 0 {
			return false
		}
		m.liveMax = max(m.liveMax, r.e.now-w.opened)
		return true
	})
}

// result computes the Result from the metrics at the end of the run.
func (r *runner) result() Result {
	m := &r.m
	for _, n := range r.nodes {
		for _, pc := range n.sortedConns() {
			r.connClosed(n.id, pc)
		}
	}
	res := Result{
		Seed:              r.cfg.Seed,
		Nodes:             r.cfg.Nodes,
		BlocksProduced:    len(m.blocks),
		HeadsAgree:        r.headsAgree(),
		SafetyViolations:  m.safety,
		CorrectRejections: m.correctRejections,
		Penalties:         m.penalties,
		LivenessMaxMs:     ms(m.liveMax),
		BytesControl:      m.net.bytes[laneControl],
		BytesBlocks:       m.net.bytes[laneBlocks],
		VirtualMs:         ms(r.e.now),
		Events:            r.e.events,
		TraceHash:         fmt.Sprintf("%016x", r.e.trace.Sum64()),
		Command:           r.cfg.Command(),
	}
	res.IrreversibleMin, res.IrreversibleMax = r.irreversibleRange()
	r.dissemination(&res)
	for _, h := range m.hellos {
		res.HellosPerSync = max(res.HellosPerSync, int(h))
	}
	res.Syncs = len(m.hellos)
	if correct := r.correctCount(); correct > 1 && len(m.blocks) > 0 {
		res.CopiesPerNode = float64(m.bodies) / float64(len(m.blocks)) / float64(correct-1)
	}
	if m.catchUpDone > m.catchUpStart && m.catchUpLinks > 0 {
		d := m.catchUpDone - m.catchUpStart
		res.CatchUpMs = ms(d)
		if r.cfg.Bandwidth > 0 {
			capacity := d.Seconds() * float64(r.cfg.Bandwidth) / 8 * float64(m.catchUpLinks)
			res.CatchUpUtilization = float64(m.catchUpBytes) / capacity
		}
	}
	res.Failures = append(res.Failures, m.failures...)
	if d, ok := r.cons.(driven); ok {
		d.report(&res)
	}
	if len(m.windows) > 0 {
		res.LivenessMaxMs = -1
		for _, w := range m.windows {
			res.Failures = append(res.Failures, fmt.Sprintf("liveness: after %s at %v, %d correct nodes never got irreversible block %s", w.what, w.opened, len(w.missing), w.target))
		}
	}
	if !res.HeadsAgree {
		res.Failures = append(res.Failures, "heads do not agree at the end of the run")
	}
	if r.cfg.CatchUpNode >= 0 && m.catchUpDone == 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("catch-up node %d never caught up", r.cfg.CatchUpNode))
	}
	return res
}

func (r *runner) correctCount() int {
	c := 0
	for _, n := range r.nodes {
		if n.correct() {
			c++
		}
	}
	return c
}

func (r *runner) irreversibleRange() (lo, hi uint64) {
	first := true
	for _, n := range r.nodes {
		if !n.up || !n.correct() {
			continue
		}
		h := n.tree.Root().Height
		if first {
			lo, hi, first = h, h, false
		}
		lo, hi = min(lo, h), max(hi, h)
	}
	return lo, hi
}

// dissemination computes, over blocks that reached every observer, the
// median of the per-block p50 and p100 arrival delays, the worst p100, and
// the median ideal time.
func (r *runner) dissemination(res *Result) {
	m := &r.m
	var p50s, p100s, ideals []time.Duration
	for i, b := range m.blocks {
		var delays []time.Duration
		complete := true
		for n, at := range m.arrive[i] {
			if !m.observer[n] || n == b.producer {
				continue
			}
			if at < 0 {
				complete = false
				break
			}
			delays = append(delays, at-b.at)
		}
		if !complete || len(delays) == 0 {
			continue
		}
		slices.Sort(delays)
		p50s = append(p50s, delays[(len(delays)-1)/2])
		p100s = append(p100s, delays[len(delays)-1])
		hop := r.cfg.Latency + r.net.serialization(b.size)
		ideals = append(ideals, idealDissemination(r.g, b.producer, hop))
	}
	res.DisseminationP50Ms = ms(median(p50s))
	res.DisseminationP100Ms = ms(median(p100s))
	res.IdealDisseminationMs = ms(median(ideals))
	if len(p100s) > 0 {
		res.DisseminationMaxMs = ms(slices.Max(p100s))
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
