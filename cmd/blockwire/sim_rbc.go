package main

import (
	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/sim"
)

// newSimRBCCmd is `blockwire sim rbc`: the transport/rbc cores of N
// participants, some byzantine, on a simulated network (sim.RunRBC).
func newSimRBCCmd() *cobra.Command {
	cfg := sim.DefaultRBCConfig()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rbc",
		Short: "Simulate reliable broadcast (transport/rbc) with byzantine participants, loss, partitions and crash-restarts",
		Long: `Run the reliable-broadcast cores of N participants on virtual time, one
network per seed, with --byzantine of them byzantine (behaviours: an origin
that equivocates, double echoes and readies, forged and replayed
signatures, silence, instance floods), message loss, partitions and
crash-restarts at persist/send boundaries inside a fault window. Once the
network has healed it checks agreement (no two correct participants
deliver different payloads for one instance), totality (all correct
participants deliver or none) and validity (a correct origin's payload is
delivered by all), and reports the good-case delivery rounds and the
messages per instance. The exit code is 2 when an invariant fails; the
error names the seed and the command that replays it.`,
		Example: `  blockwire sim rbc --nodes 7 --byzantine 2 --seeds 1000 --json
  blockwire sim rbc --nodes 4 --byzantine 1 --behaviours equivocate --loss 0.2 --seed 9`,
		Args: cobra.NoArgs,
		RunE: runSim(func() (sim.RBCResult, error) { return sim.RunRBC(cfg) }, &asJSON),
	}
	simFlags(cmd, &cfg, &asJSON)
	return cmd
}
