package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check a node's configuration",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newConfigCheckCmd())
	return cmd
}

func newConfigCheckCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate a config, its genesis, key and token files without starting the node",
		Long: `Load the config as "blockwire run" would and check what it names: every key
and value, the genesis file, the key file (and, for a producer, that its key
is in the genesis), the p2p settings (listen addresses, static peers, and a
warning for a static peer that cannot be dialled), and the admin token when
admin.listen is not loopback. Nothing is created and the database is not
opened. Prints a summary and exits 0, or names every problem found and exits 1.`,
		Example: `  blockwire config check --config ./net/node0/config.toml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return checkConfig(cmd.OutOrStdout(), configPath)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "the node's config.toml (required)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// checkConfig prints what the config describes, or every problem found.
func checkConfig(w io.Writer, path string) error {
	cfg, err := node.LoadConfig(path)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	var problems []string
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	g, err := node.LoadGenesis(cfg.Path(cfg.Node.GenesisFile))
	if err != nil {
		problem("node.genesis_file: %v", err)
	}
	id, pub, err := readKey(cfg.Path(cfg.Node.KeyFile))
	if err != nil {
		problem("node.key_file: %v", err)
	}
	var warnings []string
	if g != nil && id != "" && cfg.Node.Role == node.RoleProducer && !isGenesisProducer(g, id) {
		// A warning, not a problem: a producer a set change added may say
		// so (the set in force decides, not the config).
		warnings = append(warnings, fmt.Sprintf("node.role = \"producer\", but the key %s is not in the genesis producer set: "+
			"it produces only if a producer-set change added it", id))
	}
	if g != nil {
		if err := g.CheckEngine(cfg.Consensus.Engine, cfg.Path(cfg.Node.GenesisFile)); err != nil {
			problem("%v", err)
		}
	}
	if g != nil && cfg.Consensus.Engine == node.EngineSolo && len(g.Producers) != 1 {
		problem("consensus.engine = \"solo\" needs a genesis with exactly 1 producer, it has %d", len(g.Producers))
	}
	lc, err := cfg.LinkConfig()
	if err != nil {
		problem("%v", err)
	}
	if cfg.Admin.Listen != "" && !node.LoopbackListen(cfg.Admin.Listen) {
		if _, err := node.ReadAdminToken(cfg.Path(cfg.Admin.TokenFile)); err != nil {
			problem("admin.token_file (needed: admin.listen %s is not loopback): %v", cfg.Admin.Listen, err)
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(w, "config %s: %s\n", path, p)
		}
		return &exitError{code: 1, err: fmt.Errorf("config %s: %d problem(s)", path, len(problems))}
	}
	fmt.Fprintf(w, "config %s is valid\n", path)
	fmt.Fprintf(w, "  node     %s (%s, %s), peer id %s\n", cfg.Node.Name, cfg.Node.Role, cfg.Consensus.Engine, id)
	fmt.Fprintf(w, "  key      %s (ed25519 public %x)\n", cfg.Path(cfg.Node.KeyFile), pub)
	fmt.Fprintf(w, "  chain    %s, genesis %s, %d producer(s), engine %s\n", g.Chain, g.ID().Hex(), len(g.Producers), genesisEngine(g))
	fmt.Fprintf(w, "  listen   %v\n", cfg.P2P.Listen)
	fmt.Fprintf(w, "  peers    %d static\n", len(cfg.P2P.StaticPeers))
	for _, warn := range append(warnings, link.UndialableStatic(lc.StaticPeers)...) {
		fmt.Fprintf(w, "  warning  %s\n", warn)
	}
	admin := "off"
	if cfg.Admin.Listen != "" {
		admin = cfg.Admin.Listen + " (loopback, no token)"
		if !node.LoopbackListen(cfg.Admin.Listen) {
			admin = cfg.Admin.Listen + " (token required for changes and pprof)"
		}
	}
	fmt.Fprintf(w, "  admin    %s\n", admin)
	_, err = fmt.Fprintf(w, "  data     %s\n", cfg.Path(cfg.Node.DataDir))
	return err
}

// readKey reads a key file without creating one (run would create it).
func readKey(path string) (peer.ID, []byte, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("%s does not exist (blockwire init writes it; blockwire run would create a new identity)", path)
	}
	k, err := link.LoadOrCreateKey(path)
	if err != nil {
		return "", nil, err
	}
	id, err := peer.IDFromPrivateKey(k)
	if err != nil {
		return "", nil, err
	}
	raw, err := k.GetPublic().Raw()
	if err != nil {
		return "", nil, err
	}
	return id, raw, nil
}

func isGenesisProducer(g *node.Genesis, id peer.ID) bool {
	for _, p := range g.Producers {
		if p.PeerID == id.String() {
			return true
		}
	}
	return false
}

// genesisEngine names the engine a genesis records ("any" for a file that
// predates the field: consensus.engine decides).
func genesisEngine(g *node.Genesis) string {
	if g.Engine == "" {
		return "any (not recorded)"
	}
	return string(g.Engine)
}
