package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/node"
)

type testnetOptions struct {
	spec          node.NetworkSpec
	duration      time.Duration
	txRate        float64
	blockInterval time.Duration
	asJSON        bool
	reset         bool
	keep          bool
	ns            netnsOptions  // --netns and its flags (testnet_netns.go)
	uiListen      string        // --ui-listen (testnet_ui.go)
	attest        attestOptions // --verifiers, --attest (testnet_attest.go)
	kill          killOptions   // --kill-leader, --kill-down (testnet_kill.go)

	bftLeaderTimeout time.Duration // --bft-leader-timeout (testnet_config.go)
}

// testnetResult is what `blockwire testnet --json` prints.
type testnetResult struct {
	Nodes           int               `json:"nodes"`
	Producers       int               `json:"producers"`
	DurationS       float64           `json:"duration_s"`
	DrainS          float64           `json:"drain_s"`
	HeadMin         uint64            `json:"head_min"`
	HeadMax         uint64            `json:"head_max"`
	IrreversibleMin uint64            `json:"irreversible_min"`
	IrreversibleMax uint64            `json:"irreversible_max"`
	IrreversibleAdv bool              `json:"irreversible_advanced"`
	StateRootsEqual bool              `json:"state_roots_equal"`
	ComparedHeight  uint64            `json:"compared_height"`
	BlocksPerS      float64           `json:"blocks_per_s"`
	TxSubmitted     uint64            `json:"tx_submitted"`
	TxCommitted     uint64            `json:"tx_committed"`
	TxFailed        uint64            `json:"tx_failed"`
	TxShed          uint64            `json:"tx_shed"`
	TxErrors        map[string]uint64 `json:"tx_errors,omitempty"`
	TxPerS          float64           `json:"tx_per_s"`
	TxP50Ms         float64           `json:"tx_p50_ms"`
	TxP99Ms         float64           `json:"tx_p99_ms"`
	Dir             string            `json:"dir"`
	Problems        []string          `json:"problems,omitempty"`
	UIURL           string            `json:"ui_url,omitempty"`
	// ReachS: how long the load waited for every node to reach a
	// producer before it started (testnet_ready.go).
	ReachS float64 `json:"producers_reachable_s,omitempty"`

	Discovery    *discoveryResult  `json:"discovery,omitempty"`   // with --seeds (testnet_seeds.go)
	Attest       *attestResult     `json:"attest,omitempty"`      // with --verifiers (testnet_attest.go)
	Consensus    *consensusFigures `json:"consensus,omitempty"`   // finality, view changes (testnet_finality.go)
	LeaderKill   *killResult       `json:"leader_kill,omitempty"` // with --kill-leader (testnet_kill.go)
	*NetnsResult                   // with --netns (testnet_netns.go)
}

func newTestnetCmd() *cobra.Command {
	o := testnetOptions{spec: node.NetworkSpec{Nodes: 4, Producers: 3}}
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Run a local network of real node processes and show it live",
		Long: `Start N real blockwire node processes on loopback (the first P produce, under
raft, or BFT with --engine bft), submit key-value transactions at --tx-rate spread over the nodes, show
each node's head, irreversible height, peers, blocks/s, tx/s and lag live,
serve a live page of the whole network for a browser (topology, trees,
routes, block waves, consensus, lanes; its URL is printed; --ui-listen),
and at the end print a summary (or one JSON object) and stop every process.

DIR keeps everything: genesis.json and per node its key, config.toml, data/,
node.log (JSON), stderr.log, pid and admin address (in its config), so you
can inspect, kill or restart a node by hand:
  blockwire status --node <admin address>
  blockwire run --config DIR/node2/config.toml
An existing DIR is reused (same keys and chain); --reset starts afresh.
The exit code is 2 when the nodes disagree or irreversibility did not advance.`,
		Example: `  blockwire testnet --nodes 4 --producers 3 --duration 20s
  blockwire testnet --engine bft --nodes 5 --producers 4 --duration 30s --tx-rate 200 --json
  blockwire testnet --engine bft --nodes 5 --producers 4 --duration 30s --tx-rate 200 --kill-leader 10s --kill-down 10s --json
  blockwire testnet --nodes 4 --producers 3 --duration 30s --tx-rate 5000 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, err := runTestnet(ctx, cmd, o)
			if err != nil {
				return err
			}
			if o.asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else if err := printTestnetSummary(cmd.OutOrStdout(), res); err != nil {
				return err
			}
			if len(res.Problems) > 0 {
				return &exitError{code: 2, err: fmt.Errorf("testnet: %s", res.Problems[0])}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.spec.Nodes, "nodes", o.spec.Nodes, "number of node processes")
	f.IntVar(&o.spec.Producers, "producers", o.spec.Producers, "how many of them produce (raft voters, or BFT signers)")
	f.Var((*engineFlag)(&o.spec.Engine), "engine", "consensus engine: cft (raft), bft, or solo (--producers 1); a reused DIR keeps its own")
	f.DurationVar(&o.duration, "duration", 20*time.Second, "how long to run")
	f.Float64Var(&o.txRate, "tx-rate", 0, "key-value transactions per second to submit, spread over the nodes")
	f.DurationVar(&o.blockInterval, "block-interval", 100*time.Millisecond, "the leader's block interval")
	addBFTLeaderTimeoutFlag(f, &o.bftLeaderTimeout)
	f.StringVar(&o.spec.Dir, "dir", "testnet", "directory for every node's data, config, log and key")
	f.IntVar(&o.spec.BasePort, "base-port", 0, "node i listens on base-port+i and serves admin on base-port+1000+i (default: the first free block from 26600 up, below the ephemeral port range)")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object at the end instead of a summary")
	f.BoolVar(&o.reset, "reset", false, "delete DIR first")
	topologyFlags(cmd, &o.spec)
	f.BoolVar(&o.keep, "keep-running", false, "leave the nodes running at the end (stop them with kill $(cat DIR/*/pid))")
	addNetnsFlags(f, &o.ns)
	f.StringVar(&o.uiListen, "ui-listen", "", "serve the live network page here (default 127.0.0.1:<base-port+2000>; off: none)")

	addAttestFlags(f, &o.attest)
	addKillFlags(f, &o.kill)
	return cmd
}

func runTestnet(ctx context.Context, cmd *cobra.Command, o testnetOptions) (testnetResult, error) {
	// --topology, --degree and --topology-seed are testnet's own (topologyFlags).
	o.ns.topology, o.ns.degree, o.ns.seed = string(o.spec.Topology), o.spec.Degree, o.spec.Seed
	if err := o.kill.validate(o.duration, o.ns.enabled); err != nil {
		return testnetResult{}, err
	}
	if _, _, err := o.ns.validate(o.spec.Nodes); err != nil || o.ns.enabled {
		if err != nil {
			return testnetResult{}, err
		}
		return runNetnsTestnet(ctx, cmd, o)
	}
	res := testnetResult{Nodes: o.spec.Nodes, Producers: o.spec.Producers, Dir: o.spec.Dir}
	nodes, err := prepareTestnet(&o)
	if err != nil {
		return res, err
	}
	res.Nodes, res.Producers = len(nodes), 0
	for _, n := range nodes {
		if n.Producer {
			res.Producers++
		}
	}
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	procs := make([]*proc, 0, len(nodes))
	defer func() {
		if o.keep {
			return
		}
		for _, p := range procs {
			if err := p.stop(15 * time.Second); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "testnet:", err)
			}
		}
	}()
	for _, n := range nodes {
		p, err := startProc(self, n)
		if err != nil {
			return res, err
		}
		procs = append(procs, p)
	}
	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for _, p := range procs {
		if err := p.waitHealthy(startCtx); err != nil {
			return res, err
		}
	}

	ui, err := startTestnetUI(uiListen(o.uiListen, o.spec.BasePort), procs)
	if err != nil {
		return res, err
	}
	defer func() {
		if err := ui.Close(); err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "testnet: live page:", err)
		}
	}()
	if ui != nil {
		res.UIURL = ui.URL
		fmt.Fprintf(cmd.ErrOrStderr(), "live network page: %s\n", ui.URL)
	}

	clients := make([]*adminClient, len(procs))
	for i, p := range procs {
		clients[i] = newAdminClient(p.info.AdminAddr, submitWait)
	}
	if o.txRate > 0 {
		wait, err := waitProducersReachable(ctx, procs, clients) // testnet_ready.go
		if res.ReachS = wait.Seconds(); err != nil {
			return res, err
		}
	}
	view := newLiveView(cmd.ErrOrStderr(), procs)
	first := view.sample(ctx)

	runCtx, stopRun := context.WithTimeout(ctx, o.duration)
	defer stopRun()
	load := newTxLoad(o.txRate, clients)
	killer := newLeaderKiller(o.kill, node.Engine(engineOf(first)), self, procs, view, load) // nil without --kill-leader
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		load.run(runCtx, uint64(time.Now().UnixNano()))
	}()
	began := time.Now()
	killDone := killer.start(ctx, o.duration, began)
	view.run(runCtx, load)
	elapsed := time.Since(began)
	last := view.sample(context.Background())
	// Transactions sent during the window may still be on their way into a
	// block: wait for them, but rates are over the window itself.
	drainBegan := time.Now()
	<-loadDone
	res.DrainS = time.Since(drainBegan).Seconds()
	res.DurationS = elapsed.Seconds()
	summarize(&res, first, last, elapsed)
	res.TxSubmitted, res.TxCommitted = load.submitted.Load(), load.committed.Load()
	res.TxFailed, res.TxShed = load.failed.Load(), load.shed.Load()
	res.TxErrors = load.errors
	res.TxPerS = float64(res.TxCommitted) / elapsed.Seconds()
	res.TxP50Ms, res.TxP99Ms = load.percentile(0.50), load.percentile(0.99)
	<-killDone
	fig, timeline := measureConsensus(context.Background(), engineOf(first), clients, producerFlags(procs), first, last)
	res.Consensus = fig
	compareStateRoots(context.Background(), &res, clients)
	if killer != nil {
		res.LeaderKill = killer.finish(fig, timeline, &res.Problems)
	}
	if o.spec.Seeds > 0 {
		collectDiscovery(context.Background(), &res, o.spec.Seeds, nodeNames(nodes), clients)
	}

	res.Attest = collectAttest(ctx, &o.attest, clients)
	res.Problems = append(res.Problems, res.Attest.problems()...)
	return res, nil
}

func nodeNames(nodes []node.NetworkNode) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	return out
}

// engineFlag is --engine: a node.Engine checked when set.
type engineFlag node.Engine

func (e *engineFlag) String() string { return string(*e) }
func (e *engineFlag) Type() string   { return "engine" }
func (e *engineFlag) Set(s string) error {
	switch node.Engine(s) {
	case node.EngineCFT, node.EngineBFT, node.EngineSolo:
		*e = engineFlag(s)
		return nil
	}
	return fmt.Errorf("%q, want cft, bft or solo", s)
}

// prepareTestnet creates DIR with InitNetwork, or reuses the nodes already
// written there.
func prepareTestnet(o *testnetOptions) ([]node.NetworkNode, error) {
	if o.reset {
		if err := os.RemoveAll(o.spec.Dir); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(o.spec.Dir, "genesis.json")); err == nil {
		return existingNodes(o.spec.Dir)
	}
	bp, err := pickBasePort(o.spec.BasePort, o.spec.Nodes, ephemeralRange(), busyPort)
	if err != nil {
		return nil, err
	}
	o.spec.BasePort = bp
	base, err := o.baseConfig()
	if err != nil {
		return nil, err
	}
	o.spec.Base = &base
	o.spec.Nodes += o.attest.verifiers
	conf, err := o.attest.configure(o.spec.Nodes)
	if err != nil {
		return nil, err
	}
	o.spec.Configure = conf
	_, nodes, err := node.InitNetwork(o.spec)
	return nodes, err
}

// existingNodes reads back the nodes a previous testnet wrote into dir.
func existingNodes(dir string) ([]node.NetworkNode, error) {
	var nodes []node.NetworkNode
	for i := 0; ; i++ {
		cfgPath := filepath.Join(dir, fmt.Sprintf("node%d", i), "config.toml")
		cfg, err := node.LoadConfig(cfgPath)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, node.NetworkNode{
			Name: cfg.Node.Name, Dir: filepath.Dir(cfgPath), ConfigFile: cfgPath,
			Producer: cfg.Node.Role == node.RoleProducer, AdminAddr: cfg.Admin.Listen,
		})
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("testnet: %s has a genesis.json but no node0/config.toml; use --reset", dir)
	}
	return nodes, nil
}
