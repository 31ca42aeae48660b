package netns

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prefix starts the name of every namespace and interface this package
// makes.
const Prefix = "bwt"

// ErrUnavailable is wrapped by Available's error when namespaces cannot be
// made here (not root, no ip/tc, or the kernel refuses).
var ErrUnavailable = errors.New("netns: network namespaces unavailable")

// Available reports whether this process can build a Lab: it runs as root,
// finds ip and tc, and can create (and delete) a namespace.
func Available() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root (running as uid %d)", ErrUnavailable, os.Geteuid())
	}
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s not found: %w", ErrUnavailable, tool, err)
		}
	}
	probe := fmt.Sprintf("%s-%d-probe", Prefix, os.Getpid())
	if err := run("ip", "netns", "add", probe); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := run("ip", "netns", "del", probe); err != nil {
		return fmt.Errorf("netns: deleting probe namespace %s: %w", probe, err)
	}
	return nil
}

// Skipper is the part of testing.TB SkipUnlessAvailable needs.
type Skipper interface {
	Helper()
	Skipf(format string, args ...any)
}

// SkipUnlessAvailable skips the test when Available fails.
func SkipUnlessAvailable(t Skipper) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
}

// Lab is one bridge and the hosts on it.
type Lab struct {
	tag    string // our pid: names carry it so Sweep can tell ours from a dead run's
	Bridge string
	// Subnet is the lab's /16; HostIP the driver's address on the bridge.
	Subnet netip.Prefix
	HostIP netip.Addr

	mu     sync.Mutex
	hosts  []*Host
	undo   []func() error
	closed bool
}

// New creates the bridge and gives the machine an address on it.
func New() (*Lab, error) {
	subnet, err := freeSubnet()
	if err != nil {
		return nil, err
	}
	tag := strconv.Itoa(os.Getpid())
	b := subnet.Addr().As4()
	l := &Lab{tag: tag, Bridge: Prefix + tag + "b", Subnet: subnet, HostIP: netip.AddrFrom4([4]byte{b[0], b[1], 255, 254})}
	if err := run("ip", "link", "add", l.Bridge, "type", "bridge"); err != nil {
		return nil, err
	}
	l.undo = append(l.undo, func() error { return run("ip", "link", "del", l.Bridge) })
	for _, args := range [][]string{
		{"addr", "add", l.HostIP.String() + "/16", "dev", l.Bridge},
		{"link", "set", l.Bridge, "up"},
	} {
		if err := run("ip", args...); err != nil {
			return nil, errors.Join(err, l.Close())
		}
	}
	return l, nil
}

// Host is one namespace on the lab's bridge.
type Host struct {
	Index int
	// NS is the namespace name; Port the veth end on the bridge; Dev the
	// end inside the namespace (renamed eth0).
	NS, Port, Dev string
	IP            netip.Addr
	lab           *Lab
}

// AddHost creates the next host's namespace, veth pair and address.
func (l *Lab) AddHost() (*Host, error) {
	l.mu.Lock()
	i := len(l.hosts)
	b := l.Subnet.Addr().As4()
	h := &Host{
		Index: i, NS: fmt.Sprintf("%s-%s-%d", Prefix, l.tag, i), Port: fmt.Sprintf("%s%sh%d", Prefix, l.tag, i),
		Dev: "eth0", IP: netip.AddrFrom4([4]byte{b[0], b[1], byte(i / 200), byte(i%200 + 1)}), lab: l,
	}
	if i >= 200*255 {
		l.mu.Unlock()
		return nil, fmt.Errorf("netns: too many hosts (%d)", i)
	}
	l.hosts = append(l.hosts, h)
	l.mu.Unlock()
	if err := run("ip", "netns", "add", h.NS); err != nil {
		return nil, err
	}
	l.pushUndo(func() error { return run("ip", "netns", "del", h.NS) })
	inner := fmt.Sprintf("%s%si%d", Prefix, l.tag, i)
	if err := run("ip", "link", "add", h.Port, "type", "veth", "peer", "name", inner); err != nil {
		return nil, err
	}
	// Deleting the namespace destroys the inner end and with it the pair;
	// deleting the port covers a failure before the move.
	l.pushUndo(func() error { return ignoreMissing(run("ip", "link", "del", h.Port)) })
	steps := [][]string{
		{"link", "set", inner, "netns", h.NS},
		{"-n", h.NS, "link", "set", inner, "name", h.Dev},
		{"-n", h.NS, "addr", "add", h.IP.String() + "/16", "dev", h.Dev},
		{"-n", h.NS, "link", "set", h.Dev, "up"},
		{"-n", h.NS, "link", "set", "lo", "up"},
		{"link", "set", h.Port, "master", l.Bridge},
		{"link", "set", h.Port, "up"},
	}
	for _, args := range steps {
		if err := run("ip", args...); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Hosts returns the hosts added so far.
func (l *Lab) Hosts() []*Host {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Host(nil), l.hosts...)
}

func (l *Lab) pushUndo(f func() error) {
	l.mu.Lock()
	l.undo = append(l.undo, f)
	l.mu.Unlock()
}

// Close removes the hosts and the bridge, newest first, and reports every
// step that failed. It is idempotent.
func (l *Lab) Close() error {
	l.mu.Lock()
	undo := l.undo
	l.undo, l.closed = nil, true
	l.mu.Unlock()
	var errs []error
	for i := len(undo) - 1; i >= 0; i-- {
		if err := undo[i](); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Command returns a command that runs name inside the host's namespace.
// ip netns exec execs name after entering the namespace, so the started
// process's pid is name's.
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
}

// Shape limits the host's upload and download each to rate (a tc rate:
// "100mbit", "20mbit", "1gbit") with a token bucket and one FIFO on both
// veth ends, as ShapeWith(rate, false) does.
func (h *Host) Shape(rate string) error { return h.ShapeWith(rate, false) }

// ShapeQueue is how long a packet may wait in the queue behind a shaped
// veth end's token bucket (tbf's latency): a message crossing one shaped
// hop passes two such queues (the sender's upload, the receiver's
// download), a round trip four.
const ShapeQueue = 100 * time.Millisecond

// ShapeWith limits the host's upload and download each to rate with a
// token bucket (tbf) on both veth ends. The bucket holds 10 ms at the rate
// (at least 64 KiB), so a burst is a few packets and a long transfer runs
// at the rate. Behind the bucket, packets wait in
//
//   - with prio, a pfifo_fast: three bands by the packet's socket
//     priority (SO_PRIORITY, or its TOS), each band up to txqueuelen
//     packets, set to 100 ms of 1,500-byte packets at the rate (the
//     kernel may queue GSO super-packets of up to 64 KB: sampled during
//     a 1 MiB-block run, 85,850 bytes in 2 packets): a host that honours priorities, where a vote (priority 0,
//     band 1) goes before block packets from a socket marked
//     low priority (link.BulkSocketPriority, band 2);
//   - without, one FIFO of 100 ms at the rate (tbf's own bfifo): a
//     priority-blind path, where a vote waits behind every block packet
//     queued ahead of it.
func (h *Host) ShapeWith(rate string, prio bool) error {
	bps, err := ParseRate(rate)
	if err != nil {
		return err
	}
	burst := max(bps/8/100, 64<<10)
	tbf := []string{"root", "handle", "1:", "tbf", "rate", rate, "burst", strconv.FormatUint(burst, 10), "latency", ShapeQueue.String()}
	// pfifo_fast's bands hold txqueuelen packets each: 100 ms of
	// 1,500-byte packets at the rate (more bytes with GSO super-packets).
	qlen := strconv.FormatUint(max(bps/10/8/1500, 16), 10)
	for _, ns := range [][]string{{"-n", h.NS}, nil} {
		dev := h.Port
		if ns != nil {
			dev = h.Dev
		}
		cmd := func(args ...string) []string { return append(append([]string(nil), ns...), args...) }
		if err := run("tc", cmd(append([]string{"qdisc", "replace", "dev", dev}, tbf...)...)...); err != nil {
			return err
		}
		if !prio {
			continue
		}
		if err := run("ip", cmd("link", "set", "dev", dev, "txqueuelen", qlen)...); err != nil {
			return err
		}
		if err := run("tc", cmd("qdisc", "replace", "dev", dev, "parent", "1:1", "pfifo_fast")...); err != nil {
			return err
		}
	}
	return nil
}

// SetPort takes the host's bridge port down (unplugged) or up.
func (h *Host) SetPort(up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	return run("ip", "link", "set", h.Port, state)
}

// Block drops, inside the host, every packet to the given addresses
// (blackhole routes); Unblock removes those routes. Each is one `ip -batch`
// process for all the addresses: a 16-node partition is 126 routes, and
// one `ip` exec per route took 24 s to heal on a loaded 2-core host (the
// heal, not the network, was then what the recovery time measured).
func (h *Host) Block(to []netip.Addr) error {
	return h.routeBatch(routeLines("replace", to), false)
}

// Unblock undoes Block for the given addresses; routes already gone (a
// deleted namespace, a second Unblock) are not an error.
func (h *Host) Unblock(to []netip.Addr) error {
	return h.routeBatch(routeLines("del", to), true)
}

// routeLines is the `ip -batch` input that adds (replace) or removes
// (del) a blackhole route per address.
func routeLines(verb string, to []netip.Addr) string {
	var b strings.Builder
	for _, a := range to {
		fmt.Fprintf(&b, "route %s blackhole %s/32\n", verb, a)
	}
	return b.String()
}

// routeBatch runs lines in the host's namespace with `ip -force -batch -`
// (every line is tried even after one fails). With missingOK, a
// failure is an error only if some line failed for another reason than
// the route being absent.
func (h *Host) routeBatch(lines string, missingOK bool) error {
	if lines == "" {
		return nil
	}
	var out bytes.Buffer
	cmd := exec.Command("ip", "-n", h.NS, "-force", "-batch", "-")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(lines), &out, &out
	err := cmd.Run()
	if err == nil || missingOK && onlyMissing(out.String()) {
		return nil
	}
	return fmt.Errorf("netns: ip -n %s -batch (%d routes): %w: %s", h.NS, strings.Count(lines, "\n"), err, strings.TrimSpace(out.String()))
}

// onlyMissing reports whether every error `ip -batch` printed says the
// route (or the namespace's device) is already gone.
func onlyMissing(out string) bool {
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "RTNETLINK answers:") && !strings.HasPrefix(line, "Error:") {
			continue // "Command failed -:N" and blank lines
		}
		if ignoreMissing(errors.New(line)) != nil {
			return false
		}
	}
	return true
}

// ParseRate parses a tc rate ("100mbit", "1gbit", "500kbit", "1000000bit")
// into bits per second.
func ParseRate(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   uint64
	}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(strings.ToLower(s), u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || v <= 0 {
				break
			}
			return uint64(v * float64(u.mult)), nil
		}
	}
	return 0, fmt.Errorf("netns: rate %q: want a number with gbit, mbit, kbit or bit (e.g. 100mbit)", s)
}

func run(name string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("netns: %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// ignoreMissing treats "already gone" as success: a namespace's deletion
// removes its veth pair and routes with it.
func ignoreMissing(err error) error {
	if err != nil && (strings.Contains(err.Error(), "Cannot find device") || strings.Contains(err.Error(), "No such process") ||
		strings.Contains(err.Error(), "No such file") || strings.Contains(err.Error(), "does not exist")) {
		return nil
	}
	return err
}
