package netns

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// freeSubnet picks 10.X.0.0/16 for the first X in 78..199 that no route
// and no address on the machine touches.
func freeSubnet() (netip.Prefix, error) {
	out, err := exec.Command("ip", "-4", "route", "show", "table", "all").Output()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("netns: listing routes: %w", err)
	}
	addrs, err := exec.Command("ip", "-4", "-o", "addr").Output()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("netns: listing addresses: %w", err)
	}
	used := string(out) + string(addrs)
	for x := 78; x < 200; x++ {
		if !strings.Contains(used, fmt.Sprintf("10.%d.", x)) {
			return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(x), 0, 0}), 16), nil
		}
	}
	return netip.Prefix{}, errors.New("netns: no free 10.X.0.0/16 in 10.78..10.199")
}

// Leftovers lists the namespaces and interfaces with this package's names
// on the machine (all of them, whoever made them).
func Leftovers() ([]string, error) {
	var out []string
	ns, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil, fmt.Errorf("netns: ip netns list: %w", err)
	}
	for _, line := range strings.Split(string(ns), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], Prefix+"-") {
			out = append(out, "netns "+f[0])
		}
	}
	links, err := exec.Command("ip", "-o", "link").Output()
	if err != nil {
		return nil, fmt.Errorf("netns: ip link: %w", err)
	}
	for _, line := range bytes.Split(links, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if strings.HasPrefix(name, Prefix) {
			out = append(out, "link "+name)
		}
	}
	return out, nil
}

// Sweep deletes the namespaces and interfaces a Lab of a process that is no
// longer running left behind (it was killed before Close). Names of running
// processes' labs are kept. It returns what it deleted.
func Sweep() ([]string, error) {
	left, err := Leftovers()
	if err != nil {
		return nil, err
	}
	var gone []string
	var errs []error
	for _, item := range left {
		kind, name, _ := strings.Cut(item, " ")
		if pidAlive(ownerPid(name)) {
			continue
		}
		switch kind {
		case "netns":
			err = run("ip", "netns", "del", name)
		default:
			err = ignoreMissing(run("ip", "link", "del", name))
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		gone = append(gone, item)
	}
	return gone, errors.Join(errs...)
}

// ownerPid reads the creating process's pid out of a name
// ("bwt-<pid>-<i>", "bwt<pid>b", "bwt<pid>h<i>", "bwt<pid>i<i>"): the
// decimal digits after the prefix. It returns 0 when there are none.
func ownerPid(name string) int {
	rest := strings.TrimPrefix(strings.TrimPrefix(name, Prefix), "-")
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	pid, _ := strconv.Atoi(rest[:end])
	return pid
}

func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
