package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// Testnet ports. Node i listens on base+i and serves admin on
// base+1000+i. A base inside the kernel's ephemeral range collides with
// the source ports of other processes' outgoing connections ("address
// already in use", seen in the issue 13 measurements), and two testnets on
// one machine with the same base collide with each other. So: the default
// base is picked (the first free block of 100 from 26600 up, below the
// ephemeral range), an explicit --base-port is refused inside the range,
// and every port is tried before any node starts, so a busy one fails the
// run with its number instead of a node failing to listen.

// defaultEphemeral is Linux's default ip_local_port_range, used when
// /proc cannot be read.
var defaultEphemeral = [2]int{32768, 60999}

const (
	autoBaseFrom = 26600
	autoBaseStep = 100
)

// ephemeralRange reads the kernel's ephemeral port range.
func ephemeralRange() [2]int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return defaultEphemeral
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return defaultEphemeral
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || lo > hi {
		return defaultEphemeral
	}
	return [2]int{lo, hi}
}

// testnetPorts lists every port a testnet of n nodes at base uses.
func testnetPorts(base, n int) []int {
	out := make([]int, 0, 2*n)
	for i := range n {
		out = append(out, base+i, base+1000+i)
	}
	return out
}

// checkBasePort refuses a base whose ports fall inside the ephemeral range
// eph or above 65535.
func checkBasePort(base, n int, eph [2]int) error {
	if n > 1000 {
		return fmt.Errorf("testnet: %d nodes: the admin ports (base+1000+i) would overlap the p2p ports; at most 1000", n)
	}
	for _, p := range testnetPorts(base, n) {
		if p < 1 || p > 65535 {
			return fmt.Errorf("testnet: --base-port %d: port %d is out of range", base, p)
		}
		if p >= eph[0] && p <= eph[1] {
			return fmt.Errorf("testnet: --base-port %d: port %d is inside the ephemeral range %d-%d "+
				"(/proc/sys/net/ipv4/ip_local_port_range), where outgoing connections take their source ports; "+
				"choose a base below %d", base, p, eph[0], eph[1], eph[0]-1000-n)
		}
	}
	return nil
}

// busyPort returns the first of ports on 127.0.0.1 that cannot be bound
// (TCP), or 0.
func busyPort(ports []int) int {
	for _, p := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return p
		}
		_ = l.Close()
	}
	return 0
}

// pickBasePort returns the base for a new testnet of n nodes: base itself
// when given (checked against the ephemeral range and for free ports), or
// else the first block from autoBaseFrom whose ports are all free.
func pickBasePort(base, n int, eph [2]int, busy func([]int) int) (int, error) {
	if base != 0 {
		if err := checkBasePort(base, n, eph); err != nil {
			return 0, err
		}
		if p := busy(testnetPorts(base, n)); p != 0 {
			return 0, fmt.Errorf("testnet: --base-port %d: port %d is in use (another testnet?); choose another base or omit --base-port to pick a free one", base, p)
		}
		return base, nil
	}
	for b := autoBaseFrom; checkBasePort(b, n, eph) == nil; b += autoBaseStep {
		if busy(testnetPorts(b, n)) == 0 {
			return b, nil
		}
	}
	return 0, fmt.Errorf("testnet: no free block of ports from %d below the ephemeral range %d-%d; pass --base-port", autoBaseFrom, eph[0], eph[1])
}
