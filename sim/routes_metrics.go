package sim

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/blockwire/blockwire/transport/route"
)

// routesMetrics measures a routing run. Loops are checked after every
// event that changed a route: a forwarding loop can only appear when some
// node changes its next hop, and any new cycle passes through that node,
// so walking from it is the whole check. Convergence is evaluated every
// 10 ms while routes change, and around every fault.
type routesMetrics struct {
	loops     int
	firstLoop string
	stamp     []uint64
	walk      uint64

	dirty        bool
	correct      bool
	correctSince time.Duration
	coldStart    time.Duration
	coldDone     bool
	lastFault    time.Duration
	faulted      bool
	convergence  []time.Duration // per fault window
	unconverged  int
	switches     int

	controlBytes      int64
	controlBytesAfter int64 // after cold start
	penalties         int
	penaltyReasons    map[route.Reason]int
	noRoute           int

	probes          map[probeKey]*probe
	probesSent      int
	probesCounted   int
	probesDelivered int
	mcast           map[probeKey]*mcastRec
	copies          map[mcopyKey]int
	mcastDeliveries int
	mcastExpected   int
}

type probeKey struct {
	origin int
	seq    uint64
}

type probe struct {
	dst       int
	counted   bool
	delivered bool
}

type mcastRec struct{ got map[int]bool }

type mcopyKey struct {
	from, to int
	msg      probeKey
}

func (m *routesMetrics) init(r *routesRunner) {
	m.stamp = make([]uint64, r.cfg.Nodes)
	m.probes = map[probeKey]*probe{}
	m.mcast = map[probeKey]*mcastRec{}
	m.copies = map[mcopyKey]int{}
	m.penaltyReasons = map[route.Reason]int{}
	m.dirty = true
}

// frameOverhead is what the link adds per message (a type byte and a
// varint length), counted so control bytes are what the wire carries.
func frameOverhead(n int) int {
	if n < 128 {
		return 2
	}
	return 3
}

func (m *routesMetrics) sent(r *routesRunner, from, to int, msg route.Msg, n int) {
	d, isData := msg.(*route.Data)
	if !isData {
		b := int64(n + frameOverhead(n))
		m.controlBytes += b
		if m.coldDone {
			m.controlBytesAfter += b
		}
		return
	}
	k := probeKey{r.index[d.Origin], d.Seq}
	if m.mcast[k] != nil {
		m.copies[mcopyKey{from, to, k}]++
	}
}

// ready records a node's outputs and checks for loops after route changes.
func (m *routesMetrics) ready(r *routesRunner, i int, rd *route.Ready) {
	for _, d := range rd.Delivered {
		k := probeKey{r.index[d.Origin], d.Seq}
		if p := m.probes[k]; p != nil && p.dst == i {
			p.delivered = true
			if p.counted {
				m.probesDelivered++
			}
		}
		if mc := m.mcast[k]; mc != nil && !mc.got[i] {
			mc.got[i] = true
			m.mcastDeliveries++
		}
	}
	for _, f := range rd.Failed {
		if f.Reason == route.ReasonNoRoute {
			m.noRoute++
		}
	}
	for _, p := range rd.Penalties {
		m.penalties++
		m.penaltyReasons[p.Err.Reason]++
	}
	for _, ch := range rd.Changes {
		m.switches++
		m.dirty = true
		r.e.mix(uint64(i)<<32 | uint64(r.index[ch.Dest]))
		m.checkLoop(r, i, r.index[ch.Dest])
	}
}

// checkLoop walks next hops towards dest from node i.
func (m *routesMetrics) checkLoop(r *routesRunner, i, dest int) {
	m.walk++
	path := []int{}
	for v := i; v >= 0 && v != dest; v = r.nextHop(v, dest) {
		if m.stamp[v] == m.walk {
			m.loops++
			if m.firstLoop == "" {
				m.firstLoop = fmt.Sprintf("at %s towards node %d: %v -> %d", r.e.now, dest, path, v)
			}
			return
		}
		m.stamp[v] = m.walk
		path = append(path, v)
	}
}

// beforeFault closes the current fault window (or the cold start).
func (m *routesMetrics) beforeFault(r *routesRunner) {
	m.dirty = true
	m.evaluate(r)
	m.closeWindow(r)
	m.lastFault, m.faulted = r.e.now, true
}

func (m *routesMetrics) closeWindow(r *routesRunner) {
	if !m.faulted {
		if m.correct && !m.coldDone {
			m.coldStart, m.coldDone = m.correctSince, true
		}
		return
	}
	if m.correct {
		m.convergence = append(m.convergence, max(0, m.correctSince-m.lastFault))
	} else {
		m.unconverged++
	}
}

func (m *routesMetrics) afterFault(r *routesRunner) {
	m.dirty = true
	m.evaluate(r)
}

// evaluate recomputes whether routing is correct: every running node with
// a live path to a running destination reaches it by next hops over live
// links, and no node routes to a destination it cannot reach.
func (m *routesMetrics) evaluate(r *routesRunner) {
	if !m.dirty {
		return
	}
	m.dirty = false
	ok := r.routesCorrect()
	if ok && !m.correct {
		m.correctSince = r.e.now
	}
	m.correct = ok
	if ok && !m.coldDone && !m.faulted {
		m.coldStart, m.coldDone = r.e.now, true
	}
}

func (r *routesRunner) liveAdj() [][]int {
	adj := make([][]int, r.cfg.Nodes)
	for _, k := range r.sortedLinks() {
		if l := r.links[k]; l.live() && r.nodes[k[0]].running && r.nodes[k[1]].running {
			adj[k[0]] = append(adj[k[0]], k[1])
			adj[k[1]] = append(adj[k[1]], k[0])
		}
	}
	return adj
}

func (r *routesRunner) routesCorrect() bool {
	adj := r.liveAdj()
	for _, p := range r.dests {
		reach := make([]bool, r.cfg.Nodes)
		if r.nodes[p].running {
			reach[p] = true
			stack := []int{p}
			for len(stack) > 0 {
				v := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				for _, w := range adj[v] {
					if !reach[w] {
						reach[w] = true
						stack = append(stack, w)
					}
				}
			}
		}
		for v, n := range r.nodes {
			if !n.running || v == p {
				continue
			}
			if !reach[v] {
				if r.nextHop(v, p) >= 0 {
					return false
				}
				continue
			}
			if !r.reaches(v, p) {
				return false
			}
		}
	}
	return true
}

// reaches follows next hops from v to p over live links.
func (r *routesRunner) reaches(v, p int) bool {
	for steps := 0; v != p; steps++ {
		w := r.nextHop(v, p)
		if w < 0 || steps > r.cfg.Nodes {
			return false
		}
		if l := r.links[key(v, w)]; l == nil || !l.live() {
			return false
		}
		v = w
	}
	return true
}

func (m *routesMetrics) probeSent(r *routesRunner, src, dst int, seq uint64) {
	m.evaluate(r)
	m.probesSent++
	quiet := true
	for _, t := range r.faultTimes {
		if t >= r.e.now && t < r.e.now+3*time.Second {
			quiet = false
		}
	}
	p := &probe{dst: dst, counted: m.correct && quiet && r.e.now+3*time.Second < r.cfg.Duration}
	if p.counted {
		m.probesCounted++
	}
	m.probes[probeKey{src, seq}] = p
}

func (m *routesMetrics) multicastSent(src int, seq uint64, n int) {
	m.mcast[probeKey{src, seq}] = &mcastRec{got: map[int]bool{}}
	m.mcastExpected += n
}

// stretch compares, for every (node, destination) pair with a route, the
// true one-way latency of the selected path with the shortest one.
func (r *routesRunner) stretch() (p50, worst float64) {
	adj := r.liveAdj()
	var ratios []float64
	for _, p := range r.dests {
		if !r.nodes[p].running {
			continue
		}
		dist := r.dijkstra(adj, p)
		for v := range r.nodes {
			if v == p || !r.nodes[v].running || dist[v] <= 0 || !r.reaches(v, p) {
				continue
			}
			var lat time.Duration
			for u := v; u != p; {
				w := r.nextHop(u, p)
				lat += r.links[key(u, w)].lat
				u = w
			}
			ratios = append(ratios, float64(lat)/float64(dist[v]))
		}
	}
	if len(ratios) == 0 {
		return 0, 0
	}
	slices.Sort(ratios)
	return ratios[len(ratios)/2], ratios[len(ratios)-1]
}

func (r *routesRunner) dijkstra(adj [][]int, src int) []time.Duration {
	dist := make([]time.Duration, r.cfg.Nodes)
	for i := range dist {
		dist[i] = -1
	}
	dist[src] = 0
	h := &latHeap{{src, 0}}
	for h.Len() > 0 {
		it := heap.Pop(h).(latItem)
		if it.d > dist[it.v] {
			continue
		}
		for _, w := range adj[it.v] {
			nd := it.d + r.links[key(it.v, w)].lat
			if dist[w] < 0 || nd < dist[w] {
				dist[w] = nd
				heap.Push(h, latItem{w, nd})
			}
		}
	}
	return dist
}

type latItem struct {
	v int
	d time.Duration
}

type latHeap []latItem

func (h latHeap) Len() int           { return len(h) }
func (h latHeap) Less(i, j int) bool { return h[i].d < h[j].d }
func (h latHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *latHeap) Push(x any)        { *h = append(*h, x.(latItem)) }
func (h *latHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
