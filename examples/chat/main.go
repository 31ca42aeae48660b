// Command chat shows the embedder's messaging API: every process is a
// blockwire node that broadcasts its own chat lines to every other process
// and prints what it received. It uses only package node.
//
//	chat init --dir /tmp/chat --nodes 8 --topology random --degree 3 --seed 1
//	chat run --dir /tmp/chat --node 0 --nodes 8 --messages 10 &   # one per node
//	chat local --dir /tmp/chat2 --nodes 8 --degree 3 --messages 10  # both, here
//
// init writes a testnet (genesis, keys, configs with the topology's static
// peers on free loopback ports). run starts node i, waits until every
// process is up (a hello/ready exchange on a control topic), broadcasts
// its lines to all nodes, waits until it holds every other process's
// lines and every process said it is done, and prints one JSON line: what
// it sent and received, and the message bodies it took to get them (the
// copies per message the simulator predicts).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/blockwire/blockwire/node"
)

// The application's topics: every process registers both alike.
const (
	topicChat    node.Topic = 1 // chat lines
	topicControl node.Topic = 2 // "hello", "ready", "done"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: chat init|run|local [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "init":
		err = initNet(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "local":
		err = local(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want init, run or local)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

func initNet(args []string) error {
	fs := flag.NewFlagSet("init", flag.ExitOnError)
	dir := fs.String("dir", "", "directory for the testnet (must not exist)")
	nodes := fs.Int("nodes", 4, "number of processes")
	topo := fs.String("topology", "full", "full, ring, line or random")
	degree := fs.Int("degree", 3, "peers per node (random)")
	seed := fs.Uint64("seed", 1, "topology seed (random)")
	_ = fs.Parse(args)
	if *dir == "" {
		return errors.New("init: --dir is required")
	}
	base := node.DefaultConfig()
	base.Consensus.BlockInterval = node.Duration{Duration: time.Second}
	base.Log.Level, base.Log.File = "warn", ""
	p2p, err := freePorts(*nodes)
	if err != nil {
		return err
	}
	_, _, err = node.InitNetwork(node.NetworkSpec{Dir: *dir, Chain: "chat", Nodes: *nodes, Producers: 1,
		Engine: node.EngineSolo, P2PPorts: p2p, AdminPorts: make([]int, *nodes), Base: &base,
		Topology: node.Topology(*topo), Degree: *degree, Seed: *seed})
	return err
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Report is what run prints.
type Report struct {
	Node     int `json:"node"`
	Peers    int `json:"peers"`
	Sent     int `json:"sent"`
	Received int `json:"received"`
	Expected int `json:"expected"`
	// Bodies is every copy of a chat line this node received (eager
	// pushes, duplicates, pull replies); CopiesPerMessage = Bodies ÷
	// Expected (1.0: one copy of each).
	Bodies           uint64  `json:"bodies"`
	CopiesPerMessage float64 `json:"copies_per_message"`
	Pulls            uint64  `json:"pulls"`
	Grafts           uint64  `json:"grafts"`
	// MaxLatencyMs is the slowest line: arrival minus its send time.
	MaxLatencyMs float64 `json:"max_latency_ms"`
	// Refused and Drops are the broadcast layer's, by reason (GET
	// /broadcast has the same): empty on a healthy run.
	Refused map[string]uint64 `json:"refused,omitempty"`
	Drops   map[string]uint64 `json:"drops,omitempty"`
}

// chat is one process's state, filled by the topic handlers.
type chat struct {
	mu      sync.Mutex
	lines   map[node.Digest]bool
	status  map[string]map[string]bool // "hello"/"ready"/"done" → origins
	maxLat  time.Duration
	changed chan struct{}
}

func (c *chat) onLine(m node.Message) {
	c.mu.Lock()
	c.lines[m.Digest] = true
	c.maxLat = max(c.maxLat, time.Since(m.SentAt()))
	c.mu.Unlock()
	c.poke()
}

func (c *chat) onControl(m node.Message) {
	c.mu.Lock()
	if set := c.status[string(m.Payload)]; set != nil {
		set[m.Origin.String()] = true
	}
	c.mu.Unlock()
	c.poke()
}

func (c *chat) poke() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *chat) count(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if kind == "lines" {
		return len(c.lines)
	}
	return len(c.status[kind])
}

// validLine is the chat topic's validator: a line is 1 byte or more.
func validLine(_ node.PeerID, p []byte) node.Verdict {
	if len(p) == 0 {
		return node.Reject
	}
	return node.Accept
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	dir := fs.String("dir", "", "the testnet directory (chat init)")
	idx := fs.Int("node", 0, "this process's node number")
	nodes := fs.Int("nodes", 4, "number of processes")
	messages := fs.Int("messages", 10, "lines to send")
	size := fs.Int("size", 256, "bytes per line")
	interval := fs.Duration("interval", 50*time.Millisecond, "pause between lines")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after")
	_ = fs.Parse(args)

	cfg, err := node.LoadConfig(filepath.Join(*dir, fmt.Sprintf("node%d", *idx), "config.toml"))
	if err != nil {
		return err
	}
	n, err := node.New(cfg, node.WithTopic(topicChat, 1<<20, validLine), node.WithTopic(topicControl, 16, nil))
	if err != nil {
		return err
	}
	c := &chat{lines: map[node.Digest]bool{}, changed: make(chan struct{}, 1),
		status: map[string]map[string]bool{"hello": {}, "ready": {}, "done": {}}}
	n.SubscribeTopic(topicChat, c.onLine) // before Start: nothing is missed
	n.SubscribeTopic(topicControl, c.onControl)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		return err
	}
	defer func() { _ = n.Stop() }()
	others := *nodes - 1

	// Barrier: say hello until every other process is heard, then ready
	// until every other process is ready (a late starter still hears us).
	say := func(kind string) { _, _ = n.Broadcast(ctx, topicControl, []byte(kind), node.ToAll()) }
	if err := c.until(ctx, 300*time.Millisecond, func() {
		if c.heardAll(others) {
			say("ready")
		} else {
			say("hello")
		}
	}, func() bool { return c.count("ready") >= others && c.heardAll(others) }); err != nil {
		return fmt.Errorf("waiting for the other processes: %w", err)
	}
	say("ready")
	peers := n.BroadcastInfo().Links

	for j := range *messages {
		line := make([]byte, max(*size, 32))
		copy(line, fmt.Sprintf("node %d line %d ", *idx, j))
		if _, err := n.Broadcast(ctx, topicChat, line, node.ToAll()); err != nil {
			return err
		}
		time.Sleep(*interval)
	}
	expected := *messages * others
	if err := c.until(ctx, time.Second, func() {}, func() bool { return c.count("lines") >= expected }); err != nil {
		return fmt.Errorf("received %d of %d lines: %w", c.count("lines"), expected, err)
	}
	// Done: keep relaying until every process has all its lines.
	say("done")
	if err := c.until(ctx, 500*time.Millisecond, func() { say("done") }, func() bool { return c.count("done") >= others }); err != nil {
		return fmt.Errorf("waiting for the others to finish: %w", err)
	}
	time.Sleep(time.Second) // our last "done" reaches the slowest process

	info := n.BroadcastInfo()
	r := Report{Node: *idx, Peers: peers, Sent: *messages, Received: c.count("lines"), Expected: expected,
		Bodies: info.Bodies[topicChat], Pulls: info.Stats["pulls_sent"], Grafts: info.Stats["grafts_sent"]}
	r.CopiesPerMessage = float64(r.Bodies) / float64(max(expected, 1))
	r.Drops = info.Drops
	for k, v := range info.Refused {
		if r.Refused == nil {
			r.Refused = map[string]uint64{}
		}
		r.Refused[string(k)] = v
	}
	c.mu.Lock()
	r.MaxLatencyMs = float64(c.maxLat.Microseconds()) / 1000
	c.mu.Unlock()
	return json.NewEncoder(os.Stdout).Encode(r)
}

// heardAll: hello or ready from every other process.
func (c *chat) heardAll(others int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]bool{}
	for o := range c.status["hello"] {
		seen[o] = true
	}
	for o := range c.status["ready"] {
		seen[o] = true
	}
	return len(seen) >= others
}

// until checks cond on every message and calls tick every period until
// cond holds or ctx ends.
func (c *chat) until(ctx context.Context, period time.Duration, tick func(), cond func() bool) error {
	t := time.NewTicker(period)
	defer t.Stop()
	tick()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			tick()
		case <-c.changed:
		}
	}
	return nil
}
