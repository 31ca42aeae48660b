package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseFaultsRoundTrips(t *testing.T) {
	in := "partition@2s-5s:0-24/25-49,oneway@1.5s-3s:0-3+7>8,crash@3s:7,restart@6s:7,byz@0+2:withhold"
	fs, err := ParseFaults(in)
	require.NoError(t, err)
	require.Len(t, fs, 5)
	require.Equal(t, Fault{Kind: FaultCrash, From: 3 * time.Second, Nodes: []int{7}}, fs[2])
	require.Equal(t, [][]int{{0, 1, 2, 3, 7}, {8}}, fs[1].Groups)
	require.Equal(t, ByzWithhold, fs[4].Behaviour)
	require.Equal(t, in, FormatFaults(fs))

	again, err := ParseFaults(FormatFaults(fs))
	require.NoError(t, err)
	require.Equal(t, fs, again)

	none, err := ParseFaults(" ")
	require.NoError(t, err)
	require.Empty(t, none)
}

func TestParseFaultsNamesTheBadFault(t *testing.T) {
	for _, bad := range []string{
		"partition",           // no '@'
		"partition@2s:0/1",    // no range
		"partition@2s-5s:0-3", // one group
		"oneway@2s-5s:0/1",    // '/' instead of '>'
		"crash@soon:7",        // bad duration
		"crash@1s:x",          // bad node
		"crash@1s:5-2",        // empty range
		"byz@1:lies",          // unknown behaviour
		"flood@1s:1",          // unknown kind
	} {
		_, err := ParseFaults("crash@1s:1," + bad)
		require.ErrorIs(t, err, ErrFaultSyntax, bad)
		var fe *FaultError
		require.ErrorAs(t, err, &fe)
		require.Equal(t, bad, fe.Fault)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := map[string]func(c *Config){
		"nodes":        func(c *Config) { c.Nodes = 1 },
		"topology":     func(c *Config) { c.Topology = "mesh" },
		"degree":       func(c *Config) { c.Degree = c.Nodes },
		"blocks":       func(c *Config) { c.Blocks = 0 },
		"interval":     func(c *Config) { c.Interval = 0 },
		"loss":         func(c *Config) { c.Loss = 1 },
		"dup":          func(c *Config) { c.Dup = -0.1 },
		"mode":         func(c *Config) { c.Mode = "raft" },
		"producers":    func(c *Config) { c.Mode, c.Producers = ModeRotate, 0 },
		"relay":        func(c *Config) { c.Relay = "gossip" },
		"chunk":        func(c *Config) { c.Chunk = 0 },
		"catchup_node": func(c *Config) { c.CatchUpNode = 0 },
		"faults[0]": func(c *Config) {
			c.Faults = []Fault{{Kind: FaultCrash, Nodes: []int{99}}}
		},
	}
	for field, mutate := range cases {
		c := DefaultConfig()
		mutate(&c)
		err := c.Validate()
		var ce *ConfigError
		require.ErrorAs(t, err, &ce, field)
		require.Equal(t, field, ce.Field)
		require.Contains(t, err.Error(), field)
	}
	require.NoError(t, DefaultConfig().Validate())
}

func TestFaultValidationRejectsImpossibleSchedules(t *testing.T) {
	c := DefaultConfig()
	c.Faults, _ = ParseFaults("byz@3:equivocate")
	require.Error(t, c.Validate(), "equivocation needs rotate mode")
	c.Faults, _ = ParseFaults("byz@0:garbage")
	require.Error(t, c.Validate(), "the solo producer is trusted")
	c.Faults = []Fault{{Kind: FaultPartition, From: 2 * time.Second, To: time.Second, Groups: [][]int{{0}, {1}}}}
	require.Error(t, c.Validate(), "heal before start")
}
