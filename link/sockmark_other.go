//go:build !linux

package link

import "net/netip"

// markTCP is Linux-only (sockmark.go): elsewhere the bulk connection is
// not marked.
func markTCP(_, _ netip.AddrPort, _ SocketMark) error { return errMarkUnsupported }

func readTCPMark(_, _ netip.AddrPort) (SocketMark, error) { return SocketMark{}, errMarkUnsupported }
