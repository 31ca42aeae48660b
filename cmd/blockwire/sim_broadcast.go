package main

import (
	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/sim"
)

// newSimBroadcastCmd is `blockwire sim broadcast`: the transport/broadcast
// cores of N nodes on simulated links (sim.RunBroadcast).
func newSimBroadcastCmd() *cobra.Command {
	cfg := sim.DefaultBroadcastConfig()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "broadcast",
		Short: "Simulate network broadcast (transport/broadcast) with loss, partitions, churn and byzantine peers",
		Long: `Run the broadcast cores of N nodes on simulated links on virtual time, from one
seed: eager push along per-origin trees, digest announcements on the other
links, grafts and pulls on a miss, prunes on duplicates. Reports copies per
node, delivery, latency against the store-and-forward ideal, cache bytes
against the budget, pulls and penalties. The exit code is 2 when an
invariant fails; the error names the command that replays the run.

Faults (--faults, ParseFaults syntax): partition@2s-5s:0-24/25-49,
oneway@2s-5s:0-3>4-9, crash@3s:7, restart@6s:7.
Byzantine nodes (--byz): 3+7:spam (distinct signed messages and
announcements never served), 9:oversized, 11:pullflood.`,
		Example: `  blockwire sim broadcast --nodes 50 --topology random --degree 8 --msg-size 65536 --messages 100 --seed 1 --json
  blockwire sim broadcast --loss 0.01 --churn 5 --byz '5:spam,9:pullflood,13:oversized'`,
		Args: cobra.NoArgs,
		RunE: runSim(func() (sim.BroadcastResult, error) { return sim.RunBroadcast(cfg) }, &asJSON),
	}
	simFlags(cmd, &cfg, &asJSON)
	return cmd
}
