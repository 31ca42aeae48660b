package sim

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/blockwire/blockwire/consensus/attest"
)

// AttestConfig is one run of the attestation simulator (`blockwire sim
// attest`): one requester running the consensus/attest scheduler on a
// real pebble store (in memory, crash-cloned on a crash), a set of
// verifier nodes running the verifier core, some of them faulty, over
// simulated lossy links. Start from DefaultAttestConfig.
type AttestConfig struct {
	// Seed drives the run's one random source: same config, same trace.
	Seed uint64 `json:"seed"`
	// Verifiers is the number of verifier nodes. They are spread over the
	// levels in proportion to each level's Required (at least Required
	// each, so a level always has enough candidates).
	Verifiers int `json:"verifiers"`
	// Operators is the number of operators the verifiers belong to
	// (verifier i is run by operator i mod Operators).
	Operators int `json:"operators"`
	// Unresponsive verifiers never answer; WrongBlock verifiers answer with
	// a verification of another block or with a bad signature; Late ones
	// answer only after the request's deadline; Slow ones within the
	// deadline, at 50-90% of it; Duplicate ones send every receipt twice.
	// Faulty verifiers that cannot verify (unresponsive, wrong-block) go to
	// the levels with the most spare verifiers first; the others to the
	// levels with the most responsive spares.
	Unresponsive int `json:"unresponsive"`
	WrongBlock   int `json:"wrong_block"`
	Late         int `json:"late"`
	Slow         int `json:"slow"`
	Duplicate    int `json:"duplicate"`
	// Blocks is the number of irreversible blocks to attest, one every
	// Interval.
	Blocks   int           `json:"blocks"`
	Interval time.Duration `json:"interval"`
	// Levels is the level list, e.g. "L2=3,L3=1,L4=1,L5=1".
	Levels string `json:"levels"`
	// Deadline is every level's first deadline; MaxRounds the missed rounds
	// before a block stalls (attest.Config).
	Deadline  time.Duration `json:"deadline"`
	MaxRounds int           `json:"max_rounds"`
	// LatencyMin and LatencyMax bound each message's one-way delay, drawn
	// uniformly per message; Loss is the probability a message is lost.
	LatencyMin time.Duration `json:"latency_min"`
	LatencyMax time.Duration `json:"latency_max"`
	Loss       float64       `json:"loss"`
	// Crashes is how many times the requester crashes (at times drawn
	// from the seed while blocks are produced) and restarts Downtime later
	// from what its store synced.
	Crashes  int           `json:"crashes"`
	Downtime time.Duration `json:"downtime"`
	// Resend is the verifiers' receipt re-send interval.
	Resend time.Duration `json:"resend"`
	// Settle is the virtual time after the last block for the last
	// attestations to finish or stall; 0 means the bound the scheduler
	// guarantees (AttestConfig.settleBound): every level's replacement
	// rounds at the base deadline plus its MaxRounds re-ask rounds.
	Settle time.Duration `json:"settle"`
}

// DefaultAttestConfig is 12 verifiers of 4 operators for Dragonchain's
// production levels (L2=3, then 1 each at L3..L5), one each of the
// wrong-block, late, slow and duplicate kinds, 100 blocks every 100 ms,
// 2 s deadlines, 5-50 ms links with 1% loss and one requester crash,
// settling for as long as the scheduler may need.
func DefaultAttestConfig() AttestConfig {
	return AttestConfig{
		Seed: 1, Verifiers: 12, Operators: 4,
		WrongBlock: 1, Late: 1, Slow: 1, Duplicate: 1,
		Blocks: 100, Interval: 100 * time.Millisecond,
		Levels: "L2=3,L3=1,L4=1,L5=1", Deadline: 2 * time.Second, MaxRounds: 8,
		LatencyMin: 5 * time.Millisecond, LatencyMax: 50 * time.Millisecond, Loss: 0.01,
		Crashes: 1, Downtime: time.Second, Resend: 500 * time.Millisecond,
	}
}

// Validate reports the first field that makes the config unusable.
func (c AttestConfig) Validate() error {
	levels, err := attest.ParseLevels(c.Levels, c.Deadline)
	if err != nil {
		return &ConfigError{Field: "levels", Value: c.Levels, Reason: err.Error()}
	}
	need := 0
	for _, l := range levels {
		need += l.Required
	}
	faulty := c.Unresponsive + c.WrongBlock + c.Late + c.Slow + c.Duplicate
	checks := []struct {
		bad    bool
		field  string
		value  any
		reason string
	}{
		{c.Verifiers < need || c.Verifiers > maxNodes, "verifiers", c.Verifiers, fmt.Sprintf("want %d..%d (the levels need %d)", need, maxNodes, need)},
		{c.Operators < 1, "operators", c.Operators, "want at least 1"},
		{c.Unresponsive < 0 || c.WrongBlock < 0 || c.Late < 0 || c.Slow < 0 || c.Duplicate < 0, "unresponsive", c.Unresponsive, "fault counts must not be negative"},
		{faulty > c.Verifiers, "unresponsive", faulty, fmt.Sprintf("%d faulty verifiers of %d", faulty, c.Verifiers)},
		{c.Blocks < 1, "blocks", c.Blocks, "want at least 1"},
		{c.Interval < time.Millisecond, "interval", c.Interval, "want at least 1ms"},
		{c.Deadline < 10*time.Millisecond, "deadline", c.Deadline, "want at least 10ms"},
		{c.MaxRounds < 1, "max_rounds", c.MaxRounds, "want at least 1"},
		{c.LatencyMin < 0 || c.LatencyMax < c.LatencyMin || 2*c.LatencyMax >= c.Deadline, "latency_max", c.LatencyMax, "want 0 <= latency_min <= latency_max < deadline/2"},
		{c.Loss < 0 || c.Loss >= 1, "loss", c.Loss, "want 0 <= loss < 1"},
		{c.Crashes < 0, "crashes", c.Crashes, "must not be negative"},
		{c.Crashes > 0 && c.Downtime < time.Millisecond, "downtime", c.Downtime, "want at least 1ms"},
		{c.Crashes > 0 && time.Duration(c.Crashes)*(c.Downtime+c.Interval) > time.Duration(c.Blocks)*c.Interval, "crashes", c.Crashes, "each crash needs downtime + interval within blocks × interval"},
		{c.Resend < time.Millisecond, "resend", c.Resend, "want at least 1ms"},
		{c.Settle < 0, "settle", c.Settle, "must not be negative"},
	}
	for _, ch := range checks {
		if ch.bad {
			return &ConfigError{Field: ch.field, Value: ch.value, Reason: ch.reason}
		}
	}
	return nil
}

// Command renders the `blockwire sim attest` invocation that replays c.
func (c AttestConfig) Command() string {
	args := []string{"blockwire sim attest",
		fmt.Sprintf("--seed %d", c.Seed),
		fmt.Sprintf("--verifiers %d", c.Verifiers),
		fmt.Sprintf("--operators %d", c.Operators),
		fmt.Sprintf("--unresponsive %d", c.Unresponsive),
		fmt.Sprintf("--wrong-block %d", c.WrongBlock),
		fmt.Sprintf("--late %d", c.Late),
		fmt.Sprintf("--slow %d", c.Slow),
		fmt.Sprintf("--duplicate %d", c.Duplicate),
		fmt.Sprintf("--blocks %d", c.Blocks),
		fmt.Sprintf("--interval %s", c.Interval),
		fmt.Sprintf("--levels %s", c.Levels),
		fmt.Sprintf("--deadline %s", c.Deadline),
		fmt.Sprintf("--max-rounds %d", c.MaxRounds),
		fmt.Sprintf("--latency-min %s", c.LatencyMin),
		fmt.Sprintf("--latency-max %s", c.LatencyMax),
		fmt.Sprintf("--loss %g", c.Loss),
		fmt.Sprintf("--crashes %d", c.Crashes),
		fmt.Sprintf("--downtime %s", c.Downtime),
		fmt.Sprintf("--resend %s", c.Resend),
		fmt.Sprintf("--settle %s", c.Settle),
	}
	return strings.Join(args, " ")
}

// RegisterFlags defines one flag per field on fs, named as Command prints
// them.
func (c *AttestConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the run's one random source")
	fs.IntVar(&c.Verifiers, "verifiers", c.Verifiers, "verifier nodes")
	fs.IntVar(&c.Operators, "operators", c.Operators, "operators running them")
	fs.IntVar(&c.Unresponsive, "unresponsive", c.Unresponsive, "verifiers that never answer")
	fs.IntVar(&c.WrongBlock, "wrong-block", c.WrongBlock, "verifiers that sign another block or send bad signatures")
	fs.IntVar(&c.Late, "late", c.Late, "verifiers whose answers arrive after the deadline")
	fs.IntVar(&c.Slow, "slow", c.Slow, "verifiers that answer at 50-90% of the deadline")
	fs.IntVar(&c.Duplicate, "duplicate", c.Duplicate, "verifiers that send every receipt twice")
	fs.IntVar(&c.Blocks, "blocks", c.Blocks, "irreversible blocks to attest")
	fs.DurationVar(&c.Interval, "interval", c.Interval, "time between blocks")
	fs.StringVar(&c.Levels, "levels", c.Levels, "levels and their required verifications")
	fs.DurationVar(&c.Deadline, "deadline", c.Deadline, "first deadline of a request (doubles per missed round)")
	fs.IntVar(&c.MaxRounds, "max-rounds", c.MaxRounds, "missed rounds before a block stalls")
	fs.DurationVar(&c.LatencyMin, "latency-min", c.LatencyMin, "least one-way message delay")
	fs.DurationVar(&c.LatencyMax, "latency-max", c.LatencyMax, "greatest one-way message delay")
	fs.Float64Var(&c.Loss, "loss", c.Loss, "probability a message is lost")
	fs.IntVar(&c.Crashes, "crashes", c.Crashes, "requester crash-restarts")
	fs.DurationVar(&c.Downtime, "downtime", c.Downtime, "how long a crashed requester stays down")
	fs.DurationVar(&c.Resend, "resend", c.Resend, "verifiers' receipt re-send interval")
	fs.DurationVar(&c.Settle, "settle", c.Settle, "time after the last block for attestations to finish")
}

// settleBound is how long, after the last block, every block needs at most
// to finalize or stall: per level, one base deadline per replacement round
// (at most one per verifier of the level, plus the first asks), then
// MaxRounds+1 re-ask rounds of doubling deadlines capped at maxDeadline;
// plus the requester's downtimes and the verifiers' last re-sends.
func (c AttestConfig) settleBound(levels []attest.Level, perLevel []int, maxDeadline time.Duration) time.Duration {
	if c.Settle > 0 {
		return c.Settle
	}
	var d time.Duration
	for i, l := range levels {
		d += time.Duration(perLevel[i]+1) * l.Deadline
		step := l.Deadline
		for k := 0; k <= c.MaxRounds; k++ {
			step = min(2*step, maxDeadline)
			d += step
		}
	}
	return d + time.Duration(c.Crashes)*c.Downtime + 2*c.Resend + 2*c.LatencyMax
}
