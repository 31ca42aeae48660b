package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/blockwire/blockwire/internal/netview"
	"github.com/blockwire/blockwire/node"
)

// synthNet is a measurement load for the live page without node
// processes: n nodes on a random degree-4 graph, 3 producers, a block
// every 100 ms from the leader (a new leader every 20 s), each block's
// arrival at every node after BFS hops × 1–3 ms, per-producer BFS trees as
// the active links, jittering RTTs and growing byte counters. It isolates
// the stream's and the page's cost from 50 real processes' CPU use. It is a
// load generator for TestMeasureLivePage only, never a stand-in for a node.
type synthNet struct {
	mu     sync.Mutex
	rng    *rand.Rand
	n      int
	adj    [][]int
	parent [][]int // parent[p][i]: i's BFS parent toward producer p
	hops   [][]int
	start  time.Time
	bytes  map[[2]int]uint64
	blocks []synthBlock
	ids    []string
}

func (s *synthNet) sid(i int) string { return s.ids[i] }

type synthBlock struct {
	height   uint64
	producer int
	at       time.Time
}

func newSynthNet(n int) (*synthNet, error) {
	adj, err := node.Neighbours(node.TopologyRandom, n, 4, 1)
	if err != nil {
		return nil, err
	}
	s := &synthNet{rng: rand.New(rand.NewPCG(1, 2)), n: n, adj: adj, start: time.Now(), bytes: map[[2]int]uint64{}}
	for i := range n {
		s.ids = append(s.ids, peerIDFor(i))
	}
	for p := range 3 {
		par, hops := bfs(adj, p)
		s.parent, s.hops = append(s.parent, par), append(s.hops, hops)
	}
	return s, nil
}

func bfs(adj [][]int, root int) (parent, hops []int) {
	parent, hops = make([]int, len(adj)), make([]int, len(adj))
	for i := range parent {
		parent[i], hops[i] = -1, -1
	}
	hops[root] = 0
	for q := []int{root}; len(q) > 0; q = q[1:] {
		for _, j := range adj[q[0]] {
			if hops[j] < 0 {
				hops[j], parent[j] = hops[q[0]]+1, q[0]
				q = append(q, j)
			}
		}
	}
	return parent, hops
}

// peerIDFor is node i's id: as long and as random-looking as a libp2p peer id,
// so that compression ratios are realistic.
func peerIDFor(i int) string {
	const b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	r := rand.New(rand.NewPCG(uint64(i), 99))
	id := []byte("12D3KooW")
	for len(id) < 52 {
		id = append(id, b58[r.IntN(len(b58))])
	}
	return string(id)
}

// Reports returns every node's report at the current time.
func (s *synthNet) Reports(context.Context) []netview.Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	el := now.Sub(s.start)
	leader := int(el/(20*time.Second)) % 3
	for h := uint64(len(s.blocks)) + 1; h <= uint64(el/(100*time.Millisecond)); h++ {
		s.blocks = append(s.blocks, synthBlock{height: h, producer: leader, at: s.start.Add(time.Duration(h) * 100 * time.Millisecond)})
	}
	head := uint64(len(s.blocks))
	out := make([]netview.Report, s.n)
	for i := range out {
		r := netview.Report{Node: netview.Node{ID: s.sid(i), Name: fmt.Sprintf("node%d", i), Role: "full", Engine: "cft",
			Head: head, Irreversible: head - min(head, 1), Term: uint64(2 + el/(20*time.Second)), Leader: s.sid(leader),
			Sync: "synced", Peers: len(s.adj[i])}}
		if i < 3 {
			r.Node.Role, r.Node.Producing = "producer", i == leader
		}
		for _, j := range s.adj[i] {
			r.Peers = append(r.Peers, s.peer(i, j))
		}
		for p := range 3 {
			if p != i {
				r.Routes = append(r.Routes, netview.Route{Dest: s.sid(p), NextHop: s.sid(s.nextHop(p, i)), Reachable: true,
					Metric: uint64(10 * s.hops[p][i]), RTTMs: 0.5})
			}
		}
		for _, b := range s.blocks[max(0, len(s.blocks)-32):] {
			at := b.at.Add(time.Duration(s.hops[b.producer][i]) * time.Duration(1+s.rng.IntN(3)) * time.Millisecond)
			if at.After(now) {
				continue
			}
			r.Arrivals = append(r.Arrivals, netview.Arrival{Block: fmt.Sprintf("%064x", b.height), Height: b.height,
				Producer: s.sid(b.producer), AtUs: at.UnixMicro(), Produced: i == b.producer, Copies: min(1, s.hops[b.producer][i])})
		}
		out[i] = r
	}
	return out
}

// nextHop is i's first hop toward producer p: its BFS parent.
func (s *synthNet) nextHop(p, i int) int { return s.parent[p][i] }

// peer is i's link to j: active for the producers whose tree has the edge.
func (s *synthNet) peer(i, j int) netview.Peer {
	tree := map[string]string{}
	active := false
	for p := range 3 {
		m := "backup"
		if s.parent[p][j] == i {
			m, active = "active", true
		}
		tree[s.sid(p)] = m
	}
	k := [2]int{i, j}
	if active {
		s.bytes[k] += uint64(20_000 + s.rng.IntN(5000))
	} else {
		s.bytes[k] += uint64(200 + s.rng.IntN(100))
	}
	back := s.bytes[[2]int{j, i}]
	lanes := []netview.Lane{{Name: "consensus", BytesIn: back / 50, BytesOut: s.bytes[k] / 50}, {Name: "routing", BytesIn: 100, BytesOut: 100},
		{Name: "blocks", Queued: int64(s.rng.IntN(4000)), BytesIn: back, BytesOut: s.bytes[k]}, {Name: "sync", BytesIn: 10, BytesOut: 10}}
	return netview.Peer{ID: s.sid(j), Connected: true, Producer: j < 3, Direction: "outbound", Mode: "active", Tree: tree,
		RTTMs: 0.3 + s.rng.Float64()*2, Lanes: lanes, Head: uint64(len(s.blocks)), Irreversible: uint64(len(s.blocks)) - 1}
}
