package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/node"
)

func newInitCmd() *cobra.Command {
	spec := node.NetworkSpec{Nodes: 1, Producers: 1, QUIC: true, AdminToken: true}
	var engine, hosts string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write keys, a genesis and commented configs for a node or a network",
		Long: `Write what nodes need to start: DIR/genesis.json and, per node, DIR/nodeI/ with
node.key (ed25519: the libp2p identity and block-signing key, mode 0600),
admin.token (the admin API's bearer token, mode 0600) and a commented
config.toml. Start a node with: blockwire run --config DIR/node0/config.toml

Several machines: --hosts names each node's address (an IP or a DNS name, one
per node, in order; repeat an address for several nodes on one machine). Node
I listens on its host (TCP and QUIC, port --base-port, +1 for each earlier
node on the same host) and lists every other node at its host as a static
peer. Behind NAT, where a machine's public address is not local, add
--listen-host 0.0.0.0. The admin API always listens on loopback (the host
itself when it is a 127.x address, else 127.0.0.1) on --admin-port, the
port the other commands use by default.

One machine: --nodes N without --hosts puts every node on --host.
Existing keys and tokens are reused; an existing config or genesis is never
overwritten.`,
		Example: `  blockwire init --dir ./mynode
  blockwire init --dir ./net --hosts 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4 --producers 3
  blockwire init --dir ./net --nodes 4 --producers 3      # all on 127.0.0.1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec.Engine = node.Engine(engine)
			if hosts != "" {
				spec.Hosts = splitList(hosts)
				if !cmd.Flags().Changed("nodes") {
					spec.Nodes = len(spec.Hosts)
				}
			}
			g, nodes, err := node.InitNetwork(spec)
			if err != nil {
				return err
			}
			return printInit(cmd, g, nodes)
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.Dir, "dir", "", "directory to write into (required)")
	f.IntVar(&spec.Nodes, "nodes", spec.Nodes, "number of nodes (default: one per --hosts entry)")
	f.IntVar(&spec.Producers, "producers", spec.Producers, "how many of the nodes produce (the first ones)")
	f.StringVar(&spec.Chain, "chain", "blockwire-local", "chain name")
	f.StringVar(&engine, "engine", string(node.EngineCFT), "consensus engine: cft, bft or solo (solo needs --producers 1)")
	f.StringVar(&hosts, "hosts", "", "comma-separated address of each node (IP or DNS name), in node order")
	f.StringVar(&spec.Host, "host", "127.0.0.1", "the one address of every node, without --hosts")
	f.StringVar(&spec.ListenHost, "listen-host", "", "IP every node listens on instead of its host (0.0.0.0 behind NAT)")
	f.BoolVar(&spec.QUIC, "quic", spec.QUIC, "listen and dial on QUIC (UDP, same port) beside TCP")
	f.IntVar(&spec.BasePort, "base-port", 9000, "p2p port (TCP and UDP) of the first node on each host; the next ones count up")
	f.IntVar(&spec.AdminBasePort, "admin-port", 9100, "admin port of the first node on each host; the next ones count up")
	topologyFlags(cmd, &spec)
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

func printInit(cmd *cobra.Command, g *node.Genesis, nodes []node.NetworkNode) error {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "chain %s, genesis %s, %d producer(s), engine %s\n", g.Chain, g.ID().Hex(), len(g.Producers), g.Engine)
	for _, n := range nodes {
		role := "full"
		if n.Producer {
			role = "producer"
		}
		fmt.Fprintf(out, "  %-6s %-8s %s\n         admin %s, config %s\n", n.Name, role, strings.Join(n.PeerAddrs, " "), n.AdminAddr, n.ConfigFile)
	}
	fmt.Fprintf(out, "copy genesis.json and each nodeI/ directory to its machine (keys stay there), then\n")
	_, err := fmt.Fprintf(out, "start a node: blockwire run --config %s\n", nodes[0].ConfigFile)
	return err
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
