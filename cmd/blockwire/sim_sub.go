package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/sim"
)

// simReport is what every simulator result offers its command.
type simReport interface {
	Summary() string
	Failed() bool
}

// runSim is the RunE of a `blockwire sim <core>` subcommand: run the
// simulation, print its result (one JSON object or the summary), and exit
// with exitInvariant when an invariant failed (the result's failures name
// the seed and the replay command).
func runSim[R any, P interface {
	*R
	simReport
}](run func() (R, error), asJSON *bool) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		res, err := run()
		if err != nil && !errors.Is(err, sim.ErrInvariant) {
			return err
		}
		rep := P(&res)
		if *asJSON {
			if err := json.NewEncoder(cmd.OutOrStdout()).Encode(res); err != nil {
				return err
			}
		} else if _, err := fmt.Fprint(cmd.OutOrStdout(), rep.Summary()); err != nil {
			return err
		}
		if rep.Failed() {
			return &exitError{code: exitInvariant, err: err}
		}
		return nil
	}
}

// simFlags gives a subcommand its simulator config's own flags (so the
// replay command a failure prints always parses) and --json.
func simFlags(cmd *cobra.Command, cfg interface{ RegisterFlags(*flag.FlagSet) }, asJSON *bool) {
	fs := flag.NewFlagSet(cmd.Name(), flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	cmd.Flags().AddGoFlagSet(fs)
	cmd.Flags().BoolVar(asJSON, "json", false, "print one JSON object instead of a summary")
}
