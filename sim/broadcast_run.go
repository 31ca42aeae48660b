package sim

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/internal/topology"
	"github.com/blockwire/blockwire/transport/broadcast"
)

// bcTopic is the one topic of the broadcast simulation.
const bcTopic broadcast.Topic = 1

// banAfter is how many penalties a node takes from a peer before it closes
// the link for the rest of the run (the link layer's ban, simplified).
const banAfter = 10

// byzPeriod is how often a byzantine node attacks.
const byzPeriod = 50 * time.Millisecond

// bcRunner is one broadcast simulation: the blocksync simulator's network
// and engine, one broadcast.Engine per running node, and the metrics.
// Engines exchange encoded frames (Receive decodes them), so the wire
// format and its sizes are the real ones.
type bcRunner struct {
	cfg     BroadcastConfig
	netCfg  Config
	e       *engine
	net     *network
	g       graph
	epoch   time.Time
	keys    []ed25519.PrivateKey
	ids     []broadcast.NodeID
	index   map[broadcast.NodeID]int
	nodes   []*bcNode
	pubs    []int
	banned  map[[2]int]bool
	strikes map[[2]int]int // penalties given by node a to peer b
	m       bcMetrics
}

// bcNode is one node: its engine while running, its timer, its links.
type bcNode struct {
	i        int
	r        *bcRunner
	eng      *broadcast.Engine
	byz      BroadcastBehaviour
	up       bool
	peers    map[int]bool
	deadline time.Time
	tgen     uint64
	spamSeq  int
}

// bcFrame is what a simulated link carries: the encoded frame, plus the
// digest of a Push for the copy count.
type bcFrame struct {
	b      []byte
	push   bool
	digest broadcast.Digest
}

// RunBroadcast simulates cfg and returns what it measured. The error is
// non-nil for an invalid config, or wraps ErrInvariant when an invariant
// failed (a message not delivered to a node that stayed reachable, a
// cache over its budget, a penalty between correct nodes).
func RunBroadcast(cfg BroadcastConfig) (BroadcastResult, error) {
	if err := cfg.Validate(); err != nil {
		return BroadcastResult{}, err
	}
	r, err := newBcRunner(cfg)
	if err != nil {
		return BroadcastResult{}, err
	}
	end := r.schedule()
	for r.e.step(end) {
	}
	r.e.now = end
	res := r.result()
	if res.Failed() {
		return res, fmt.Errorf("%w: %v (replay: %s)", ErrInvariant, res.Failures, res.Command)
	}
	return res, nil
}

func newBcRunner(cfg BroadcastConfig) (*bcRunner, error) {
	e := newEngine(cfg.Seed)
	g, err := buildTopology(Config{Nodes: cfg.Nodes, Topology: cfg.Topology, Degree: cfg.Degree}, e.rng)
	if err != nil {
		return nil, err
	}
	if cfg.TopologySeed != 0 && cfg.Topology == TopologyRandom {
		if g, err = topology.Build(topology.Spec{Kind: topology.Random, Nodes: cfg.Nodes, Degree: cfg.Degree, Seed: cfg.TopologySeed}); err != nil {
			return nil, err
		}
	}
	r := &bcRunner{cfg: cfg, e: e, g: g, epoch: time.Unix(1_700_000_000, 0), index: map[broadcast.NodeID]int{},
		banned: map[[2]int]bool{}, strikes: map[[2]int]int{}, pubs: cfg.publishers()}
	r.netCfg = Config{Latency: cfg.Latency, Jitter: cfg.Jitter, Bandwidth: cfg.Bandwidth, Loss: cfg.Loss, Chunk: 64 << 10}
	r.net = newNetwork(e, &r.netCfg, g, &netStats{})
	r.net.banned = func(a, b int) bool { return r.banned[key(a, b)] }
	for i := 0; i < cfg.Nodes; i++ {
		seed := make([]byte, ed25519.SeedSize)
		for j := range seed {
			seed[j] = byte(e.rng.Uint32())
		}
		k := ed25519.NewKeyFromSeed(seed)
		var id broadcast.NodeID
		copy(id[:], k.Public().(ed25519.PublicKey))
		r.keys, r.ids = append(r.keys, k), append(r.ids, id)
		r.index[id] = i
		n := &bcNode{i: i, r: r}
		r.nodes = append(r.nodes, n)
		r.net.nodes = append(r.net.nodes, n)
	}
	for _, b := range cfg.Byzantine {
		for _, v := range b.Nodes {
			r.nodes[v].byz = b.Behaviour
		}
	}
	r.m.init(r)
	return r, nil
}

func (r *bcRunner) now() time.Time { return r.epoch.Add(r.e.now) }

func (r *bcRunner) correct(i int) bool { return r.nodes[i].byz == "" }

// engineConfig is every node's broadcast.Config: one topic of MsgSize
// whose validator accepts only correct origins (validators authorise by
// the authenticated origin; byzantine nodes are no authorised publisher).
func (r *bcRunner) engineConfig(i int) broadcast.Config {
	c := broadcast.DefaultConfig()
	c.Key = r.keys[i]
	c.Limits.MaxPayload = max(r.cfg.MsgSize, 1)
	c.Topics = map[broadcast.Topic]broadcast.TopicConfig{bcTopic: {MaxSize: r.cfg.MsgSize, Validator: func(o broadcast.NodeID, _ broadcast.Topic, _ []byte) broadcast.Verdict {
		if j, ok := r.index[o]; ok && r.correct(j) {
			return broadcast.Accept
		}
		return broadcast.Reject
	}}}
	if r.cfg.GraftTimeout > 0 {
		c.GraftTimeout = r.cfg.GraftTimeout
	}
	if r.cfg.DequeSize > 0 {
		c.DequeSize = r.cfg.DequeSize
	}
	if r.cfg.PeerBytes > 0 {
		c.PeerBytes = r.cfg.PeerBytes
	}
	if r.cfg.CacheBytes > 0 {
		c.CacheBytes = r.cfg.CacheBytes
	}
	c.CacheBytes = max(c.CacheBytes, c.PeerBytes)
	return c
}

// schedule boots every node, queues messages, faults, churn and
// byzantine attacks, and returns the end of the run.
func (r *bcRunner) schedule() time.Duration {
	for i := range r.nodes {
		r.boot(i)
	}
	r.e.at(0, evFault, -1, 0, 0, r.net.reconcile)
	start := time.Second
	for k := 0; k < r.cfg.Messages; k++ {
		k := k
		r.e.at(start+time.Duration(k)*r.cfg.Interval, evProduce, int32(r.pubs[k%len(r.pubs)]), 0, uint64(k), func() { r.publish(k) })
	}
	last := start + time.Duration(r.cfg.Messages-1)*r.cfg.Interval
	for i := range r.cfg.Faults {
		r.scheduleFault(&r.cfg.Faults[i])
	}
	r.churn(start, last)
	for _, n := range r.nodes {
		if n.byz == BroadcastSpam || n.byz == BroadcastOversized {
			r.e.at(start, evProduce, int32(n.i), 1, 0, n.attack)
		}
	}
	return last + r.cfg.Settle
}

func (r *bcRunner) scheduleFault(f *Fault) {
	switch f.Kind {
	case FaultPartition:
		r.e.at(f.From, evFault, 1, 0, 0, func() { r.net.cuts = append(r.net.cuts, f); r.changed() })
		r.e.at(f.To, evFault, 2, 0, 0, func() { r.net.cuts = without(r.net.cuts, f); r.changed() })
	case FaultOneWay:
		r.e.at(f.From, evFault, 3, 0, 0, func() { r.net.holds = append(r.net.holds, f) })
		r.e.at(f.To, evFault, 4, 0, 0, func() { r.net.holds = without(r.net.holds, f); r.changed() })
	case FaultCrash:
		r.e.at(f.From, evFault, 5, 0, 0, func() {
			for _, v := range f.Nodes {
				r.crash(v)
			}
		})
	case FaultRestart:
		r.e.at(f.From, evFault, 6, 0, 0, func() {
			for _, v := range f.Nodes {
				r.restart(v)
			}
		})
	}
}

// churn draws cfg.Churn crashes of non-publishing correct nodes while
// messages flow, each restarted 2 s later.
func (r *bcRunner) churn(start, last time.Duration) {
	var cand []int
	for i := range r.nodes {
		if r.correct(i) && !r.isPub(i) {
			cand = append(cand, i)
		}
	}
	for k := 0; k < r.cfg.Churn && len(cand) > 0; k++ {
		v := cand[r.e.rng.IntN(len(cand))]
		at := start + time.Duration(r.e.rng.Int64N(int64(last-start)+1))
		r.e.at(at, evFault, 5, int32(v), 0, func() { r.crash(v) })
		r.e.at(at+2*time.Second, evFault, 6, int32(v), 0, func() { r.restart(v) })
	}
}

func (r *bcRunner) isPub(i int) bool {
	for _, p := range r.pubs {
		if p == i {
			return true
		}
	}
	return false
}

// changed reconciles the links with the fault state and lets the metrics
// drop (message, node) pairs that lost their path to the origin.
func (r *bcRunner) changed() {
	r.net.reconcile()
	r.m.reachabilityChanged(r)
}

// boot starts node i with a fresh engine (a restart loses the cache, as a
// real restart would).
func (r *bcRunner) boot(i int) {
	eng, err := broadcast.New(r.engineConfig(i), r.now())
	if err != nil {
		panic(err) // engineConfig is valid by construction: a broken invariant
	}
	eng.SetPrimary(r.now(), r.ids)
	n := r.nodes[i]
	n.eng, n.up, n.peers, n.deadline = eng, true, map[int]bool{}, time.Time{}
	n.tgen++
	r.net.up[i] = true
	n.flush()
}

func (r *bcRunner) crash(v int) {
	n := r.nodes[v]
	if !n.up {
		return
	}
	r.m.retire(n)
	n.up, n.eng = false, nil
	n.tgen++
	r.net.up[v] = false
	r.changed()
}

func (r *bcRunner) restart(v int) {
	if r.nodes[v].up {
		return
	}
	r.boot(v)
	r.changed()
}

// publish sends message k from its publisher.
func (r *bcRunner) publish(k int) {
	src := r.pubs[k%len(r.pubs)]
	n := r.nodes[src]
	if !n.up {
		return
	}
	payload := make([]byte, r.cfg.MsgSize)
	for j := 0; j < len(payload) && j < 8; j++ {
		payload[j] = byte(k >> (8 * j))
	}
	d, _, err := n.eng.Broadcast(r.now(), bcTopic, payload, broadcast.All())
	if err != nil {
		panic(err) // the topic and size are ours: a broken invariant
	}
	r.m.published(r, src, d)
	n.flush()
}

// punish records penalties node i gave; after banAfter from one peer the
// link closes for the rest of the run.
func (r *bcRunner) punish(i int, ps []broadcast.Penalty) {
	for _, p := range ps {
		peer, ok := r.index[p.Peer]
		if !ok {
			continue
		}
		r.m.penalty(r, i, peer, p)
		k := key(i, peer)
		r.strikes[[2]int{i, peer}]++
		if r.strikes[[2]int{i, peer}] == banAfter && !r.banned[k] {
			r.banned[k] = true
			r.m.bans++
			if l := r.net.links[k]; l != nil && l.up {
				r.net.close(l)
			}
			r.m.reachabilityChanged(r)
		}
	}
}

// deliver is the network handing node n a frame.
func (n *bcNode) deliver(from int, m *wireMsg) {
	if !n.up {
		return
	}
	f := m.payload.(*bcFrame)
	n.r.m.arrived(n.r, n.i, from, f)
	_ = n.eng.Receive(n.r.now(), n.r.ids[from], f.b) // penalties arrive in Ready
	n.flush()
}

func (n *bcNode) connected(peer int) {
	if !n.up {
		return
	}
	n.peers[peer] = true
	n.eng.AddLink(n.r.now(), n.r.ids[peer])
	n.flush()
}

func (n *bcNode) disconnected(peer int) {
	if !n.up {
		return
	}
	delete(n.peers, peer)
	n.eng.RemoveLink(n.r.now(), n.r.ids[peer])
	n.flush()
}

// flush performs the node's Ready.
func (n *bcNode) flush() {
	r := n.r
	if !n.up || !n.eng.HasReady() {
		return
	}
	rd := n.eng.Ready()
	n.eng.Advance()
	for _, d := range rd.Delivered {
		r.m.delivered(r, n.i, d.Msg.Digest())
		if n.byz == BroadcastPullFlood {
			n.pullFlood(d.Msg)
		}
	}
	r.punish(n.i, rd.Penalties)
	for _, m := range rd.Messages {
		n.send(r.index[m.To], m.Lane, m.Frame)
	}
	r.m.sample(r, n)
	if !rd.Deadline.Equal(n.deadline) {
		n.deadline = rd.Deadline
		n.tgen++
		tg := n.tgen
		r.e.at(rd.Deadline.Sub(r.epoch), evTick, int32(n.i), 0, 0, func() {
			if n.tgen == tg && n.up {
				n.eng.Tick(r.now())
				n.flush()
			}
		})
	}
}

func (n *bcNode) send(to int, lane broadcast.Lane, f broadcast.Frame) {
	b := f.AppendTo(nil)
	wf := &bcFrame{b: b}
	if p, ok := f.(*broadcast.Push); ok {
		wf.push, wf.digest = true, p.Msg.Digest()
	}
	l := laneControl
	if lane == broadcast.LaneBulk {
		l = laneBlocks
	}
	n.r.m.sent(n.r, lane, len(b))
	n.r.net.send(n.i, to, &wireMsg{lane: l, size: len(b), payload: wf})
}

// sortedPeers lists the node's live links in order.
func (n *bcNode) sortedPeers() []int {
	var out []int
	for p := range n.peers {
		out = append(out, p)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
