package cftbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Options configures a run. Zero fields take the defaults in parentheses.
type Options struct {
	// Producers is the number of raft voters (3).
	Producers int
	// Interval is the block interval (10 ms).
	Interval time.Duration
	// Duration is the steady-state window measured for throughput and
	// latency (3 s).
	Duration time.Duration
	// Failovers is how many times the leader is killed (3); each killed
	// node is restarted from its pebble directory before the next kill.
	Failovers int
	// Timeout is raft's heartbeat and election timeout; the lease is half
	// (100 ms).
	Timeout time.Duration
	// CommitTimeout is raft's commit push interval (1 ms): followers learn
	// that a block committed this late, so at 10 ms blocks it is most of
	// the followers' latency (2 ms measured ~1.3 ms worse at p50).
	CommitTimeout time.Duration
	// Dir holds the pebble directories; empty means a temporary directory,
	// removed afterwards.
	Dir string
	// Logger receives engine and raft logs; zero value silent.
	Logger zerolog.Logger
}

// Result is one run's figures. Latencies are produce → applied from the raft
// log, over every block on every producer.
type Result struct {
	Producers     int       `json:"producers"`
	IntervalMS    float64   `json:"interval_ms"`
	Blocks        uint64    `json:"blocks"`
	BlocksPerS    float64   `json:"blocks_per_s"`
	CommitP50MS   float64   `json:"commit_p50_ms"`
	CommitP99MS   float64   `json:"commit_p99_ms"`
	CommitMaxMS   float64   `json:"commit_max_ms"`
	FailoverMS    float64   `json:"failover_ms"`
	FailoverMaxMS float64   `json:"failover_max_ms"`
	FailoverRuns  []float64 `json:"failover_runs_ms"`
	// HandoffMS is a planned hand-off: the leader's Close (leadership
	// transfer first) → next block committed on a survivor.
	HandoffMS  float64 `json:"handoff_ms"`
	TimeoutMS  float64 `json:"raft_timeout_ms"`
	Violations int     `json:"safety_violations"`
	// SteadyTermChanges counts elections during the steady window: above 0
	// the window included a flap and its latency figures show it.
	SteadyTermChanges uint64 `json:"steady_term_changes"`
}

func (o *Options) defaults() {
	if o.Producers == 0 {
		o.Producers = 3
	}
	if o.Interval == 0 {
		o.Interval = 10 * time.Millisecond
	}
	if o.Duration == 0 {
		o.Duration = 3 * time.Second
	}
	if o.Failovers == 0 {
		o.Failovers = 3
	}
	if o.Timeout == 0 {
		o.Timeout = 100 * time.Millisecond
	}
	if o.CommitTimeout == 0 {
		o.CommitTimeout = time.Millisecond
	}
}

// Run measures CFT consensus over real libp2p on loopback with synced
// pebble stores: blocks per second at the interval, produce → irreversible
// latency on every producer, and leader failover (leader killed → next block
// committed on a surviving producer). FailoverMS is the median of the runs.
// It fails if any two producers commit different blocks at one height.
func Run(ctx context.Context, opts Options) (Result, error) {
	opts.defaults()
	if opts.Dir == "" {
		dir, err := os.MkdirTemp("", "cftbench")
		if err != nil {
			return Result{}, err
		}
		defer func() { _ = os.RemoveAll(dir) }()
		opts.Dir = dir
	}
	c, err := newCluster(opts)
	if err != nil {
		return Result{}, err
	}
	res, err := c.run(ctx)
	return res, errors.Join(err, c.close())
}

func (c *cluster) run(ctx context.Context) (Result, error) {
	res := Result{Producers: c.opts.Producers, IntervalMS: ms(c.opts.Interval), TimeoutMS: ms(c.opts.Timeout)}
	if _, err := c.waitLeader(ctx); err != nil {
		return res, err
	}
	// Warm up, then measure a clean window.
	if err := c.waitTop(ctx, c.maxTop()+20); err != nil {
		return res, err
	}
	c.mu.Lock()
	c.lat = nil
	c.mu.Unlock()
	startTop, start, term0 := c.maxTop(), time.Now(), c.term()
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(c.opts.Duration):
	}
	res.Blocks = c.maxTop() - startTop
	res.SteadyTermChanges = c.term() - term0
	res.BlocksPerS = float64(res.Blocks) / time.Since(start).Seconds()
	c.mu.Lock()
	lat := slices.Clone(c.lat)
	c.mu.Unlock()
	slices.Sort(lat)
	res.CommitP50MS, res.CommitP99MS = ms(pct(lat, 50)), ms(pct(lat, 99))
	if len(lat) > 0 {
		res.CommitMaxMS = ms(lat[len(lat)-1])
	}
	for range c.opts.Failovers {
		d, err := c.failover(ctx)
		if err != nil {
			return res, err
		}
		res.FailoverRuns = append(res.FailoverRuns, ms(d))
	}
	d, err := c.handoff(ctx)
	if err != nil {
		return res, err
	}
	res.HandoffMS = ms(d)
	runs := slices.Clone(res.FailoverRuns)
	slices.Sort(runs)
	if len(runs) > 0 {
		res.FailoverMS, res.FailoverMaxMS = runs[len(runs)/2], runs[len(runs)-1]
	}
	c.mu.Lock()
	res.Violations = len(c.violations)
	v := strings.Join(c.violations, "; ")
	c.mu.Unlock()
	if v != "" {
		return res, fmt.Errorf("cftbench: safety violated: %s", v)
	}
	return res, nil
}

// failover kills the leader and returns the time until a surviving
// producer applies a block from a later term; then restarts the killed node
// from its pebble directory and waits for it to catch up.
func (c *cluster) failover(ctx context.Context) (time.Duration, error) {
	return c.replaceLeader(ctx, (*node).kill)
}

// handoff is failover with a planned shutdown (Close transfers leadership).
func (c *cluster) handoff(ctx context.Context) (time.Duration, error) {
	return c.replaceLeader(ctx, (*node).stop)
}

func (c *cluster) replaceLeader(ctx context.Context, down func(*node) error) (time.Duration, error) {
	ld, err := c.waitLeader(ctx)
	if err != nil {
		return 0, err
	}
	term := ld.eng.Status().Term
	c.mu.Lock()
	seen := len(c.commits)
	c.mu.Unlock()
	killed := time.Now()
	if err := down(ld); err != nil {
		return 0, fmt.Errorf("cftbench: stop leader: %w", err)
	}
	var took time.Duration
	for took == 0 {
		c.mu.Lock()
		for _, r := range c.commits[seen:] {
			if r.term > term && r.node != ld.i {
				took = r.at.Sub(killed)
				break
			}
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	if err := ld.restart(); err != nil {
		return 0, fmt.Errorf("cftbench: restart: %w", err)
	}
	return took, c.waitTop(ctx, c.maxTop()+10)
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
