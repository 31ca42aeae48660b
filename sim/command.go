package sim

import (
	"fmt"
	"strings"
)

// Command renders the `blockwire sim` invocation that replays c. Flags the
// CLI does not have yet are emitted only when they differ from the default,
// so common runs print the flags the issue lists.
func (c Config) Command() string {
	d := DefaultConfig()
	args := []string{"blockwire sim",
		fmt.Sprintf("--seed %d", c.Seed),
		fmt.Sprintf("--nodes %d", c.Nodes),
		fmt.Sprintf("--topology %s", c.Topology),
		fmt.Sprintf("--degree %d", c.Degree),
		fmt.Sprintf("--blocks %d", c.Blocks),
		fmt.Sprintf("--block-size %d", c.BlockSize),
		fmt.Sprintf("--interval %s", c.Interval),
		fmt.Sprintf("--latency %s", c.Latency),
		fmt.Sprintf("--jitter %s", c.Jitter),
		fmt.Sprintf("--bandwidth %d", c.Bandwidth),
		fmt.Sprintf("--loss %g", c.Loss),
		fmt.Sprintf("--dup %g", c.Dup),
		fmt.Sprintf("--reorder %g", c.Reorder),
		fmt.Sprintf("--producers %d", c.Producers),
		fmt.Sprintf("--mode %s", c.Mode),
		fmt.Sprintf("--relay %s", c.Relay),
	}
	if len(c.Faults) > 0 {
		args = append(args, fmt.Sprintf("--faults '%s'", FormatFaults(c.Faults)))
	}
	extra := []struct {
		differs bool
		flag    string
	}{
		{c.TermBlocks != d.TermBlocks, fmt.Sprintf("--term-blocks %d", c.TermBlocks)},
		{c.Uplink != d.Uplink, fmt.Sprintf("--uplink %d", c.Uplink)},
		{c.Chunk != d.Chunk, fmt.Sprintf("--chunk %d", c.Chunk)},
		{c.Window != d.Window, fmt.Sprintf("--window %d", c.Window)},
		{c.Settle != d.Settle, fmt.Sprintf("--settle %s", c.Settle)},
		{c.CatchUpNode != d.CatchUpNode, fmt.Sprintf("--catchup-node %d --catchup-at %s", c.CatchUpNode, c.CatchUpAt)},
	}
	for _, x := range extra {
		if x.differs {
			args = append(args, x.flag)
		}
	}
	return strings.Join(args, " ")
}
