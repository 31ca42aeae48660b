package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

// Summary is what local prints: the processes' reports and their totals.
type Summary struct {
	Nodes    int `json:"nodes"`
	Messages int `json:"messages"` // lines sent in all
	Size     int `json:"msg_size"`
	// DeliveredRatio is lines received ÷ lines expected over all processes.
	DeliveredRatio float64 `json:"delivered_ratio"`
	// CopiesPerNode is bodies received ÷ lines expected over all processes:
	// the simulator's copies_per_node.
	CopiesPerNode float64  `json:"copies_per_node"`
	Pulls         uint64   `json:"pulls"`
	MaxLatencyMs  float64  `json:"max_latency_ms"`
	Reports       []Report `json:"reports"`
}

// local writes a testnet in --dir and runs one process per node on this
// machine (this binary, `run`), then prints a Summary.
func local(args []string) error {
	fs := flag.NewFlagSet("local", flag.ExitOnError)
	dir := fs.String("dir", "", "directory for the testnet (must not exist)")
	nodes := fs.Int("nodes", 8, "number of processes")
	topo := fs.String("topology", "random", "full, ring, line or random")
	degree := fs.Int("degree", 3, "peers per node (random)")
	seed := fs.String("seed", "1", "topology seed (random)")
	messages := fs.String("messages", "10", "lines each process sends")
	size := fs.Int("size", 256, "bytes per line")
	interval := fs.String("interval", "50ms", "pause between lines")
	_ = fs.Parse(args)
	if *dir == "" {
		return errors.New("local: --dir is required")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := initNet([]string{"--dir", *dir, "--nodes", strconv.Itoa(*nodes), "--topology", *topo,
		"--degree", strconv.Itoa(*degree), "--seed", *seed}); err != nil {
		return err
	}
	cmds := make([]*exec.Cmd, *nodes)
	outs := make([]*bytes.Buffer, *nodes)
	for i := range cmds {
		cmds[i] = exec.Command(self, "run", "--dir", *dir, "--node", strconv.Itoa(i), "--nodes", strconv.Itoa(*nodes),
			"--messages", *messages, "--size", strconv.Itoa(*size), "--interval", *interval)
		cmds[i].Env = os.Environ() // CHAT_AS_MAIN carries over under the test binary
		outs[i] = &bytes.Buffer{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], os.Stderr
		if err := cmds[i].Start(); err != nil {
			return err
		}
	}
	s := Summary{Nodes: *nodes, Size: *size}
	var got, want int
	var bodies uint64
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			return fmt.Errorf("process %d: %w", i, err)
		}
		var r Report
		if err := json.Unmarshal(outs[i].Bytes(), &r); err != nil {
			return fmt.Errorf("process %d printed %q: %w", i, outs[i], err)
		}
		s.Reports = append(s.Reports, r)
		s.Messages += r.Sent
		got, want, bodies = got+r.Received, want+r.Expected, bodies+r.Bodies
		s.Pulls += r.Pulls
		s.MaxLatencyMs = max(s.MaxLatencyMs, r.MaxLatencyMs)
	}
	s.DeliveredRatio = float64(got) / float64(max(want, 1))
	s.CopiesPerNode = float64(bodies) / float64(max(want, 1))
	return json.NewEncoder(os.Stdout).Encode(s)
}
