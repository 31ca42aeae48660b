//go:build !linux

package link

import (
	"errors"
	"net/netip"
)

// errMarkUnsupported: this platform cannot find or mark the socket.
var errMarkUnsupported = errors.New("link: marking a connection's socket is implemented on Linux only")

// markTCP is Linux-only (sockmark.go): elsewhere the bulk connection is
// not marked.
func markTCP(_, _ netip.AddrPort, _ SocketMark) error { return errMarkUnsupported }

func readTCPMark(_, _ netip.AddrPort) (SocketMark, error) { return SocketMark{}, errMarkUnsupported }
