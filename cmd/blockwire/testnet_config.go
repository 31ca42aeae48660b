package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/blockwire/blockwire/node"
)

// addBFTLeaderTimeoutFlag registers --bft-leader-timeout: every node's
// consensus.bft_leader_timeout when DIR is created (a reused DIR keeps its
// own, like --engine and --block-interval).
func addBFTLeaderTimeoutFlag(f *pflag.FlagSet, d *time.Duration) {
	f.DurationVar(d, "bft-leader-timeout", 0,
		"with --engine bft: every node's consensus.bft_leader_timeout (a view whose leader proposed nothing this long is nullified; must exceed --block-interval; 0: the node default, 1s)")
}

// baseConfig is the config every testnet node starts from. It is
// validated here, so a bad flag combination (a leader timeout not above
// the block interval) fails before anything is written, with the config
// key's own message.
func (o *testnetOptions) baseConfig() (node.Config, error) {
	base := node.DefaultConfig()
	base.Consensus.BlockInterval = node.Duration{Duration: o.blockInterval}
	base.Consensus.BFTLeaderTimeout = node.Duration{Duration: o.bftLeaderTimeout}
	base.Log.Format, base.Log.Level = "json", "info"
	return base, base.Validate()
}
