//go:build linux

package link

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"syscall"
)

// markTCP sets m on this process's TCP socket whose addresses are local
// and remote (sockmark.go says why it is looked up this way).
func markTCP(local, remote netip.AddrPort, m SocketMark) error {
	fd, err := findTCP(local, remote)
	if err != nil {
		return err
	}
	level, opt := tosOption(local)
	// The TOS first: setting it also resets the priority (from the TOS).
	if err := syscall.SetsockoptInt(fd, level, opt, m.TOS); err != nil {
		return fmt.Errorf("link: marking socket %d: TOS %#x: %w", fd, m.TOS, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_PRIORITY, m.Priority); err != nil {
		return fmt.Errorf("link: marking socket %d: SO_PRIORITY %d: %w", fd, m.Priority, err)
	}
	return nil
}

// readTCPMark reads the mark of the socket markTCP would mark.
func readTCPMark(local, remote netip.AddrPort) (SocketMark, error) {
	fd, err := findTCP(local, remote)
	if err != nil {
		return SocketMark{}, err
	}
	level, opt := tosOption(local)
	var m SocketMark
	if m.TOS, err = syscall.GetsockoptInt(fd, level, opt); err != nil {
		return m, fmt.Errorf("link: reading socket %d's TOS: %w", fd, err)
	}
	if m.Priority, err = syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_PRIORITY); err != nil {
		return m, fmt.Errorf("link: reading socket %d's priority: %w", fd, err)
	}
	return m, nil
}

// tosOption is the socket option that carries the traffic class: IP_TOS
// on an IPv4 socket, IPV6_TCLASS on an IPv6 one.
func tosOption(local netip.AddrPort) (level, opt int) {
	if local.Addr().Is4() {
		return syscall.IPPROTO_IP, syscall.IP_TOS
	}
	return syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS
}

// findTCP returns the descriptor of this process's TCP socket bound to
// local and connected to remote. A TCP connection's two addresses name
// one socket per network namespace, and a process lives in one. The
// descriptor is the process's own, borrowed: it must not be closed. If
// the connection closes between the lookup and the caller's setsockopt,
// the number may name a new socket by then: the window is a few system
// calls, and the worst case is one other socket marked low priority.
func findTCP(local, remote netip.AddrPort) (int, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1, fmt.Errorf("link: listing this process's sockets: %w", err)
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if isTCPSocket(fd, local, remote) {
			return fd, nil
		}
	}
	return -1, fmt.Errorf("%w (%s > %s)", errNoSocket, local, remote)
}

func isTCPSocket(fd int, local, remote netip.AddrPort) bool {
	if typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE); err != nil || typ != syscall.SOCK_STREAM {
		return false // not a socket (ENOTSOCK), or not TCP
	}
	la, err := syscall.Getsockname(fd)
	if err != nil || sockaddrPort(la) != local {
		return false
	}
	ra, err := syscall.Getpeername(fd)
	return err == nil && sockaddrPort(ra) == remote
}

// sockaddrPort converts an IP socket address; an IPv4-mapped IPv6
// address (a dual-stack socket) compares as IPv4.
func sockaddrPort(sa syscall.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port))
	}
	return netip.AddrPort{}
}
