package sim

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RBC byzantine behaviours (RBCConfig.Behaviours). A byzantine participant
// runs a real transport/rbc core and tampers with what it sends.
const (
	// RBCEquivocate: as origin, sends different valid payloads to the two
	// halves of the participants, and an invalid one to some.
	RBCEquivocate = "equivocate"
	// RBCDoubleEcho: echoes and readies two different digests (validly
	// signed) to different participants, and both to some.
	RBCDoubleEcho = "doubleecho"
	// RBCForge: adds forged signatures, messages claiming another signer,
	// certificates without a quorum, out-of-range origins and garbage bytes.
	RBCForge = "forge"
	// RBCReplay: relays other participants' echoes and readies as its own,
	// moves signatures to other instances, repeats old messages.
	RBCReplay = "replay"
	// RBCSilent: sends nothing at all.
	RBCSilent = "silent"
	// RBCFlood: opens many instances of correct origins with readies for
	// made-up seqs (bounded per peer by the cores).
	RBCFlood = "flood"
)

// RBCBehaviours lists every byzantine behaviour.
var RBCBehaviours = []string{RBCEquivocate, RBCDoubleEcho, RBCForge, RBCReplay, RBCSilent, RBCFlood}

// RBCConfig is one run of the reliable-broadcast simulator (`blockwire sim
// rbc`): Seeds independent networks of Nodes transport/rbc cores, Byzantine
// of them byzantine, with loss, partitions and crash-restarts in a fault
// window, checked for agreement, totality and validity once the network
// has healed. Start from DefaultRBCConfig.
type RBCConfig struct {
	// Seed is the first seed; seeds Seed..Seed+Seeds−1 run, each its own
	// network (keys, byzantine choice, faults, traffic).
	Seed  uint64 `json:"seed"`
	Seeds int    `json:"seeds"`
	// Nodes is the participant count n; Byzantine of them (drawn per
	// seed) are byzantine, at most ⌊(n−1)/3⌋.
	Nodes     int `json:"nodes"`
	Byzantine int `json:"byzantine"`
	// Behaviours the byzantine participants draw from (comma-separated
	// flag; RBCBehaviours).
	Behaviours []string `json:"behaviours"`
	// Instances is how many instances each participant originates (half
	// inside the fault window, half after it: the good case).
	Instances int `json:"instances"`
	// Latency is the one-way delay δ; Jitter adds up to that much more
	// per message (uniform).
	Latency time.Duration `json:"latency"`
	Jitter  time.Duration `json:"jitter"`
	// FaultWindow is when faults happen: loss, partitions and crashes all
	// end by then (restarts included); the network is healed after.
	FaultWindow time.Duration `json:"fault_window"`
	// Loss is the probability a message in the fault window is lost.
	Loss float64 `json:"loss"`
	// Partitions is how many partitions (a random split, up to a third of
	// the window long) each seed draws; Crashes how many crash-restarts
	// of correct participants (at a persist/send boundary, down up to a
	// third of the window).
	Partitions int `json:"partitions"`
	Crashes    int `json:"crashes"`
	// Duration is the virtual time each seed runs (the totality check is
	// at its end).
	Duration time.Duration `json:"duration"`
}

// DefaultRBCConfig is 7 participants, 2 byzantine, every behaviour, 2
// instances each, δ = 10 ms, 5% loss, a partition and a crash per seed in
// a 2 s window, 30 s per seed.
func DefaultRBCConfig() RBCConfig {
	return RBCConfig{Seed: 1, Seeds: 1, Nodes: 7, Byzantine: 2, Behaviours: RBCBehaviours, Instances: 2,
		Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, FaultWindow: 2 * time.Second,
		Loss: 0.05, Partitions: 1, Crashes: 1, Duration: 30 * time.Second}
}

// Validate names the first bad field.
func (c RBCConfig) Validate() error {
	switch {
	case c.Seeds < 1:
		return fmt.Errorf("sim: --seeds %d must be at least 1", c.Seeds)
	case c.Nodes < 1 || c.Nodes > 256:
		return fmt.Errorf("sim: --nodes %d must be in 1..256", c.Nodes)
	case c.Byzantine < 0 || c.Byzantine > (c.Nodes-1)/3:
		return fmt.Errorf("sim: --byzantine %d must be in 0..%d (f = ⌊(n−1)/3⌋)", c.Byzantine, (c.Nodes-1)/3)
	case c.Byzantine > 0 && len(c.Behaviours) == 0:
		return fmt.Errorf("sim: --behaviours is empty")
	case c.Instances < 1:
		return fmt.Errorf("sim: --instances %d must be at least 1", c.Instances)
	case c.Latency <= 0 || c.Jitter < 0:
		return fmt.Errorf("sim: --latency %v must be positive and --jitter %v not negative", c.Latency, c.Jitter)
	case c.Loss < 0 || c.Loss >= 1:
		return fmt.Errorf("sim: --loss %v must be in [0, 1)", c.Loss)
	case c.Partitions < 0 || c.Crashes < 0:
		return fmt.Errorf("sim: --partitions %d and --crashes %d must not be negative", c.Partitions, c.Crashes)
	case c.FaultWindow <= 0 || c.Duration < 2*c.FaultWindow+10*time.Second:
		return fmt.Errorf("sim: --duration %v must be at least twice --fault-window %v plus 10s", c.Duration, c.FaultWindow)
	}
	for _, b := range c.Behaviours {
		if !slices.Contains(RBCBehaviours, b) {
			return fmt.Errorf("sim: --behaviours: unknown %q (want %s)", b, strings.Join(RBCBehaviours, ","))
		}
	}
	return nil
}

// Command is the blockwire command line that replays the run.
func (c RBCConfig) Command() string {
	return fmt.Sprintf("blockwire sim rbc --seed %d --seeds %d --nodes %d --byzantine %d --behaviours %s --instances %d"+
		" --latency %s --jitter %s --fault-window %s --loss %g --partitions %d --crashes %d --duration %s",
		c.Seed, c.Seeds, c.Nodes, c.Byzantine, strings.Join(c.Behaviours, ","), c.Instances,
		c.Latency, c.Jitter, c.FaultWindow, c.Loss, c.Partitions, c.Crashes, c.Duration)
}

// RegisterFlags defines one flag per field, named as Command prints them.
func (c *RBCConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "first seed")
	fs.IntVar(&c.Seeds, "seeds", c.Seeds, "number of seeds (independent networks)")
	fs.IntVar(&c.Nodes, "nodes", c.Nodes, "participants n")
	fs.IntVar(&c.Byzantine, "byzantine", c.Byzantine, "byzantine participants (at most ⌊(n−1)/3⌋)")
	fs.Func("behaviours", "byzantine behaviours, comma-separated: "+strings.Join(RBCBehaviours, ","), func(s string) error {
		c.Behaviours = strings.Split(s, ",")
		return nil
	})
	fs.IntVar(&c.Instances, "instances", c.Instances, "instances each participant originates")
	fs.DurationVar(&c.Latency, "latency", c.Latency, "one-way delay δ")
	fs.DurationVar(&c.Jitter, "jitter", c.Jitter, "extra uniform delay per message, up to")
	fs.DurationVar(&c.FaultWindow, "fault-window", c.FaultWindow, "loss, partitions and crashes happen before this")
	fs.Float64Var(&c.Loss, "loss", c.Loss, "message loss probability in the fault window")
	fs.IntVar(&c.Partitions, "partitions", c.Partitions, "partitions per seed")
	fs.IntVar(&c.Crashes, "crashes", c.Crashes, "crash-restarts of correct participants per seed")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "virtual time per seed")
}
