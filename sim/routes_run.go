package sim

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"time"

	"github.com/blockwire/blockwire/transport/route"
)

// routesRunner is one routing simulation: the engine, the links, one
// route.Router per running node, and the metrics. Routers exchange encoded
// frames (Receive decodes them), so the wire format and its sizes are the
// real ones.
type routesRunner struct {
	cfg    RoutesConfig
	e      *engine
	epoch  time.Time
	keys   []ed25519.PrivateKey
	ids    []route.NodeID
	index  map[route.NodeID]int
	isDest []bool
	dests  []int
	links  map[[2]int]*rlink
	nodes  []*rnode
	m      routesMetrics
	// faultTimes are the times of every scheduled fault, sorted.
	faultTimes []time.Duration
}

// rlink is one undirected link. gen counts connections: frames of an older
// connection are never delivered to a newer one.
type rlink struct {
	a, b      int
	lat       time.Duration
	connected bool // a connection exists (both ends were told)
	silent    bool // everything sent is lost, and neither end knows
	gen       uint64
	last      [2]time.Duration // FIFO: last arrival per direction
}

func (l *rlink) live() bool { return l.connected && !l.silent }

// rnode is a node: its router while running, and its timer.
type rnode struct {
	i        int
	r        *route.Router
	running  bool
	deadline time.Time
	tgen     uint64
}

// RunRoutes simulates cfg and returns what it measured. The error is
// non-nil for an invalid config, or wraps ErrInvariant when an invariant
// failed (the result then says which, and how to replay the run).
func RunRoutes(cfg RoutesConfig) (RoutesResult, error) {
	if err := cfg.Validate(); err != nil {
		return RoutesResult{}, err
	}
	r, err := newRoutesRunner(cfg)
	if err != nil {
		return RoutesResult{}, err
	}
	r.schedule()
	for r.e.step(cfg.Duration) {
	}
	r.e.now = cfg.Duration
	res := r.result()
	if res.Failed() {
		return res, fmt.Errorf("%w: %v (replay: %s)", ErrInvariant, res.Failures, res.Command)
	}
	return res, nil
}

func newRoutesRunner(cfg RoutesConfig) (*routesRunner, error) {
	e := newEngine(cfg.Seed)
	g, err := buildTopology(Config{Nodes: cfg.Nodes, Topology: cfg.Topology, Degree: cfg.Degree}, e.rng)
	if err != nil {
		return nil, err
	}
	r := &routesRunner{cfg: cfg, e: e, epoch: time.Unix(1_700_000_000, 0), index: map[route.NodeID]int{},
		links: map[[2]int]*rlink{}, isDest: make([]bool, cfg.Nodes)}
	for i := 0; i < cfg.Nodes; i++ {
		seed := make([]byte, ed25519.SeedSize)
		for j := range seed {
			seed[j] = byte(e.rng.Uint32())
		}
		k := ed25519.NewKeyFromSeed(seed)
		var id route.NodeID
		copy(id[:], k.Public().(ed25519.PublicKey))
		r.keys, r.ids = append(r.keys, k), append(r.ids, id)
		r.index[id] = i
		r.nodes = append(r.nodes, &rnode{i: i})
	}
	for k := 0; k < cfg.Destinations; k++ {
		d := k * cfg.Nodes / cfg.Destinations
		r.isDest[d] = true
		r.dests = append(r.dests, d)
	}
	for _, ed := range g.Edges() {
		r.links[ed] = &rlink{a: ed[0], b: ed[1], lat: r.drawLatency()}
	}
	r.m.init(r)
	return r, nil
}

func (r *routesRunner) drawLatency() time.Duration {
	span := int64(r.cfg.LatencyMax - r.cfg.LatencyMin)
	if span == 0 {
		return r.cfg.LatencyMin
	}
	return r.cfg.LatencyMin + time.Duration(r.e.rng.Int64N(span+1)).Truncate(100*time.Microsecond)
}

func (r *routesRunner) now() time.Time { return r.epoch.Add(r.e.now) }

// schedule boots every node, connects every link at time 0, and queues
// faults, rewiring, probes and the final multicasts.
func (r *routesRunner) schedule() {
	for i := range r.nodes {
		r.boot(i)
	}
	for _, k := range r.sortedLinks() {
		r.connect(k[0], k[1])
	}
	faults := r.cfg.Faults
	if len(faults) == 0 && r.cfg.Churn > 0 && r.cfg.Rewire == 0 {
		faults = r.churn()
	}
	for _, f := range faults {
		r.faultTimes = append(r.faultTimes, f.At)
		r.e.at(f.At, evFault, int32(f.A), int32(f.B), uint64(len(f.Kind)), func() { r.fault(f) })
	}
	if r.cfg.Rewire > 0 {
		for t := r.cfg.Rewire; t < r.cfg.Duration-5*time.Second; t += r.cfg.Rewire {
			r.faultTimes = append(r.faultTimes, t)
			r.e.at(t, evFault, -1, -1, 0, r.rewire)
		}
	}
	slices.Sort(r.faultTimes)
	if r.cfg.Unicast > 0 {
		gap := time.Second / time.Duration(r.cfg.Unicast)
		for t := gap; t < r.cfg.Duration; t += gap {
			r.e.at(t, evProduce, 0, 0, 0, r.probe)
		}
	}
	end := r.cfg.Duration - 2*time.Second
	for k := 0; k < r.cfg.Multicasts; k++ {
		r.e.at(end+time.Duration(k)*time.Millisecond, evProduce, 1, 0, uint64(k), r.multicast)
	}
	r.e.at(0, evCheck, 0, 0, 0, r.check)
}

// churnGap is the time between two drawn faults; each is repaired half a
// gap later, so every fault window gives the routers 1.5 s to converge
// (the target is 1 s at 250 ms hellos).
const churnGap = 3 * time.Second

// churnWarmup and churnQuiet frame the drawn faults: the cold start before,
// and after them the final probes (counted only 3 s before the end) and
// multicasts (2 s before the end).
const (
	churnWarmup = 3 * time.Second
	churnQuiet  = 6 * time.Second
)

// churnSpan is the run time cfg.Churn drawn faults need.
func churnSpan(churn int) time.Duration {
	return churnWarmup + time.Duration(churn)*churnGap + churnQuiet
}

// churn draws cfg.Churn faults: silent failures of links at destinations
// (so they carry routes), each restored half a gap later, and one crash
// and restart of a destination, one every churnGap after the warm-up.
func (r *routesRunner) churn() []RouteFault {
	var out []RouteFault
	start, gap := churnWarmup, churnGap
	keys := r.sortedLinks()
	for k := 0; k < r.cfg.Churn; k++ {
		at := start + time.Duration(k)*gap
		d := r.dests[r.e.rng.IntN(len(r.dests))]
		if k == r.cfg.Churn/2 {
			out = append(out, RouteFault{Kind: RouteCrash, At: at, A: d}, RouteFault{Kind: RouteRestart, At: at + gap/2, A: d})
			continue
		}
		var mine [][2]int
		for _, l := range keys {
			if l[0] == d || l[1] == d {
				mine = append(mine, l)
			}
		}
		if len(mine) == 0 {
			continue
		}
		l := mine[r.e.rng.IntN(len(mine))]
		out = append(out, RouteFault{Kind: RouteDown, At: at, A: l[0], B: l[1]}, RouteFault{Kind: RouteUp, At: at + gap/2, A: l[0], B: l[1]})
	}
	return out
}

func (r *routesRunner) sortedLinks() [][2]int {
	out := make([][2]int, 0, len(r.links))
	for k := range r.links {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	return out
}

// boot starts node i with a fresh router and a random router id.
func (r *routesRunner) boot(i int) {
	c := route.DefaultConfig()
	c.Key = r.keys[i]
	c.RouterID = r.e.rng.Uint64()
	c.Routable = r.isDest[i]
	c.HelloInterval = r.cfg.Hello
	c.DisableFeasibility = r.cfg.NoFeasibility
	c.MulticastSlack = r.cfg.MulticastSlack
	c.Admit = func(id route.NodeID) bool { j, ok := r.index[id]; return ok && r.isDest[j] }
	rt, err := route.New(c, r.now())
	if err != nil {
		panic(err) // DefaultConfig with a key is valid: a broken invariant
	}
	n := r.nodes[i]
	n.r, n.running, n.deadline = rt, true, time.Time{}
	n.tgen++
	r.flush(i)
}

// connect opens a connection on link a-b (creating the link if new) and
// tells both running ends.
func (r *routesRunner) connect(a, b int) {
	k := key(a, b)
	l := r.links[k]
	if l == nil {
		l = &rlink{a: k[0], b: k[1], lat: r.drawLatency()}
		r.links[k] = l
	}
	l.connected, l.silent = true, false
	l.gen++
	l.last = [2]time.Duration{}
	for _, v := range [2][2]int{{a, b}, {b, a}} {
		if n := r.nodes[v[0]]; n.running && r.nodes[v[1]].running {
			n.r.AddLink(r.now(), r.ids[v[1]])
			r.flush(v[0])
		}
	}
}

// disconnect closes link a-b cleanly at both running ends.
func (r *routesRunner) disconnect(a, b int) {
	l := r.links[key(a, b)]
	if l == nil || !l.connected {
		return
	}
	l.connected = false
	l.gen++
	for _, v := range [2][2]int{{a, b}, {b, a}} {
		if n := r.nodes[v[0]]; n.running {
			n.r.RemoveLink(r.now(), r.ids[v[1]])
			r.flush(v[0])
		}
	}
}

func (r *routesRunner) fault(f RouteFault) {
	r.m.beforeFault(r)
	switch f.Kind {
	case RouteDown:
		if l := r.links[key(f.A, f.B)]; l != nil {
			l.silent = true
		}
	case RouteUp:
		r.connect(f.A, f.B)
	case RouteClose:
		r.disconnect(f.A, f.B)
	case RouteCrash:
		n := r.nodes[f.A]
		n.running, n.r = false, nil
		n.tgen++
	case RouteRestart:
		if !r.nodes[f.A].running {
			r.boot(f.A)
			for _, k := range r.sortedLinks() {
				if l := r.links[k]; l.connected && (k[0] == f.A || k[1] == f.A) {
					r.connect(k[0], k[1])
				}
			}
		}
	}
	r.m.afterFault(r)
}

// rewire replaces the links by a new random ring: links of both rings
// stay, the others close cleanly, the new ones connect.
func (r *routesRunner) rewire() {
	r.m.beforeFault(r)
	perm := r.e.rng.Perm(r.cfg.Nodes)
	want := map[[2]int]bool{}
	for i := range perm {
		want[key(perm[i], perm[(i+1)%len(perm)])] = true
	}
	for _, k := range r.sortedLinks() {
		if l := r.links[k]; l.connected && !want[k] {
			r.disconnect(k[0], k[1])
		}
	}
	for i := range perm {
		k := key(perm[i], perm[(i+1)%len(perm)])
		if l := r.links[k]; l == nil || !l.connected {
			r.connect(k[0], k[1])
		}
	}
	r.m.afterFault(r)
}

// send carries one message from a to b: lost if the link is down or
// silent, else delivered after its latency (plus jitter, FIFO per
// direction) unless the connection changed meanwhile.
func (r *routesRunner) send(from int, m route.Message) {
	to, ok := r.index[m.To]
	if !ok {
		return
	}
	l := r.links[key(from, to)]
	if l == nil || !l.connected {
		return
	}
	b := m.Msg.AppendTo(nil)
	r.m.sent(r, from, to, m.Msg, len(b))
	if l.silent {
		return
	}
	dir := 0
	if from != l.a {
		dir = 1
	}
	delay := l.lat
	if r.cfg.Jitter > 0 {
		delay += time.Duration(r.e.rng.NormFloat64() * float64(r.cfg.Jitter))
	}
	at := max(r.e.now+max(delay, 0), l.last[dir])
	l.last[dir] = at
	gen := l.gen
	r.e.at(at, evDeliver, int32(from), int32(to), uint64(len(b)), func() {
		if l.gen != gen || l.silent || !r.nodes[to].running || !r.nodes[from].running {
			return
		}
		_ = r.nodes[to].r.Receive(r.now(), r.ids[from], b) // penalties arrive in Ready
		r.flush(to)
	})
}

// flush performs node i's Ready.
func (r *routesRunner) flush(i int) {
	n := r.nodes[i]
	if !n.running || !n.r.HasReady() {
		return
	}
	rd := n.r.Ready()
	n.r.Advance()
	r.m.ready(r, i, &rd)
	for _, m := range rd.Messages {
		r.send(i, m)
	}
	if !rd.Deadline.Equal(n.deadline) {
		n.deadline = rd.Deadline
		n.tgen++
		tg := n.tgen
		r.e.at(rd.Deadline.Sub(r.epoch), evTick, int32(i), 0, 0, func() {
			if n.tgen == tg && n.running {
				n.r.Tick(r.now())
				r.flush(i)
			}
		})
	}
}

// probe sends one unicast from a random running node to a random running
// destination.
func (r *routesRunner) probe() {
	src := r.e.rng.IntN(r.cfg.Nodes)
	dst := r.dests[r.e.rng.IntN(len(r.dests))]
	if src == dst || !r.nodes[src].running || !r.nodes[dst].running {
		return
	}
	seq, err := r.nodes[src].r.Send(r.now(), r.ids[dst], route.ClassTransaction, []byte("probe"))
	if err != nil {
		return
	}
	r.m.probeSent(r, src, dst, seq)
	r.flush(src)
}

// multicast sends one message from a random running node to every
// destination.
func (r *routesRunner) multicast() {
	src := r.e.rng.IntN(r.cfg.Nodes)
	if !r.nodes[src].running {
		return
	}
	var ids []route.NodeID
	for _, d := range r.dests {
		if d != src {
			ids = append(ids, r.ids[d])
		}
	}
	seq, err := r.nodes[src].r.Multicast(r.now(), ids, route.ClassConsensus, []byte("vote"))
	if err != nil {
		return
	}
	r.m.multicastSent(src, seq, len(ids))
	r.flush(src)
}

// check re-evaluates whether routing is converged, every 10 ms while
// routes change.
func (r *routesRunner) check() {
	r.m.evaluate(r)
	r.e.after(10*time.Millisecond, evCheck, 0, 0, 0, r.check)
}

// nextHop is node i's next hop index towards node dest, or -1.
func (r *routesRunner) nextHop(i, dest int) int {
	n := r.nodes[i]
	if !n.running {
		return -1
	}
	id, ok := n.r.NextHop(r.ids[dest])
	if !ok {
		return -1
	}
	return r.index[id]
}
