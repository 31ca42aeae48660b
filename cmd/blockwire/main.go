// Command blockwire runs blockwire nodes, local testnets, the deterministic
// simulator and the benchmarks. `blockwire --help` lists the commands.
package main

import (
	"errors"
	"fmt"
	"os"
)

// exitError carries a process exit code through cobra's error path; commands
// use it to exit non-zero without printing usage (for example when a
// simulation finds an invariant violation).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "blockwire:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}
