package netview

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// View is the picture and what of it was last sent. Deltas are computed
// against the sent state, never the latest report, so that a change held
// back by a bound is sent later and a snapshot (built from the sent state)
// plus the following deltas always equals the picture.
type View struct {
	cfg  Config
	seq  uint64
	last time.Time // the previous Step, for byte rates

	// Invariant: nodes, links and routes hold exactly what the frames up
	// to seq carried.
	nodes      map[string]Node
	links      map[string]Link
	linkSentAt map[string]uint64 // seq of the frame that last carried the link
	routes     map[string][]Route

	// counters are each link's cumulative lane counters at the previous
	// Step (rates are differences of them).
	counters map[string][]Lane

	waves        map[string]*wave
	waveFloor    uint64 // arrivals at or below this height are forgotten
	wavesDropped uint64

	history []Point
}

// wave is one block's arrivals, and those not yet sent.
type wave struct {
	Wave
	seen    map[string]bool
	pending []WaveArrival
}

// New returns an empty view.
func New(cfg Config) (*View, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &View{cfg: cfg, nodes: map[string]Node{}, links: map[string]Link{}, linkSentAt: map[string]uint64{},
		routes: map[string][]Route{}, counters: map[string][]Lane{}, waves: map[string]*wave{}}, nil
}

// Step takes one report per node, gathered at now, and returns the delta
// since the previous Step. Reports from a node that did not answer have
// Node.Down set; its links are kept as last sent.
func (v *View) Step(now time.Time, reports []Report) Frame {
	v.seq++
	f := Frame{Kind: "delta", Seq: v.seq, TimeMs: now.UnixMilli()}
	var dt float64
	if !v.last.IsZero() {
		dt = now.Sub(v.last).Seconds()
	}
	v.last = now
	reports = withIDs(reports)
	nodes := v.currentNodes(reports)
	v.diffNodes(&f, nodes)
	v.diffLinks(&f, v.currentLinks(reports, dt))
	v.diffRoutes(&f, reports, nodes)
	v.addArrivals(reports)
	v.flushWaves(&f)
	p := point(now, nodes)
	v.history = append(v.history, p)
	if len(v.history) > v.cfg.History {
		v.history = slices.Delete(v.history, 0, len(v.history)-v.cfg.History)
	}
	f.Consensus = []Point{p}
	f.WavesDropped = v.wavesDropped
	return f
}

// withIDs names a node that never told its id by its name.
func withIDs(reports []Report) []Report {
	out := make([]Report, 0, len(reports))
	for _, r := range reports {
		if r.Node.ID == "" {
			r.Node.ID = r.Node.Name
		}
		if r.Node.ID != "" {
			out = append(out, r)
		}
	}
	return out
}

// Snapshot is the whole picture as sent so far: the nodes, links and
// routes, the latest waves and the consensus history.
func (v *View) Snapshot() Frame {
	f := Frame{Kind: "snapshot", Seq: v.seq, WavesDropped: v.wavesDropped}
	if !v.last.IsZero() {
		f.TimeMs = v.last.UnixMilli()
	}
	for _, id := range slices.Sorted(maps.Keys(v.nodes)) {
		f.Nodes = append(f.Nodes, v.nodes[id])
	}
	for _, k := range slices.Sorted(maps.Keys(v.links)) {
		f.Links = append(f.Links, v.links[k])
	}
	for _, id := range slices.Sorted(maps.Keys(v.routes)) {
		f.Routes = append(f.Routes, NodeRoutes{Node: id, Routes: v.routes[id]})
	}
	f.Waves = v.recentWaves()
	f.Consensus = slices.Clone(v.history)
	return f
}

// currentNodes is every node in the picture now: the reporters, and the
// peers they name that do not report themselves (Remote).
func (v *View) currentNodes(reports []Report) map[string]Node {
	out := make(map[string]Node, len(reports))
	for _, r := range reports {
		n := r.Node
		if n.Down {
			if prev, ok := v.nodes[n.ID]; ok && !prev.Remote {
				prev.Down, prev.Error = true, n.Error
				n = prev
			}
		}
		out[n.ID] = n
	}
	for _, r := range reports {
		for _, p := range r.Peers {
			if self, ok := out[p.ID]; ok && !self.Remote {
				continue
			}
			rn := out[p.ID]
			role := rn.Role
			if p.Producer {
				role = "producer"
			}
			// Down unless some reporter has a live link to it.
			up := p.Connected || rn.ID != "" && !rn.Down
			out[p.ID] = Node{ID: p.ID, Role: role, Remote: true, Down: !up,
				Head: max(rn.Head, p.Head), Irreversible: max(rn.Irreversible, p.Irreversible)}
		}
	}
	return out
}

func (v *View) diffNodes(f *Frame, cur map[string]Node) {
	for _, id := range slices.Sorted(maps.Keys(cur)) {
		if prev, ok := v.nodes[id]; !ok || prev != cur[id] {
			f.Nodes = append(f.Nodes, cur[id])
			v.nodes[id] = cur[id]
		}
	}
	for _, id := range slices.Sorted(maps.Keys(v.nodes)) {
		if _, ok := cur[id]; !ok {
			f.NodesGone = append(f.NodesGone, id)
			delete(v.nodes, id)
			delete(v.routes, id)
		}
	}
}

// diffRoutes sends a node's whole table when any entry changed.
func (v *View) diffRoutes(f *Frame, reports []Report, nodes map[string]Node) {
	for _, r := range reports {
		if r.Node.Down {
			continue
		}
		cur := make([]Route, len(r.Routes))
		for i, rt := range r.Routes {
			rt.RTTMs = tenth(rt.RTTMs)
			cur[i] = rt
		}
		slices.SortFunc(cur, func(a, b Route) int { return cmp.Compare(a.Dest, b.Dest) })
		if prev, ok := v.routes[r.Node.ID]; ok && slices.Equal(prev, cur) || !ok && len(cur) == 0 {
			continue
		}
		v.routes[r.Node.ID] = cur
		f.Routes = append(f.Routes, NodeRoutes{Node: r.Node.ID, Routes: cur})
	}
	for id := range v.routes {
		if _, ok := nodes[id]; !ok {
			delete(v.routes, id)
		}
	}
}

// point summarises the consensus state over the nodes that answered.
func point(now time.Time, nodes map[string]Node) Point {
	p := Point{TimeMs: now.UnixMilli()}
	votes := map[string]int{}
	for _, n := range nodes {
		if n.Down || n.Remote {
			continue
		}
		if p.Up == 0 {
			p.IrrMin, p.HeadMin = n.Irreversible, n.Head
		}
		p.Up++
		p.Term = max(p.Term, n.Term)
		p.IrrMin, p.IrrMax = min(p.IrrMin, n.Irreversible), max(p.IrrMax, n.Irreversible)
		p.HeadMin, p.HeadMax = min(p.HeadMin, n.Head), max(p.HeadMax, n.Head)
		if n.Leader != "" {
			votes[n.Leader]++
		}
	}
	best := 0
	for _, l := range slices.Sorted(maps.Keys(votes)) {
		if votes[l] > best {
			p.Leader, best = l, votes[l]
		}
	}
	return p
}
