package chain

import (
	"fmt"

	"github.com/blockwire/blockwire/internal/invariants"
)

// checkInvariants panics if the execution results and the fork database
// disagree. It costs a pass over the live blocks, so it runs only in builds
// with the invariants tag (make test); a failure is a bug in this package,
// never peer input.
func (c *Chain) checkInvariants() {
	if !invariants.Enabled {
		return
	}
	if len(c.execs) != c.tree.Len() {
		panic(fmt.Sprintf("chain: %d execution results for %d tree blocks", len(c.execs), c.tree.Len()))
	}
	root := c.tree.RootID()
	for id, ex := range c.execs {
		switch {
		case !c.tree.Has(id):
			panic(fmt.Sprintf("chain: execution result for %s outside the tree", id))
		case (id == root) != ex.ov.durable:
			panic(fmt.Sprintf("chain: block %s durable=%v, root %s", id, ex.ov.durable, root))
		}
	}
}
