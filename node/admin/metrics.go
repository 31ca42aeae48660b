package admin

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node"
)

// Metrics exports a node's state to Prometheus. Create it before the node
// (it is the node's Observer, node.WithObserver), then Attach the node.
//
// Catch-up and block rates are rate() over blockwire_blocks_received_total;
// propagation delay is a histogram of first-seen time minus the producer's
// timestamp (so it includes clock skew between machines).
type Metrics struct {
	reg         *prometheus.Registry
	propagation prometheus.Histogram
	blockBytes  prometheus.Histogram

	mu sync.Mutex
	b  Backend
	// live holds each live link's last-seen lane counters, and retired the
	// sum over links that have gone, so lane counters never go backwards.
	live    map[linkKey]laneTotals
	retired laneTotals
}

type linkKey struct {
	peer link.PeerID
	up   time.Time
}

type laneTotals struct {
	in, out [link.NumLanes]uint64
	drops   [link.NumLanes]map[link.DropReason]uint64
}

func (t *laneTotals) add(o *laneTotals) {
	for l := range link.NumLanes {
		t.in[l] += o.in[l]
		t.out[l] += o.out[l]
		for r, n := range o.drops[l] {
			if t.drops[l] == nil {
				t.drops[l] = map[link.DropReason]uint64{}
			}
			t.drops[l][r] += n
		}
	}
}

var _ node.Observer = (*Metrics)(nil)

// NewMetrics registers the Go runtime, process and block histograms in reg.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		reg: reg,
		propagation: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "blockwire_block_propagation_seconds",
			Help:    "Time from a block's timestamp to its first arrival here (includes producer clock skew).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		blockBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "blockwire_block_size_bytes",
			Help:    "Encoded size of blocks received from peers.",
			Buckets: prometheus.ExponentialBuckets(256, 4, 12),
		}),
		live: map[linkKey]laneTotals{},
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.propagation, m.blockBytes)
	return m
}

// RegisterBuildInfo adds blockwire_build_info{version, go_version}, always
// 1: join on it to see which version each node runs during an upgrade.
func (m *Metrics) RegisterBuildInfo(version, goVersion string) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "blockwire_build_info",
		Help:        "Always 1; labels name the running binary's version and Go toolchain.",
		ConstLabels: prometheus.Labels{"version": version, "go_version": goVersion},
	})
	g.Set(1)
	m.reg.MustRegister(g)
}

// ObserveBlock implements node.Observer.
func (m *Metrics) ObserveBlock(o node.BlockObservation) {
	m.propagation.Observe(max(o.Delay, 0).Seconds())
	m.blockBytes.Observe(float64(o.Size))
}

// Attach starts exporting b's state.
func (m *Metrics) Attach(b Backend) {
	m.mu.Lock()
	m.b = b
	m.mu.Unlock()
	m.reg.MustRegister(m)
	if src, ok := b.(RBCSource); ok {
		m.reg.MustRegister(rbcCollector{src})
	}
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descHead         = desc("blockwire_head_height", "Height of the best head.")
	descIrreversible = desc("blockwire_irreversible_height", "Height of the last irreversible block.")
	descCatchingUp   = desc("blockwire_catching_up", "1 while a verified peer head is well above ours.")
	descStalled      = desc("blockwire_stalled", "1 while our head stands still below a verified peer head.")
	descBestPeer     = desc("blockwire_best_peer_height", "Highest verified peer head.")
	descHeadAge      = desc("blockwire_head_age_seconds", "Now minus the head block's timestamp (includes producer clock skew).")
	descPeers        = desc("blockwire_peers", "Peers by state.", "state")
	descPeerModes    = desc("blockwire_peer_modes", "Connected peers by block-sending mode.", "mode")
	descLaneBytes    = desc("blockwire_lane_bytes_total", "Message bytes per lane and direction.", "lane", "direction")
	descLaneQueued   = desc("blockwire_lane_queued_bytes", "Bytes queued to send, per lane, over all peers.", "lane")
	descDrops        = desc("blockwire_lane_drops_total", "Messages dropped per lane and reason.", "lane", "reason")
	descBlocks       = desc("blockwire_blocks_total", "Blocks by outcome: received, duplicate, stale, produced.", "outcome")
	descRejected     = desc("blockwire_rejected_total", "Refused blocks and messages by reason.", "reason")
	descTxs          = desc("blockwire_tx_total", "Transactions by stage: submitted, accepted, forwarded.", "stage")
	descRaftTerm     = desc("blockwire_raft_term", "Current raft term (CFT producers).")
	descRaftCommit   = desc("blockwire_raft_commit_index", "raft commit index (CFT producers).")
	descRaftApplied  = desc("blockwire_raft_applied_index", "raft applied index (CFT producers).")
	descRaftLeader   = desc("blockwire_raft_leader", "1 while this node is the raft leader.")
	descFailovers    = desc("blockwire_raft_failovers_total", "Leader changes seen by this node.")
)

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descHead, descIrreversible, descCatchingUp, descStalled, descBestPeer, descHeadAge, descPeers, descPeerModes,
		descLaneBytes, descLaneQueued, descDrops, descBlocks, descRejected, descTxs,
		descRaftTerm, descRaftCommit, descRaftApplied, descRaftLeader, descFailovers} {
		ch <- d
	}
	for _, d := range append(routeDescs, attestDescs...) {
		ch <- d
	}
	for _, d := range broadcastDescs {
		ch <- d
	}
	for _, d := range bftDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	st := m.b.Status()
	gauge(descHead, float64(st.Head.Height))
	gauge(descIrreversible, float64(st.Irreversible.Height))
	gauge(descCatchingUp, boolFloat(st.Sync == "catching_up"))
	gauge(descStalled, boolFloat(st.Sync == "stalled"))
	gauge(descBestPeer, float64(st.BestPeer))
	gauge(descHeadAge, headAge(st, time.Now()).Seconds())

	m.collectPeers(gauge, counter)
	m.collectRoutes(gauge, counter)
	m.collectBroadcast(gauge, counter)

	m.collectAttest(gauge, counter)

	c := m.b.Counters()
	counter(descBlocks, c.BlocksReceived, "received")
	counter(descBlocks, c.Duplicates, "duplicate")
	counter(descBlocks, c.Stale, "stale")
	counter(descBlocks, c.Produced, "produced")
	for _, reason := range seededRejects {
		if _, ok := c.Rejected[reason]; !ok {
			counter(descRejected, 0, reason)
		}
	}
	for reason, n := range c.Rejected {
		counter(descRejected, n, reason)
	}
	counter(descTxs, c.TxSubmitted, "submitted")
	counter(descTxs, c.TxAccepted, "accepted")
	counter(descTxs, c.TxForwarded, "forwarded")

	cs := m.b.Consensus()
	collectBFT(cs.BFT, gauge, counter)
	if raft := cs.Raft; raft != nil {
		gauge(descRaftTerm, float64(raft.Term))
		gauge(descRaftCommit, float64(raft.CommitIndex))
		gauge(descRaftApplied, float64(raft.AppliedIndex))
		gauge(descRaftLeader, boolFloat(raft.State == "Leader"))
		counter(descFailovers, raft.Failovers)
	}
}

func (m *Metrics) collectPeers(gauge func(*prometheus.Desc, float64, ...string), counter func(*prometheus.Desc, uint64, ...string)) {
	states := map[string]float64{"connected": 0, "disconnected": 0, "banned": 0}
	modes := map[string]float64{}
	var queued [link.NumLanes]int64
	seen := map[linkKey]bool{}
	var total laneTotals
	for _, p := range m.b.Peers() {
		switch {
		case p.Ban != nil:
			states["banned"]++
		case p.Connected:
			states["connected"]++
		default:
			states["disconnected"]++
		}
		if p.Stats == nil {
			continue
		}
		modes[p.Stats.Mode.String()]++
		key := linkKey{peer: p.Peer, up: p.Stats.Established}
		seen[key] = true
		var t laneTotals
		for l, ls := range p.Stats.Lanes {
			t.in[l], t.out[l], t.drops[l] = ls.BytesIn, ls.BytesOut, ls.Drops
			queued[l] += ls.QueuedBytes
		}
		m.live[key] = t
		total.add(&t)
	}
	for key, t := range m.live {
		if !seen[key] {
			m.retired.add(&t)
			delete(m.live, key)
		}
	}
	total.add(&m.retired)
	for s, n := range states {
		gauge(descPeers, n, s)
	}
	for mode, n := range modes {
		gauge(descPeerModes, n, mode)
	}
	for l := range link.Lane(link.NumLanes) {
		lane := l.String()
		counter(descLaneBytes, total.in[l], lane, "in")
		counter(descLaneBytes, total.out[l], lane, "out")
		gauge(descLaneQueued, float64(queued[l]), lane)
		for _, reason := range seededDrops {
			if _, ok := total.drops[l][reason]; !ok {
				counter(descDrops, 0, lane, string(reason))
			}
		}
		for reason, n := range total.drops[l] {
			counter(descDrops, n, lane, string(reason))
		}
	}
}

// seededDrops and seededRejects are exported at 0 before the first one
// happens, so that blockwire_lane_drops_total and blockwire_rejected_total
// exist on a healthy node (an alert on rate() needs the series; issue 12
// found both documented and absent).
var (
	seededDrops   = []link.DropReason{link.DropQueueFull, link.DropModeOff, link.DropClosed, link.DropRateLimited, link.DropResource}
	seededRejects = []string{"invalid", "unknown-producer", "bad-state-root", "mempool-full"}
)

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
