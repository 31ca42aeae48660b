// Addresses InitNetwork writes: one host per node, listen and peer
// multiaddrs (TCP and QUIC), and a loopback admin address.

package node

import (
	"fmt"
	"net/netip"
	"regexp"

	"github.com/blockwire/blockwire/link"
)

// hostDefaults fills Hosts (one per node), the ports and the admin ports,
// and refuses a host peers cannot dial.
func (s *NetworkSpec) hostDefaults() error {
	if len(s.Hosts) == 0 {
		if s.Host == "" {
			s.Host = "127.0.0.1"
		}
		for range s.Nodes {
			s.Hosts = append(s.Hosts, s.Host)
		}
	}
	if len(s.Hosts) != s.Nodes {
		return fmt.Errorf("node: NetworkSpec has %d hosts for %d nodes, want one host per node", len(s.Hosts), s.Nodes)
	}
	for i, h := range s.Hosts {
		if err := checkHost(h, s.Nodes); err != nil {
			return fmt.Errorf("node: host of node%d: %w", i, err)
		}
	}
	if s.ListenHost != "" {
		if _, err := netip.ParseAddr(s.ListenHost); err != nil {
			return fmt.Errorf("node: listen host %q: want an IP address such as 0.0.0.0", s.ListenHost)
		}
	}
	if s.BasePort == 0 {
		s.BasePort = 26600
	}
	if s.AdminBasePort == 0 {
		s.AdminBasePort = s.BasePort + 1000
	}
	// k counts the earlier nodes on the same host: one node per machine
	// uses the base ports; several on one machine get consecutive ones.
	seen := map[string]int{}
	fill := s.P2PPorts == nil
	fillAdmin := s.AdminPorts == nil
	for _, h := range s.Hosts {
		k := seen[h]
		seen[h]++
		if fill {
			s.P2PPorts = append(s.P2PPorts, s.BasePort+k)
		}
		if fillAdmin {
			s.AdminPorts = append(s.AdminPorts, s.AdminBasePort+k)
		}
	}
	return nil
}

var dnsName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$`)

// checkHost accepts an IP other nodes can dial, or a DNS name. An
// unspecified address (0.0.0.0, ::) is only a place to listen: written as
// a static peer nobody can dial it, so it is refused when there are peers.
func checkHost(h string, nodes int) error {
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.IsUnspecified() && nodes > 1 {
			return fmt.Errorf("%q is not an address peers can dial: name each node's machine "+
				"(--hosts 10.0.0.1,10.0.0.2,...) and listen on every interface with --listen-host 0.0.0.0", h)
		}
		return nil
	}
	if !dnsName.MatchString(h) {
		return fmt.Errorf("%q is neither an IP address nor a DNS name", h)
	}
	return nil
}

// listenHost is where node i listens: ListenHost, else its own host when
// that is an IP, else every interface (a DNS name may not be local).
func (s *NetworkSpec) listenHost(i int) string {
	if s.ListenHost != "" {
		return s.ListenHost
	}
	if _, err := netip.ParseAddr(s.Hosts[i]); err == nil {
		return s.Hosts[i]
	}
	return "0.0.0.0"
}

// hostProto is the multiaddr prefix of a host: /ip4/..., /ip6/... or
// /dns/... (resolved to either family by libp2p when dialling).
func hostProto(h string) string {
	ip, err := netip.ParseAddr(h)
	switch {
	case err != nil:
		return "/dns/" + h
	case ip.Is4() || ip.Is4In6():
		return "/ip4/" + ip.Unmap().String()
	default:
		return "/ip6/" + ip.String()
	}
}

// listenAddrs are a node's p2p.listen entries.
func listenAddrs(host string, port int, quic bool) []string {
	out := []string{fmt.Sprintf("%s/tcp/%d", hostProto(host), port)}
	if quic {
		out = append(out, fmt.Sprintf("%s/udp/%d/quic-v1", hostProto(host), port))
	}
	return out
}

// peerAddrs are the static-peer entries other nodes write for a node.
func peerAddrs(host string, port int, quic bool, id link.PeerID) []string {
	out := listenAddrs(host, port, quic)
	for i := range out {
		out[i] += "/p2p/" + id.String()
	}
	return out
}

// adminHost is where a node's admin API listens: its own host when that
// is a loopback address (several nodes on one machine, 127.0.0.2, ...),
// else 127.0.0.1. init never writes a non-loopback admin address: the
// operator opens it deliberately (and then needs the token, AdminConfig).
func adminHost(host string) string {
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return ip.Unmap().String()
	}
	return "127.0.0.1"
}
