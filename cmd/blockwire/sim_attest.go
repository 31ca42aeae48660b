package main

import (
	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/sim"
)

// newSimAttestCmd is `blockwire sim attest`: the consensus/attest
// scheduler of one requester and the verifier cores of N verifiers on
// simulated links (sim.RunAttest).
func newSimAttestCmd() *cobra.Command {
	cfg := sim.DefaultAttestConfig()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "attest",
		Short: "Simulate attestation collection (consensus/attest) with faulty verifiers, loss and requester crashes",
		Long: `Run one requester's attestation scheduler (on a pebble store in memory,
crash-cloned when it crashes) and N verifiers on simulated links on virtual
time, from one seed. Verifiers may be unresponsive, sign the wrong block,
answer after the deadline (late), answer slowly, or send every receipt twice.

The run fails (exit code 2) when a block is finalized with fewer valid
distinct verifications than required (under_attested) or more, when a
verifier is asked twice without cause, when a correct node is penalized, or
when every level has enough responsive verifiers and yet a block is not
attested. The error names the command that replays the run.`,
		Example: `  blockwire sim attest --verifiers 12 --unresponsive 4 --blocks 100 --json
  blockwire sim attest --levels L2=3,L3=1 --verifiers 8 --late 2 --loss 0.05 --crashes 3`,
		Args: cobra.NoArgs,
		RunE: runSim(func() (sim.AttestResult, error) { return sim.RunAttest(cfg) }, &asJSON),
	}
	simFlags(cmd, &cfg, &asJSON)
	return cmd
}
