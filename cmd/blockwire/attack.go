package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/multiformats/go-multiaddr"
	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/node"
)

// `blockwire bench attack` runs issue 11's six attacks, one at a time,
// against the processes of a running `blockwire testnet --keep-running`
// and prints one JSON object per attack: the victim's RSS, its head lag
// behind the others, the block rate before and during the attack, and
// whether any producer banned another. It is hidden from the normal help:
// it attacks the nodes it is pointed at.

type attackOptions struct {
	dir      string
	attacks  string
	baseline time.Duration
	duration time.Duration
	txRate   float64
	fill     int
}

func newBenchAttackCmd() *cobra.Command {
	o := attackOptions{}
	cmd := &cobra.Command{
		Use:    "attack",
		Short:  "Run issue 11's hostile-peer attacks against a running local testnet and measure the victims",
		Hidden: true,
		Long: `Attack the nodes of a running "blockwire testnet --keep-running --dir DIR"
with fresh libp2p identities that complete the ordinary link handshake
(the chain id is the testnet's genesis id), one attack at a time:
  1 reservation pinning, 2 hellos naming an old block, 4 window amplification,
  5 relay flood, 6 spoofed status, 3 leader changes with full mempools.
Prints one JSON object per attack.`,
		Example: `  blockwire testnet --reset --dir /tmp/tn --duration 1s --keep-running
  blockwire bench attack --dir /tmp/tn --attacks 1,2,4,5,6,3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			net, err := openAttackNet(cmd.Context(), o.dir)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			for _, a := range strings.Split(o.attacks, ",") {
				run, ok := attacks[strings.TrimSpace(a)]
				if !ok {
					return fmt.Errorf("attack: unknown attack %q (1-6)", a)
				}
				res, err := run(cmd.Context(), net, o)
				if err != nil {
					return fmt.Errorf("attack %s: %w", a, err)
				}
				if err := enc.Encode(res); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "testnet", "the running testnet's directory")
	f.StringVar(&o.attacks, "attacks", "1,2,4,5,6,3", "which attacks, in order (issue 11's numbering)")
	f.DurationVar(&o.baseline, "baseline", 10*time.Second, "measurement before each attack")
	f.DurationVar(&o.duration, "duration", 20*time.Second, "how long each attack lasts")
	f.Float64Var(&o.txRate, "tx-rate", 100, "background key-value transactions per second during every attack")
	f.IntVar(&o.fill, "fill", 60_000, "transactions in the leader's mempool before each leader change (attack 3)")
	return cmd
}

// attackNode is one process of the testnet under attack.
type attackNode struct {
	name     string
	producer bool
	pid      int
	peerID   string
	addr     multiaddr.Multiaddr // its TCP listen address
	client   *adminClient
}

type attackNet struct {
	nodes   []*attackNode
	genesis [32]byte
	dir     string
}

func openAttackNet(ctx context.Context, dir string) (*attackNet, error) {
	infos, err := existingNodes(dir)
	if err != nil {
		return nil, err
	}
	net := &attackNet{dir: dir}
	for _, in := range infos {
		cfg, err := node.LoadConfig(in.ConfigFile)
		if err != nil {
			return nil, err
		}
		raw, err := os.ReadFile(filepath.Join(in.Dir, "pid"))
		if err != nil {
			return nil, err
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil {
			return nil, err
		}
		n := &attackNode{name: in.Name, producer: in.Producer, pid: pid, client: newAdminClient(in.AdminAddr, 5*time.Second)}
		for _, l := range cfg.P2P.Listen {
			if strings.Contains(l, "/tcp/") {
				n.addr, err = multiaddr.NewMultiaddr(strings.Replace(l, "/ip4/0.0.0.0/", "/ip4/127.0.0.1/", 1))
				if err != nil {
					return nil, err
				}
			}
		}
		var st node.Status
		if err := n.client.do(ctx, "GET", "/status", nil, &st, nil); err != nil {
			return nil, err
		}
		n.peerID = st.PeerID.String()
		net.genesis = st.Genesis
		net.nodes = append(net.nodes, n)
	}
	return net, nil
}

// fullNode is the first node that does not produce (the victim of the
// attacks on a follower), or the last node.
func (net *attackNet) fullNode() int {
	for i, n := range net.nodes {
		if !n.producer {
			return i
		}
	}
	return len(net.nodes) - 1
}

// leader is the node every reachable node names as raft leader, or -1.
func (net *attackNet) leader(ctx context.Context) int {
	for _, n := range net.nodes {
		var st node.Status
		if n.client.do(ctx, "GET", "/status", nil, &st, nil) != nil || st.Leader.String() == "" {
			continue
		}
		for i, m := range net.nodes {
			if m.peerID == st.Leader.String() {
				return i
			}
		}
	}
	return -1
}

// rssMB reads VmRSS of pid from /proc, in MiB (0 if unreadable).
func rssMB(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
