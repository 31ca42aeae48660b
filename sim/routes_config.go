package sim

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/blockwire/blockwire/transport/route"
)

// RoutesConfig is one run of the routing simulator (`blockwire sim
// routes`): N transport/route cores on a topology of links with per-link
// latency, link failures, node crashes and restarts, and probe traffic.
// Start from DefaultRoutesConfig; Validate names the first bad field.
type RoutesConfig struct {
	// Seed drives the run's one random source (topology, keys, latencies,
	// jitter, router ids, faults, traffic): same config, same trace hash.
	Seed uint64 `json:"seed"`
	// Nodes is the number of nodes.
	Nodes int `json:"nodes"`
	// Topology is line, ring, star, full or random (Degree-regular).
	Topology string `json:"topology"`
	// Degree is each node's number of links in the random topology.
	Degree int `json:"degree"`
	// Destinations is how many nodes announce themselves routable (the
	// producers), spread evenly over the node numbers.
	Destinations int `json:"destinations"`
	// LatencyMin and LatencyMax bound each link's one-way latency, drawn
	// uniformly per link (so RTT-based routes differ from hop counts).
	LatencyMin time.Duration `json:"latency_min"`
	LatencyMax time.Duration `json:"latency_max"`
	// Jitter is the standard deviation of a normal delay added per message
	// (links stay FIFO), which makes RTT samples noisy.
	Jitter time.Duration `json:"jitter"`
	// Hello is the routers' hello interval.
	Hello time.Duration `json:"hello"`
	// Duration is the virtual time the run covers.
	Duration time.Duration `json:"duration"`
	// Faults are scheduled link and node faults (ParseRouteFaults).
	Faults []RouteFault `json:"faults,omitempty"`
	// Churn, when Faults is empty, draws that many faults from the seed,
	// one every 3 s after a 3 s warm-up: silent failures of links at
	// destinations (restored 1.5 s later) and, in the middle, a crash of a
	// destination (restarted 1.5 s later). Duration must cover them plus a
	// 6 s quiet end.
	Churn int `json:"churn"`
	// Rewire, when not zero, replaces the topology by a new random ring
	// every Rewire (psibase's test_routing ring changed every second).
	Rewire time.Duration `json:"rewire,omitempty"`
	// Unicast is the rate of probe messages per second (random running
	// node to random destination).
	Unicast int `json:"unicast"`
	// Multicasts is how many multicasts to every destination are sent once
	// the network has converged at the end.
	Multicasts int `json:"multicasts"`
	// MulticastSlack is route.Config.MulticastSlack (percent).
	MulticastSlack int `json:"multicast_slack"`
	// NoFeasibility disables Babel's feasibility condition in every
	// router: only to prove that the loop check finds loops.
	NoFeasibility bool `json:"no_feasibility,omitempty"`
}

// DefaultRoutesConfig is 50 nodes of degree 8, 20 destinations, 5-50 ms
// links, 250 ms hellos, 40 s with 6 faults.
func DefaultRoutesConfig() RoutesConfig {
	return RoutesConfig{
		Seed:           1,
		Nodes:          50,
		Topology:       TopologyRandom,
		Degree:         8,
		Destinations:   20,
		LatencyMin:     5 * time.Millisecond,
		LatencyMax:     50 * time.Millisecond,
		Jitter:         time.Millisecond,
		Hello:          250 * time.Millisecond,
		Duration:       40 * time.Second,
		Churn:          6,
		Unicast:        20,
		Multicasts:     20,
		MulticastSlack: route.DefaultConfig().MulticastSlack,
	}
}

// Validate reports the first field that makes the config unusable.
func (c RoutesConfig) Validate() error {
	checks := []struct {
		bad    bool
		field  string
		value  any
		reason string
	}{
		{c.Nodes < 2 || c.Nodes > maxNodes, "nodes", c.Nodes, fmt.Sprintf("want 2..%d", maxNodes)},
		{!oneOf(c.Topology, TopologyLine, TopologyRing, TopologyStar, TopologyFull, TopologyRandom), "topology", c.Topology, "want line, ring, star, full or random"},
		{c.Topology == TopologyRandom && (c.Degree < 1 || c.Degree >= c.Nodes || c.Degree*c.Nodes%2 == 1 && c.Degree > 1), "degree", c.Degree, "want 1 <= degree < nodes with degree × nodes even"},
		{c.Destinations < 1 || c.Destinations > c.Nodes, "destinations", c.Destinations, "want 1..nodes"},
		{c.LatencyMin < 0 || c.LatencyMax < c.LatencyMin, "latency_max", c.LatencyMax, "want 0 <= latency_min <= latency_max"},
		{c.Jitter < 0, "jitter", c.Jitter, "must not be negative"},
		{c.Hello < time.Millisecond, "hello", c.Hello, "want at least 1ms"},
		{c.Duration < time.Second, "duration", c.Duration, "want at least 1s"},
		{c.Churn < 0 || c.Unicast < 0 || c.Multicasts < 0 || c.MulticastSlack < 0, "churn", c.Churn, "counts and slack must not be negative"},
		{c.Rewire < 0, "rewire", c.Rewire, "must not be negative"},
		{len(c.Faults) == 0 && c.Rewire == 0 && c.Duration < churnSpan(c.Churn), "duration", c.Duration, fmt.Sprintf("%d drawn faults need at least %s (%s warm-up, %s per fault, %s quiet end)", c.Churn, churnSpan(c.Churn), churnWarmup, churnGap, churnQuiet)},
	}
	for _, ch := range checks {
		if ch.bad {
			return &ConfigError{Field: ch.field, Value: ch.value, Reason: ch.reason}
		}
	}
	for i, f := range c.Faults {
		if err := f.validate(c); err != nil {
			return &ConfigError{Field: fmt.Sprintf("faults[%d]", i), Value: f, Reason: err.Error()}
		}
	}
	return nil
}

// Command renders the `blockwire sim routes` invocation that replays c.
func (c RoutesConfig) Command() string {
	args := []string{"blockwire sim routes",
		fmt.Sprintf("--seed %d", c.Seed),
		fmt.Sprintf("--nodes %d", c.Nodes),
		fmt.Sprintf("--topology %s", c.Topology),
		fmt.Sprintf("--degree %d", c.Degree),
		fmt.Sprintf("--destinations %d", c.Destinations),
		fmt.Sprintf("--latency-min %s", c.LatencyMin),
		fmt.Sprintf("--latency-max %s", c.LatencyMax),
		fmt.Sprintf("--jitter %s", c.Jitter),
		fmt.Sprintf("--hello %s", c.Hello),
		fmt.Sprintf("--duration %s", c.Duration),
		fmt.Sprintf("--churn %d", c.Churn),
		fmt.Sprintf("--unicast %d", c.Unicast),
		fmt.Sprintf("--multicasts %d", c.Multicasts),
		fmt.Sprintf("--multicast-slack %d", c.MulticastSlack),
	}
	if len(c.Faults) > 0 {
		args = append(args, fmt.Sprintf("--faults '%s'", FormatRouteFaults(c.Faults)))
	}
	if c.Rewire > 0 {
		args = append(args, fmt.Sprintf("--rewire %s", c.Rewire))
	}
	if c.NoFeasibility {
		args = append(args, "--no-feasibility")
	}
	return strings.Join(args, " ")
}

// RegisterFlags defines one flag per field on fs, named as Command prints
// them, so every printed replay command parses back into the same config.
func (c *RoutesConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the run's one random source")
	fs.IntVar(&c.Nodes, "nodes", c.Nodes, "number of nodes")
	fs.StringVar(&c.Topology, "topology", c.Topology, "line, ring, star, full or random")
	fs.IntVar(&c.Degree, "degree", c.Degree, "links per node (random topology)")
	fs.IntVar(&c.Destinations, "destinations", c.Destinations, "routable nodes (producers)")
	fs.DurationVar(&c.LatencyMin, "latency-min", c.LatencyMin, "least one-way link latency")
	fs.DurationVar(&c.LatencyMax, "latency-max", c.LatencyMax, "greatest one-way link latency")
	fs.DurationVar(&c.Jitter, "jitter", c.Jitter, "standard deviation of per-message delay")
	fs.DurationVar(&c.Hello, "hello", c.Hello, "hello interval")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "virtual time to simulate")
	fs.IntVar(&c.Churn, "churn", c.Churn, "faults drawn from the seed when --faults is empty")
	fs.DurationVar(&c.Rewire, "rewire", c.Rewire, "replace the topology by a new random ring this often (0 = never)")
	fs.IntVar(&c.Unicast, "unicast", c.Unicast, "probe messages per second")
	fs.IntVar(&c.Multicasts, "multicasts", c.Multicasts, "multicasts to every destination at the end")
	fs.IntVar(&c.MulticastSlack, "multicast-slack", c.MulticastSlack, "percent above the selected metric a multicast copy's route may be")
	fs.Var((*routeFaultsFlag)(&c.Faults), "faults", "faults, e.g. 'down@10s:3-4,up@14s:3-4,close@12s:1-2,crash@20s:7,restart@25s:7'")
	fs.BoolVar(&c.NoFeasibility, "no-feasibility", c.NoFeasibility, "disable the feasibility condition (shows the loop check working)")
}

// RouteFaultKind names a routing-simulator fault.
type RouteFaultKind string

// Route fault kinds.
const (
	// RouteDown: a link silently loses everything; neither end is told
	// (hellos stop, the routers must notice).
	RouteDown RouteFaultKind = "down"
	// RouteUp: a link (new or failed) connects; both ends get AddLink.
	RouteUp RouteFaultKind = "up"
	// RouteClose: a link closes cleanly; both ends get RemoveLink.
	RouteClose RouteFaultKind = "close"
	// RouteCrash: a node stops silently (its links go quiet).
	RouteCrash RouteFaultKind = "crash"
	// RouteRestart: a crashed node boots a fresh router with a new router
	// id and reconnects its links.
	RouteRestart RouteFaultKind = "restart"
)

// RouteFault is one scheduled fault; String gives ParseRouteFaults syntax.
type RouteFault struct {
	Kind RouteFaultKind `json:"kind"`
	At   time.Duration  `json:"at"`
	A    int            `json:"a"`
	B    int            `json:"b,omitempty"`
}

func (f RouteFault) isLink() bool {
	return f.Kind == RouteDown || f.Kind == RouteUp || f.Kind == RouteClose
}

func (f RouteFault) String() string {
	if f.isLink() {
		return fmt.Sprintf("%s@%s:%d-%d", f.Kind, f.At, f.A, f.B)
	}
	return fmt.Sprintf("%s@%s:%d", f.Kind, f.At, f.A)
}

// FormatRouteFaults renders faults in ParseRouteFaults syntax.
func FormatRouteFaults(fs []RouteFault) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, ",")
}

// ParseRouteFaults reads a comma-separated list:
//
//	down@10s:3-4      link 3-4 silently loses everything from 10 s
//	up@14s:3-4        link 3-4 (re)connects at 14 s (a new link if absent)
//	close@12s:1-2     link 1-2 closes cleanly at 12 s
//	crash@20s:7       node 7 stops silently at 20 s
//	restart@25s:7     node 7 restarts with a fresh router at 25 s
func ParseRouteFaults(s string) ([]RouteFault, error) {
	var out []RouteFault
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		f, err := parseRouteFault(item)
		if err != nil {
			return nil, &FaultError{Fault: item, Reason: err.Error()}
		}
		out = append(out, f)
	}
	return out, nil
}

func parseRouteFault(item string) (RouteFault, error) {
	kind, rest, ok := strings.Cut(item, "@")
	if !ok {
		return RouteFault{}, errors.New("missing '@'")
	}
	when, what, ok := strings.Cut(rest, ":")
	if !ok {
		return RouteFault{}, errors.New("missing ':'")
	}
	f := RouteFault{Kind: RouteFaultKind(kind)}
	var err error
	if f.At, err = time.ParseDuration(when); err != nil {
		return f, err
	}
	switch f.Kind {
	case RouteDown, RouteUp, RouteClose:
		a, b, ok := strings.Cut(what, "-")
		if !ok {
			return f, errors.New("want a link like 3-4")
		}
		if f.A, err = strconv.Atoi(a); err == nil {
			f.B, err = strconv.Atoi(b)
		}
	case RouteCrash, RouteRestart:
		f.A, err = strconv.Atoi(what)
	default:
		err = fmt.Errorf("unknown kind %q", kind)
	}
	return f, err
}

func (f RouteFault) validate(c RoutesConfig) error {
	switch {
	case f.At < 0:
		return errors.New("negative time")
	case f.A < 0 || f.A >= c.Nodes || f.isLink() && (f.B < 0 || f.B >= c.Nodes):
		return fmt.Errorf("node out of range (nodes=%d)", c.Nodes)
	case f.isLink() && f.A == f.B:
		return errors.New("a link needs two nodes")
	}
	return nil
}

type routeFaultsFlag []RouteFault

func (f *routeFaultsFlag) String() string {
	if f == nil {
		return ""
	}
	return FormatRouteFaults(*f)
}

func (f *routeFaultsFlag) Set(s string) error {
	fs, err := ParseRouteFaults(s)
	if err != nil {
		return err
	}
	*f = fs
	return nil
}
