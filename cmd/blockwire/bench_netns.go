package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/link/linkbench"
)

// The two-process mode of `blockwire bench link` (issue 14): the
// measuring side and the responders run as two processes of this binary,
// each in its own network namespace, joined by a veth pair (optionally
// shaped with tc tbf; netem does not work on this kernel). So the two
// ends share no process (no Go scheduler, no garbage collector), only the
// machine's CPUs. Addresses exist only inside the namespaces, and the
// namespaces (with the veth pair) are deleted on every exit path.

// netnsOpts configure the two-process mode.
type netnsOpts struct {
	rate    string // tc tbf rate, e.g. "1gbit"; empty: no shaping
	burst   string // tc tbf burst
	latency string // tc tbf latency (queue bound)
}

// netnsPair is the two namespaces and the veth between them.
type netnsPair struct {
	nsA, nsB, ipA, ipB string
}

const (
	netnsIPA = "10.213.0.1"
	netnsIPB = "10.213.0.2"
)

// setupNetns creates the namespaces and the veth pair; on error it has
// already removed what it created.
func setupNetns(ctx context.Context, shape netnsOpts) (*netnsPair, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("bench link --netns needs root (ip netns add, veth, tc): run it as root, or without --netns")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, fmt.Errorf("bench link --netns needs the ip command (iproute2): %w", err)
	}
	id := strconv.Itoa(os.Getpid())
	n := &netnsPair{nsA: "bwbench-a-" + id, nsB: "bwbench-b-" + id, ipA: netnsIPA, ipB: netnsIPB}
	vA, vB := "bwa"+id, "bwb"+id // interface names: at most 15 bytes
	steps := [][]string{
		{"netns", "add", n.nsA},
		{"netns", "add", n.nsB},
		{"link", "add", vA, "type", "veth", "peer", "name", vB},
		{"link", "set", vA, "netns", n.nsA},
		{"link", "set", vB, "netns", n.nsB},
		{"-n", n.nsA, "addr", "add", n.ipA + "/24", "dev", vA},
		{"-n", n.nsB, "addr", "add", n.ipB + "/24", "dev", vB},
		{"-n", n.nsA, "link", "set", "lo", "up"},
		{"-n", n.nsB, "link", "set", "lo", "up"},
		{"-n", n.nsA, "link", "set", vA, "up"},
		{"-n", n.nsB, "link", "set", vB, "up"},
	}
	for _, s := range steps {
		if err := ipRun(ctx, "ip", s...); err != nil {
			n.remove(vA)
			return nil, err
		}
	}
	if shape.rate != "" {
		for _, d := range [][2]string{{n.nsA, vA}, {n.nsB, vB}} {
			err := ipRun(ctx, "ip", "netns", "exec", d[0], "tc", "qdisc", "add", "dev", d[1], "root", "tbf",
				"rate", shape.rate, "burst", shape.burst, "latency", shape.latency)
			if err != nil {
				n.remove(vA)
				return nil, err
			}
		}
	}
	return n, nil
}

// remove deletes both namespaces (which deletes the veth pair inside
// them) and, if it was never moved into one, the veth itself. It ignores
// what does not exist and uses a fresh context: it runs on every exit,
// including cancellation.
func (n *netnsPair) remove(vA string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = ipRun(ctx, "ip", "netns", "del", n.nsA)
	_ = ipRun(ctx, "ip", "netns", "del", n.nsB)
	_ = ipRun(ctx, "ip", "link", "del", vA)
}

func ipRun(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// runNetns runs one transport's measurement across the namespaces: the
// responders (`bench link-peer`) in B, the measuring side in A. flags are
// the link flags both ends share (--block-size, --bulk-window, …).
func runNetns(ctx context.Context, shape netnsOpts, transport string, shared, measure []string) (linkbench.Result, []byte, error) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	self, err := os.Executable()
	if err != nil {
		return linkbench.Result{}, nil, err
	}
	n, err := setupNetns(ctx, shape)
	if err != nil {
		return linkbench.Result{}, nil, err
	}
	defer n.remove("bwa" + strconv.Itoa(os.Getpid()))

	peerArgs := append([]string{"netns", "exec", n.nsB, self, "bench", "link-peer", "--transport", transport, "--listen-ip", n.ipB}, shared...)
	pc := exec.CommandContext(ctx, "ip", peerArgs...)
	pc.Stderr = os.Stderr
	stdin, err := pc.StdinPipe()
	if err != nil {
		return linkbench.Result{}, nil, err
	}
	stdout, err := pc.StdoutPipe()
	if err != nil {
		return linkbench.Result{}, nil, err
	}
	if err := pc.Start(); err != nil {
		return linkbench.Result{}, nil, err
	}
	defer func() { _ = stdin.Close(); _ = pc.Wait() }() // the peer exits at the end of its stdin
	addrs, err := readAddrs(stdout, 2)
	if err != nil {
		return linkbench.Result{}, nil, fmt.Errorf("bench link-peer: %w", err)
	}
	args := append([]string{"netns", "exec", n.nsA, self, "bench", "link", "--json", "--transport", transport,
		"--listen-ip", n.ipA, "--peer", addrs[0], "--floor-peer", addrs[1]}, shared...)
	args = append(args, measure...)
	mc := exec.CommandContext(ctx, "ip", args...)
	mc.Stderr = os.Stderr
	out, err := mc.Output()
	if err != nil {
		return linkbench.Result{}, nil, fmt.Errorf("measuring side in %s: %w", n.nsA, errors.Join(ctx.Err(), err))
	}
	var res linkbench.Result
	if err := jsonDecode(out, &res); err != nil {
		return res, out, fmt.Errorf("measuring side output %q: %w", out, err)
	}
	return res, out, nil
}

// readAddrs reads n address lines from the peer's stdout.
func readAddrs(r io.Reader, n int) ([]string, error) {
	sc := bufio.NewScanner(r)
	var out []string
	for len(out) < n && sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	if len(out) < n {
		return nil, fmt.Errorf("got %d of %d addresses: %w", len(out), n, errors.Join(sc.Err(), io.ErrUnexpectedEOF))
	}
	return out, nil
}

// newBenchLinkPeerCmd is the far end of the two-process mode: two
// Responders (the pair's and the floor pair's), their addresses printed
// one per line, served until stdin ends.
func newBenchLinkPeerCmd() *cobra.Command {
	var (
		o             linkbench.Options
		listenIP      string
		window, chunk int
		windowMax     int
		tuneDelay     time.Duration
		oneConn       bool
	)
	cmd := &cobra.Command{
		Use:    "link-peer",
		Short:  "The responders of `bench link --netns` (prints their addresses, serves until stdin closes)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := benchConnConfig(o.BlockSize, window, windowMax, tuneDelay, chunk, oneConn)
			if err != nil {
				return err
			}
			o.Conn = conn
			var rs []*linkbench.Responder
			defer func() {
				for _, r := range rs {
					_ = r.Close()
				}
			}()
			for range 2 {
				r, err := linkbench.NewResponder(o, benchListen(o.Transport, listenIP))
				if err != nil {
					return err
				}
				rs = append(rs, r)
				if _, err := fmt.Fprintln(cmd.OutOrStdout(), r.Addr()); err != nil {
					return err
				}
			}
			_, _ = io.Copy(io.Discard, cmd.InOrStdin())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Transport, "transport", "tcp", "tcp or quic")
	f.StringVar(&listenIP, "listen-ip", "127.0.0.1", "IPv4 address to listen on")
	f.IntVar(&o.BlockSize, "block-size", 64<<20, "bytes per streamed block")
	f.IntVar(&window, "bulk-window", 0, "override the link's bulk window in bytes")
	f.IntVar(&windowMax, "bulk-window-max", -1, "override ConnConfig.BulkWindowMax in bytes (-1: default)")
	f.DurationVar(&tuneDelay, "bulk-tune-delay", 0, "override ConnConfig.BulkTuneDelay (0: default)")
	f.IntVar(&chunk, "chunk-size", 0, "override the link's ChunkSize in bytes")
	f.BoolVar(&oneConn, "one-conn", false, "bulk lanes share the link's connection")
	return cmd
}

func benchListen(transport, ip string) string {
	if transport == "quic" {
		return "/ip4/" + ip + "/udp/0/quic-v1"
	}
	return "/ip4/" + ip + "/tcp/0"
}
