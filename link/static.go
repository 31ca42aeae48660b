package link

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// parseStatic turns /.../p2p/<id> multiaddrs into AddrInfos, merging
// several addresses of one peer.
func parseStatic(addrs []string) ([]peer.AddrInfo, error) {
	mas := make([]multiaddr.Multiaddr, 0, len(addrs))
	for _, a := range addrs {
		ma, err := multiaddr.NewMultiaddr(a)
		if err != nil {
			return nil, fmt.Errorf("link: Config.StaticPeers entry %q: %w", a, err)
		}
		if _, err := ma.ValueForProtocol(multiaddr.P_P2P); err != nil {
			return nil, fmt.Errorf("link: Config.StaticPeers entry %q has no /p2p/<id>", a)
		}
		mas = append(mas, ma)
	}
	infos, err := peer.AddrInfosFromP2pAddrs(mas...)
	if err != nil {
		return nil, fmt.Errorf("link: Config.StaticPeers: %w", err)
	}
	return infos, nil
}

// undialable says why no address of a static peer can be dialled (none
// given, or only 0.0.0.0 / ::, which name no machine), or "" when one can.
// Such a peer is kept in the list (the peer may dial us), but the host
// logs it at warn at start: otherwise the only symptom is a producer
// that never finds a quorum.
func undialable(info peer.AddrInfo) string {
	if len(info.Addrs) == 0 {
		return "no address, only a peer id"
	}
	for _, a := range info.Addrs {
		ip, err := manet.ToIP(a)
		if err != nil || !ip.IsUnspecified() {
			return "" // a DNS name or a real IP
		}
	}
	return "only unspecified addresses (0.0.0.0 or ::) that name no machine: write the peer's own address"
}

// UndialableStatic lists, for `blockwire config check`, the static peers
// no address of which can be dialled, with the reason.
func UndialableStatic(addrs []string) []string {
	infos, err := parseStatic(addrs)
	if err != nil {
		return nil // Config.Validate reports it
	}
	var out []string
	for _, info := range infos {
		if why := undialable(info); why != "" {
			out = append(out, "static peer "+info.ID.String()+" cannot be dialled: "+why)
		}
	}
	return out
}
