package netns

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]uint64{"100mbit": 100e6, "1gbit": 1e9, "2.5Mbit": 2.5e6, "64kbit": 64e3, "1000bit": 1000} {
		got, err := ParseRate(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "100", "fast", "-1mbit", "100mb"} {
		_, err := ParseRate(in)
		require.Error(t, err, in)
	}
}

func TestOwnerPid(t *testing.T) {
	require.Equal(t, 1234, ownerPid("bwt-1234-7"))
	require.Equal(t, 1234, ownerPid("bwt1234b"))
	require.Equal(t, 1234, ownerPid("bwt1234h15"))
	require.Equal(t, 0, ownerPid("bwtxyz"))
}

// TestLabConnectsShapesCutsAndCleansUp builds two hosts, talks between them
// over TCP, cuts them apart three ways, and checks Close leaves nothing.
func TestLabConnectsShapesCutsAndCleansUp(t *testing.T) {
	SkipUnlessAvailable(t)
	lab, err := New()
	require.NoError(t, err)
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = lab.Close()
		}
	})
	a, err := lab.AddHost()
	require.NoError(t, err)
	b, err := lab.AddHost()
	require.NoError(t, err)
	require.NoError(t, a.Shape("50mbit"))
	require.NoError(t, b.Shape("50mbit"))
	require.True(t, lab.Subnet.Contains(a.IP) && lab.Subnet.Contains(b.IP))

	// A listener inside b (a tiny shell server is not available: use the
	// test binary's own address from the host side instead).
	ln := listenIn(t, b)
	require.True(t, dial(ln), "the host reaches a namespace over the bridge")

	require.NoError(t, b.SetPort(false))
	require.False(t, dial(ln), "bridge port down: unreachable")
	require.NoError(t, b.SetPort(true))
	require.Eventually(t, func() bool { return dial(ln) }, 5*time.Second, 100*time.Millisecond)

	require.NoError(t, lab.Close())
	closed = true
	left, err := Leftovers()
	require.NoError(t, err)
	for _, item := range left {
		require.NotContains(t, item, strconv.Itoa(os.Getpid()), "left behind: %s", item)
	}
}

// listenIn starts `sleep`-free TCP listening inside h: it runs this test
// binary's helper mode in the namespace and returns the address.
func listenIn(t *testing.T, h *Host) string {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	addr := net.JoinHostPort(h.IP.String(), "7070")
	cmd := h.Command(self, "-test.run=TestHelperListen")
	cmd.Env = append(os.Environ(), "NETNS_HELPER_LISTEN="+addr)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	require.Eventually(t, func() bool { return dial(addr) }, 10*time.Second, 50*time.Millisecond)
	return addr
}

func dial(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// TestHelperListen is not a test: listenIn runs it inside a namespace.
func TestHelperListen(t *testing.T) {
	addr := os.Getenv("NETNS_HELPER_LISTEN")
	if addr == "" {
		t.Skip("helper process only")
	}
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c.Close()
	}
}

func TestBlockDropsTraffic(t *testing.T) {
	SkipUnlessAvailable(t)
	lab, err := New()
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, lab.Close()) })
	a, err := lab.AddHost()
	require.NoError(t, err)
	b, err := lab.AddHost()
	require.NoError(t, err)
	ln := listenIn(t, b)
	_ = a
	// Block the driver's own address inside b: b's answers to the host
	// vanish, so the host's dial times out.
	require.NoError(t, b.Block([]netip.Addr{lab.HostIP}))
	require.False(t, dial(ln))
	require.NoError(t, b.Unblock([]netip.Addr{lab.HostIP}))
	require.True(t, dial(ln))
	require.True(t, strings.HasPrefix(b.NS, Prefix+"-"))
}

// Block and Unblock take many addresses in one `ip -batch`: all routes
// appear and go, an Unblock of routes already gone (or never there) is
// not an error, and a failing line for another reason is.
func TestBlockManyInOneBatch(t *testing.T) {
	SkipUnlessAvailable(t)
	lab, err := New()
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, lab.Close()) })
	h, err := lab.AddHost()
	require.NoError(t, err)
	var to []netip.Addr
	for i := range 40 {
		to = append(to, netip.AddrFrom4([4]byte{10, 250, 0, byte(i + 1)}))
	}
	blackholes := func() int {
		out, err := exec.Command("ip", "-n", h.NS, "route", "show", "type", "blackhole").Output()
		require.NoError(t, err)
		return strings.Count(string(out), "blackhole")
	}
	require.NoError(t, h.Block(to))
	require.Equal(t, 40, blackholes())
	require.NoError(t, h.Block(to[:3]), "replace: blocking twice is fine")
	more := append(slices.Clone(to), netip.AddrFrom4([4]byte{10, 250, 1, 1}))
	require.NoError(t, h.Unblock(more), "one of them was never blocked")
	require.Zero(t, blackholes())
	require.NoError(t, h.Unblock(to), "all already gone")
	bad := &Host{NS: h.NS + "-absent"}
	require.Error(t, bad.Block(to[:1]), "a namespace that does not exist")
}

func TestRouteLines(t *testing.T) {
	to := []netip.Addr{netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.1.0.2")}
	require.Equal(t, "route del blackhole 10.1.0.1/32\nroute del blackhole 10.1.0.2/32\n", routeLines("del", to))
	require.Empty(t, routeLines("replace", nil))
	require.True(t, onlyMissing("RTNETLINK answers: No such process\nCommand failed -:1\n"))
	require.False(t, onlyMissing("RTNETLINK answers: No such process\nError: inet prefix is expected rather than \"x\".\n"))
}
