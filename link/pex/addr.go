package pex

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// PeerID is a node's identity as the transport spells it (the bytes of a
// libp2p peer id); the book treats it as opaque.
type PeerID string

// Address limits (the wire format's).
const (
	// MaxAddrLen is the longest address text.
	MaxAddrLen = 128
	// MaxAddrsPerPeer is how many addresses one entry or Hello carries.
	MaxAddrsPerPeer = 4
	// MaxIDLen is the longest peer id.
	MaxIDLen = 64
)

// Addr is a parsed dialable address: the text form of a multiaddr without
// its /p2p/<id> suffix, in the subset a blockwire node listens on:
//
//	/ip4/<a.b.c.d>/tcp/<port>       /ip4/<a.b.c.d>/udp/<port>/quic-v1
//	/ip6/<addr>/tcp/<port>          /ip6/<addr>/udp/<port>/quic-v1
//	/dns|dns4|dns6/<name>/tcp/<port> (and udp/…/quic-v1)
//
// Unspecified (0.0.0.0, ::), multicast and broadcast addresses and port 0
// name no machine and are refused; loopback only with
// Config.AllowLoopback.
type Addr struct {
	Text string
	// IP is the address's IP; invalid for a DNS name.
	IP netip.Addr
	// Host is the DNS name, or the IP's text.
	Host string
	// TCP is set for /tcp, clear for /udp/…/quic-v1.
	TCP  bool
	Port uint16
}

// ParseAddr parses and checks one address.
func ParseAddr(s string, allowLoopback bool) (Addr, error) {
	if len(s) == 0 || len(s) > MaxAddrLen {
		return Addr{}, fmt.Errorf("address of %d bytes, want 1..%d", len(s), MaxAddrLen)
	}
	parts := strings.Split(s, "/")
	if parts[0] != "" || (len(parts) != 5 && len(parts) != 6) {
		return Addr{}, fmt.Errorf("address %q: want /ip4|ip6|dns/<host>/tcp/<port> or /udp/<port>/quic-v1", s)
	}
	a := Addr{Text: s, Host: parts[2]}
	switch parts[1] {
	case "ip4", "ip6":
		ip, err := netip.ParseAddr(parts[2])
		if err != nil || ip.Zone() != "" || ip.Is4() != (parts[1] == "ip4") || ip.Is4In6() {
			return Addr{}, fmt.Errorf("address %q: bad %s", s, parts[1])
		}
		if ip.IsUnspecified() || ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return Addr{}, fmt.Errorf("address %q names no machine", s)
		}
		if ip.IsLoopback() && !allowLoopback {
			return Addr{}, fmt.Errorf("address %q is loopback", s)
		}
		if ip.String() != parts[2] {
			return Addr{}, fmt.Errorf("address %q: IP not in canonical form", s)
		}
		a.IP = ip
	case "dns", "dns4", "dns6":
		if !validDNS(parts[2]) {
			return Addr{}, fmt.Errorf("address %q: bad DNS name", s)
		}
		if strings.EqualFold(parts[2], "localhost") && !allowLoopback {
			return Addr{}, fmt.Errorf("address %q is loopback", s)
		}
	default:
		return Addr{}, fmt.Errorf("address %q: unknown protocol %q", s, parts[1])
	}
	switch {
	case parts[3] == "tcp" && len(parts) == 5:
		a.TCP = true
	case parts[3] == "udp" && len(parts) == 6 && parts[5] == "quic-v1":
	default:
		return Addr{}, fmt.Errorf("address %q: want tcp/<port> or udp/<port>/quic-v1", s)
	}
	port, err := strconv.ParseUint(parts[4], 10, 16)
	if err != nil || port == 0 || strconv.FormatUint(port, 10) != parts[4] {
		return Addr{}, fmt.Errorf("address %q: bad port", s)
	}
	a.Port = uint16(port)
	return a, nil
}

// validDNS accepts letters, digits, '-' and '.' in labels of 1..63 bytes.
func validDNS(s string) bool {
	if len(s) == 0 || len(s) > 100 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
			if !ok {
				return false
			}
		}
	}
	return true
}

// Group is the address's neighbourhood for the per-group cap: the /24 of
// an IPv4 address, the /48 of an IPv6 one, or the DNS name.
func (a Addr) Group() string {
	if !a.IP.IsValid() {
		return "dns:" + strings.ToLower(a.Host)
	}
	bits := 24
	if a.IP.Is6() {
		bits = 48
	}
	p, _ := a.IP.Prefix(bits)
	return p.String()
}

// parseAddrs parses a peer's address list: 1..MaxAddrsPerPeer valid,
// distinct addresses.
func parseAddrs(ss []string, allowLoopback bool) ([]Addr, error) {
	if len(ss) == 0 || len(ss) > MaxAddrsPerPeer {
		return nil, fmt.Errorf("%d addresses, want 1..%d", len(ss), MaxAddrsPerPeer)
	}
	out := make([]Addr, 0, len(ss))
	for i, s := range ss {
		a, err := ParseAddr(s, allowLoopback)
		if err != nil {
			return nil, err
		}
		for _, prev := range ss[:i] {
			if prev == s {
				return nil, fmt.Errorf("address %q listed twice", s)
			}
		}
		out = append(out, a)
	}
	return out, nil
}
