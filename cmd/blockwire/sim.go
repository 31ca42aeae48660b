package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/sim"
)

// exitInvariant is the exit code of a simulation whose invariants failed, so
// scripts can tell it from a usage error (1).
const exitInvariant = 2

func newSimCmd() *cobra.Command {
	cfg := sim.DefaultConfig()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the deterministic network simulator",
		Long: `Run blocksync on a simulated network on virtual time, from one seed.

The same flags and seed always give the same trace_hash. The exit code is 2
when an invariant fails (a safety violation, a correct block rejected, or
heads that do not agree once the network settles); the error names the
failure and the command that replays it.

Faults (--faults, comma-separated; times are virtual; sim/doc.go has more):
  partition@2s-5s:0-24/25-49   split nodes 0-24 from 25-49 from 2s to 5s
  oneway@2s-5s:0-3>4-9         drop traffic from 0-3 to 4-9 only
  crash@3s:7,restart@6s:7      crash node 7 (unsynced state lost), restart it
  byz@3+7:withhold             nodes 3 and 7 are byzantine: equivocate,
                               badsig, garbage, withhold or unknownparent;
                               bft producers also doublevote, unknownblock,
                               forge, silent, nullify, twin (2nd engine on
                               node producers+i), lie (equivocates, withholds
                               votes, lies in nullify reports)
  crashpoint@0s-3s:0-3:0.05    bft producers 0-3 crash between persist and send`,
		Example: `  blockwire sim --nodes 50 --topology random --degree 8 --block-size 1048576 --blocks 100 --json
  blockwire sim --nodes 20 --mode rotate --producers 4 --faults 'partition@1s-4s:0-9/10-19'
  blockwire sim --mode bft --producers 4 --nodes 16 --latency 10ms --blocks 200 --faults crash@1s:1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := sim.Run(cfg)
			if err != nil && !errors.Is(err, sim.ErrInvariant) {
				return err
			}
			if asJSON {
				if err := json.NewEncoder(cmd.OutOrStdout()).Encode(res); err != nil {
					return err
				}
			} else {
				if _, err := fmt.Fprintln(cmd.OutOrStdout(), res.Summary()); err != nil {
					return err
				}
			}
			if res.Failed() {
				return &exitError{code: exitInvariant, err: fmt.Errorf("%w; replay with: %s", err, cfg.Command())}
			}
			return nil
		},
	}
	// The simulator owns its flags (sim.Config.RegisterFlags), so the
	// command it prints to replay a run always parses here.
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	cmd.Flags().AddGoFlagSet(fs)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of a summary")
	cmd.AddCommand(newSimRoutesCmd(), newSimBroadcastCmd(), newSimAttestCmd(), newSimRBCCmd())
	return cmd
}

// newSimRoutesCmd is `blockwire sim routes`: the transport/route cores of
// N nodes on simulated links (sim.RunRoutes).
func newSimRoutesCmd() *cobra.Command {
	cfg := sim.DefaultRoutesConfig()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "routes",
		Short: "Simulate multi-hop routing (transport/route) with link failures, crashes and restarts",
		Long: `Run the routing cores of N nodes on simulated links on virtual time, from one
seed, and report loops (checked after every route change; must be 0),
convergence after each fault, stretch, control traffic and probe delivery.
The exit code is 2 when an invariant fails; the error names the command
that replays the run.

Faults (--faults, comma-separated; otherwise --churn draws them):
  down@10s:3-4      link 3-4 silently loses everything
  up@14s:3-4        link 3-4 (re)connects
  close@12s:1-2     link 1-2 closes cleanly
  crash@20s:7       node 7 stops silently
  restart@25s:7     node 7 restarts with a fresh router id`,
		Example: `  blockwire sim routes --nodes 200 --topology random --degree 8 --seed 1 --json
  blockwire sim routes --nodes 7 --topology ring --destinations 7 --rewire 1s --duration 20s`,
		Args: cobra.NoArgs,
		RunE: runSim(func() (sim.RoutesResult, error) { return sim.RunRoutes(cfg) }, &asJSON),
	}
	simFlags(cmd, &cfg, &asJSON)
	return cmd
}
