package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise
// it comes from the module build info.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}

// goVersion is the Go toolchain that built this binary.
func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown"
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "blockwire",
		Short: "blockwire: a blockchain node networking stack",
		Long: `blockwire moves blocks and consensus messages between blockchain nodes,
decides who produces and when a block is final, and keeps the chain and its forks.

Start with "blockwire init --dir DIR", then "blockwire run --config
DIR/node0/config.toml"; or "blockwire testnet" for a whole local network.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCmd(), newSimCmd(), newInitCmd(), newRunCmd(),
		newStatusCmd(), newPeersCmd(), newRoutesCmd(), newBlocksCmd(), newTxCmd(), newTestnetCmd(), newBenchCmd(),
		newProducersCmd(), newConfigCmd(), newKeysCmd(), newAttestCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the Go toolchain that built this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "blockwire %s (%s)\n", versionString(), goVersion())
			return err
		},
	}
}
