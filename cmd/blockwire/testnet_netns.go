package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdnet "net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/internal/netns"
	"github.com/blockwire/blockwire/internal/topology"
	"github.com/blockwire/blockwire/node"
)

// This file is `blockwire testnet --netns` (issue 19): every node in its
// own network namespace on a bridge, links shaped with tbf, static peers
// per topology, a payload per block, perturbations and a history check,
// and propagation figures from the nodes' own counters.

// netnsOptions are the flags of the namespace mode.
type netnsOptions struct {
	enabled   bool
	bandwidth string
	prio      bool // --prio: pfifo_fast behind each shaped veth end (netns.ShapeWith)
	blockSize int
	topology  string
	degree    int
	seed      uint64
	perturb   string
	relay     string
	settle    time.Duration
}

// NetnsResult is what the namespace mode adds to testnetResult.
type NetnsResult struct {
	Netns     bool   `json:"netns"`
	Subnet    string `json:"subnet"`
	Topology  string `json:"topology"`
	Degree    int    `json:"degree,omitempty"`
	Bandwidth string `json:"bandwidth,omitempty"`
	// Queue is what packets wait in behind --bandwidth's token bucket:
	// "fifo" (one queue, the default) or "prio" (--prio: pfifo_fast, a
	// vote goes before the bulk connection's marked block packets).
	Queue     string `json:"queue,omitempty"`
	BlockSize int    `json:"block_size"`
	Relay     string `json:"relay"`
	// PeersMin is the fewest peers a node had at the end; PeersTarget the
	// topology's degree each node should hold (its neighbours).
	PeersReachedTarget bool `json:"peers_reached_target"`
	PeersMin           int  `json:"peers_min"`
	// LeaderChanges counts raft terms begun during --duration: the
	// highest term a producer reported at the end minus the highest at the
	// start. Every term is an election (raft runs a pre-vote, so a term
	// starts only when a majority would vote; an election that then
	// elects nobody counts too) and, mostly, a new tenure, with
	// its cost: a flood of duplicate bodies in the new producer's first
	// blocks, submits that reach a stale leader (docs/benchmarks.md,
	// "Issue 19: raft leader churn on shaped links").
	LeaderChanges uint64 `json:"leader_changes"`
	// RaftTimers are the producers' raft timers and what the testnet chose
	// them from (testnet_timers.go); BlockTargetBytes is every producer's
	// consensus.block_target_bytes (2 × --block-size).
	RaftTimers       *raftTimersResult `json:"raft_timers,omitempty"`
	BlockTargetBytes int               `json:"block_target_bytes,omitempty"`
	// Propagation figures from every node's /propagation (see propagation).
	propagationFigures
	// Perturbations and the history check (testnet_perturb.go,
	// testnet_history.go).
	Perturbations   []perturbResult `json:"perturbations,omitempty"`
	LostCommittedTx int             `json:"lost_committed_tx"`
	// BehindCommittedTx counts acknowledged transactions above some
	// node's final irreversible height (that node is behind; a problem
	// says which): not lost, not checked there.
	BehindCommittedTx int    `json:"behind_committed_tx"`
	DupCommittedTx    int    `json:"duplicate_committed_tx"`
	CommittedChecked  int    `json:"committed_tx_checked"`
	DivergentHeights  int    `json:"divergent_heights"`
	HeightsCompared   uint64 `json:"heights_compared"`
	PayloadSubmitted  uint64 `json:"payload_submitted"`
	PayloadFailed     uint64 `json:"payload_failed"`
	// PayloadResent counts posts after a failed one: a payload transaction
	// is sent again (the same bytes) to whoever leads then, up to three
	// posts; payload_failed counts those whose every post failed.
	PayloadResent uint64 `json:"payload_resent"`
	// PayloadErrors counts the failed payload submits by reason
	// (route-payload-limit: refused by the routed transport's limit).
	PayloadErrors map[string]uint64 `json:"payload_errors,omitempty"`
	Leftovers     []string          `json:"leftovers,omitempty"`
}

func addNetnsFlags(f *pflag.FlagSet, o *netnsOptions) {
	f.BoolVar(&o.enabled, "netns", false, "run every node in its own network namespace on a bridge (needs root; DIR is recreated)")
	f.StringVar(&o.bandwidth, "bandwidth", "", "with --netns: each node's upload and download rate (tc tbf), e.g. 100mbit")
	f.BoolVar(&o.prio, "prio", false, "with --bandwidth: pfifo_fast's priority bands behind each shaped veth end instead of one FIFO (a host that honours the bulk connection's low-priority mark: votes go before queued block packets)")
	f.IntVar(&o.blockSize, "block-size", 0, "with --netns: a payload of this many bytes per block (key-value transactions of at most 240,000 value bytes, posted to the leader every block interval)")
	f.StringVar(&o.perturb, "perturb", "", "with --netns: perturbations, e.g. 'kill@10s:node3,restart@15s:node3,pause@12s-14s:node1,partition@20s-25s:0-2/3-7,disconnect@30s:node4'")
	f.StringVar(&o.relay, "relay", "blocksync", "with --netns: how block bodies travel: blocksync, or gossipsub (a benchmark baseline, not a production relay)")
	f.DurationVar(&o.settle, "settle", 30*time.Second, "with --netns: after --duration, how long to wait for every node to reach the highest irreversible height before the checks")
}

// validate checks the namespace flags before anything is created.
func (o netnsOptions) validate(nodes int) (topology.Graph, []perturbation, error) {
	if !o.enabled {
		if o.bandwidth != "" || o.prio || o.blockSize != 0 || o.perturb != "" || o.relay != "blocksync" {
			return nil, nil, errors.New("testnet: --bandwidth, --prio, --block-size, --perturb and --relay need --netns")
		}
		return nil, nil, nil
	}
	if o.bandwidth != "" {
		if _, err := netns.ParseRate(o.bandwidth); err != nil {
			return nil, nil, err
		}
	} else if o.prio {
		return nil, nil, errors.New("testnet: --prio needs --bandwidth (unshaped links have no queue to choose)")
	}
	if o.blockSize < 0 || o.blockSize > 16<<20 {
		return nil, nil, fmt.Errorf("testnet: --block-size %d: want 0..16 MiB", o.blockSize)
	}
	if o.relay != "blocksync" && o.relay != "gossipsub" {
		return nil, nil, fmt.Errorf("testnet: --relay %q: want blocksync or gossipsub", o.relay)
	}
	g, err := topology.Build(topology.Spec{Kind: topology.Kind(o.topology), Nodes: nodes, Degree: o.degree, Seed: o.seed})
	if err != nil {
		return nil, nil, err
	}
	ps, err := parsePerturbations(o.perturb, nodes)
	if err != nil {
		return nil, nil, err
	}
	if len(ps) > 0 && o.relay == "gossipsub" {
		return nil, nil, errors.New("testnet: --perturb with --relay gossipsub: the gossipsub baseline has no catch-up (a benchmark mode); perturb the blocksync relay")
	}
	return g, ps, nil
}

// nsNet is a running namespace testnet.
type nsNet struct {
	lab   *netns.Lab
	hosts []*netns.Host
	nodes []node.NetworkNode
	procs []*proc
	graph topology.Graph
	self  string
	// timers are the producers' raft timers (chooseRaftTimers).
	timers       cft.Timers
	timersResult raftTimersResult
	mu           sync.Mutex // guards procs' cmd/exited across perturbations and stop
}

func runNetnsTestnet(ctx context.Context, cmd *cobra.Command, o testnetOptions) (testnetResult, error) {
	res := testnetResult{Nodes: o.spec.Nodes, Producers: o.spec.Producers, Dir: o.spec.Dir}
	g, perturbs, err := o.ns.validate(o.spec.Nodes)
	if err != nil {
		return res, err
	}
	if err := netns.Available(); err != nil {
		return res, &exitError{code: 1, err: fmt.Errorf("testnet --netns: %w (run as root on Linux with ip and tc, or drop --netns)", err)}
	}
	if gone, err := netns.Sweep(); err != nil || len(gone) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "testnet: removed leftovers of an earlier run: %v %v\n", gone, err)
	}
	nr := &NetnsResult{Netns: true, Topology: o.ns.topology, Bandwidth: o.ns.bandwidth, BlockSize: o.ns.blockSize, Relay: o.ns.relay}
	if o.ns.topology == string(topology.Random) {
		nr.Degree = o.ns.degree
	}
	if o.ns.bandwidth != "" {
		nr.Queue = map[bool]string{false: "fifo", true: "prio"}[o.ns.prio]
	}
	res.NetnsResult = nr
	net := &nsNet{graph: g}
	if net.self, err = os.Executable(); err != nil {
		return res, err
	}
	net.lab, err = netns.New()
	if err != nil {
		return res, err
	}
	defer func() {
		if err := net.lab.Close(); err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "testnet: cleanup:", err)
		}
		nr.Leftovers = ourLeftovers()
	}()
	nr.Subnet = net.lab.Subnet.String()
	if err := net.build(o); err != nil {
		return res, err
	}
	nr.RaftTimers, nr.BlockTargetBytes = &net.timersResult, blockTarget(o.ns.blockSize)
	defer net.stopAll(cmd, o.keep)
	if err := net.start(ctx); err != nil {
		return res, err
	}
	return net.run(ctx, cmd, o, perturbs, res)
}

// build makes the hosts, shapes them, and writes the nodes' configs with
// static peers per topology.
func (net *nsNet) build(o testnetOptions) error {
	for range o.spec.Nodes {
		h, err := net.lab.AddHost()
		if err != nil {
			return err
		}
		if o.ns.bandwidth != "" {
			if err := h.ShapeWith(o.ns.bandwidth, o.ns.prio); err != nil {
				return err
			}
		}
		net.hosts = append(net.hosts, h)
	}
	if err := os.RemoveAll(o.spec.Dir); err != nil {
		return err
	}
	spec := o.spec
	spec.Hosts = make([]string, len(net.hosts))
	for i, h := range net.hosts {
		spec.Hosts[i] = h.IP.String()
	}
	spec.Host, spec.AdminToken = "", true // admin is not on loopback: it needs a token
	base, err := o.baseConfig()
	if err != nil {
		return err
	}
	base.P2P.Relay = o.ns.relay
	base.Consensus.BlockTargetBytes = blockTarget(o.ns.blockSize)
	net.timers, net.timersResult = chooseRaftTimers(base.Consensus, spec.Seeds > 0, net.graph, spec.Producers, o.ns.bandwidth != "")
	spec.Base = &base
	_, nodes, err := node.InitNetwork(spec)
	if err != nil {
		return err
	}
	net.nodes = nodes
	return net.writePeers()
}

// writePeers lists node i's neighbours in the topology as its static peers
// (both ends list the edge, so either one reconnects it after a restart;
// producers get no extra links: raft rides routed unicast) and moves the
// admin API onto the namespace's address.
func (net *nsNet) writePeers() error {
	for i, n := range net.nodes {
		cfg, err := node.LoadConfig(n.ConfigFile)
		if err != nil {
			return err
		}
		// The admin API listens on the namespace's address (InitNetwork
		// puts it on loopback), so this driver reaches it over the bridge;
		// the token written beside the config guards it.
		_, port, err := stdnet.SplitHostPort(n.AdminAddr)
		if err != nil {
			return err
		}
		cfg.Admin.Listen = stdnet.JoinHostPort(net.hosts[i].IP.String(), port)
		setRaftTimers(&cfg.Consensus, net.timers)
		net.nodes[i].AdminAddr = cfg.Admin.Listen
		cfg.P2P.StaticPeers = nil
		for _, j := range net.staticPeers(i, cfg.P2P.TargetPeers > 0) {
			cfg.P2P.StaticPeers = append(cfg.P2P.StaticPeers, net.nodes[j].PeerAddrs...)
		}
		data, err := node.RenderConfig(cfg)
		if err != nil {
			return err
		}
		if err := os.WriteFile(n.ConfigFile, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// staticPeers are node i's static peers: its topology neighbours, or with
// --seeds (discovery finds the rest) only the other producers when i is
// one, as validators keep each other as persistent peers: raft then runs
// over direct links, not over relays whose links discovery may shed.
func (net *nsNet) staticPeers(i int, seeds bool) []int {
	if !seeds {
		return net.graph[i]
	}
	var out []int
	if net.nodes[i].Producer {
		for _, j := range net.producers() {
			if j != i {
				out = append(out, j)
			}
		}
	}
	return out
}

// command is node i's `blockwire run` inside its namespace.
func (net *nsNet) command(i int) *exec.Cmd {
	return net.hosts[i].Command(net.self, "run", "--config", net.nodes[i].ConfigFile)
}

func (net *nsNet) start(ctx context.Context) error {
	for i, n := range net.nodes {
		p, err := startProcWith(net.command(i), n)
		if err != nil {
			return err
		}
		tok, err := os.ReadFile(filepath.Join(n.Dir, node.AdminTokenFile))
		if err != nil {
			return err
		}
		p.client.token = strings.TrimSpace(string(tok))
		net.procs = append(net.procs, p)
	}
	startCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for _, p := range net.procs {
		if err := p.waitHealthy(startCtx); err != nil {
			return err
		}
	}
	return nil
}

// clients are admin clients with the nodes' tokens, for long requests.
func (net *nsNet) clients(timeout time.Duration) []*adminClient {
	out := make([]*adminClient, len(net.procs))
	for i, p := range net.procs {
		out[i] = newAdminClient(p.info.AdminAddr, timeout)
		out[i].token = p.client.token
	}
	return out
}

func (net *nsNet) stopAll(cmd *cobra.Command, keep bool) {
	if keep {
		fmt.Fprintln(cmd.ErrOrStderr(), "testnet: --keep-running is ignored with --netns (the namespaces are removed)")
	}
	net.mu.Lock()
	defer net.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range net.procs {
		// A paused node cannot handle SIGTERM: continue it first.
		_ = p.cont()
		wg.Go(func() {
			if err := p.stop(15 * time.Second); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "testnet:", err)
			}
		})
	}
	wg.Wait()
}

// ourLeftovers lists what this process's lab left on the machine (must
// be nothing).
func ourLeftovers() []string {
	left, err := netns.Leftovers()
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	mine := fmt.Sprintf("%s%d", netns.Prefix, os.Getpid())
	mineNS := fmt.Sprintf("%s-%d-", netns.Prefix, os.Getpid())
	for _, l := range left {
		_, name, _ := strings.Cut(l, " ")
		if strings.HasPrefix(name, mineNS) || strings.HasPrefix(name, mine) && len(name) > len(mine) && strings.ContainsAny(name[len(mine):len(mine)+1], "bhi") {
			out = append(out, l)
		}
	}
	return out
}

// printNetnsSummary adds the namespace mode's lines to the summary.
func printNetnsSummary(w io.Writer, r *NetnsResult) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "network\tnamespaces on %s, topology %s (degree %d), bandwidth %s (queue %s), block payload %d bytes, relay %s\n",
		r.Subnet, r.Topology, r.Degree, r.Bandwidth, r.Queue, r.BlockSize, r.Relay)
	fmt.Fprintf(w, "raft\t%d leader changes (terms begun) during the run\n", r.LeaderChanges)
	if t := r.RaftTimers; t != nil {
		fmt.Fprintf(w, "raft timers\theartbeat %d ms, election %d ms, lease %d ms (producers %d hop(s) apart, %d ms per shaped queue)\n",
			t.HeartbeatMs, t.ElectionMs, t.LeaseMs, t.Hops, t.QueueMs)
	}
	fmt.Fprintf(w, "peers\tevery node reached its topology's degree: %v (fewest %d)\n", r.PeersReachedTarget, r.PeersMin)
	fmt.Fprintf(w, "propagation\t%.3f copies/node, p50 %.1f ms, p100 %.1f ms (max %.1f) over %d blocks\n",
		r.CopiesPerNode, r.PropagationP50Ms, r.PropagationP100Ms, r.PropagationMaxMs, r.BlocksMeasured)
	for _, p := range r.Perturbations {
		fmt.Fprintf(w, "perturbation\t%s: at %.1f s, healed %.1f s, irreversibility resumed in %.0f ms, caught up in %.0f ms %s\n", p.Spec, p.AtS, p.HealedS, p.RecoveryMs, p.CaughtUpMs, p.Error)
	}
	fmt.Fprintf(w, "history\t%d acknowledged tx checked, %d lost, %d duplicated, %d above a lagging node's irreversible height; %d heights compared, %d divergent\n",
		r.CommittedChecked, r.LostCommittedTx, r.DupCommittedTx, r.BehindCommittedTx, r.HeightsCompared, r.DivergentHeights)
	if len(r.Leftovers) > 0 {
		fmt.Fprintf(w, "LEFTOVERS\t%v\n", r.Leftovers)
	}
}
