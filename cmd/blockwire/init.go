package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/node"
)

func newInitCmd() *cobra.Command {
	spec := node.NetworkSpec{Nodes: 1, Producers: 1}
	var engine string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write keys, a genesis and commented configs for a node or a local network",
		Long: `Write what nodes need to start: DIR/genesis.json and, per node, DIR/nodeI/ with
node.key (ed25519: the libp2p identity and block-signing key, mode 0600) and a
commented config.toml. Start a node with: blockwire run --config DIR/node0/config.toml

With --nodes N every node lists every other as a static peer on --host, which
is how blockwire testnet builds its network. Existing keys are reused; an
existing config or genesis is never overwritten.`,
		Example: `  blockwire init --dir ./mynode
  blockwire init --dir ./net --nodes 4 --producers 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec.Engine = node.Engine(engine)
			g, nodes, err := node.InitNetwork(spec)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "chain %s, genesis %s, %d producer(s)\n", g.Chain, g.ID().Hex(), len(g.Producers))
			for _, n := range nodes {
				role := "full"
				if n.Producer {
					role = "producer"
				}
				fmt.Fprintf(out, "  %-6s %-8s %s\n         admin %s, config %s\n", n.Name, role, n.P2PAddr, n.AdminAddr, n.ConfigFile)
			}
			_, err = fmt.Fprintf(out, "start a node: blockwire run --config %s\n", nodes[0].ConfigFile)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.Dir, "dir", "", "directory to write into (required)")
	f.IntVar(&spec.Nodes, "nodes", spec.Nodes, "number of nodes")
	f.IntVar(&spec.Producers, "producers", spec.Producers, "how many of the nodes produce (the first ones)")
	f.StringVar(&spec.Chain, "chain", "blockwire-local", "chain name")
	f.StringVar(&engine, "engine", string(node.EngineCFT), "consensus engine: cft or solo (solo needs --producers 1)")
	f.StringVar(&spec.Host, "host", "127.0.0.1", "IP address nodes listen on and dial")
	f.IntVar(&spec.BasePort, "base-port", 26600, "node i listens on TCP base-port+i and serves admin on base-port+1000+i")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}
