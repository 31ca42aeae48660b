package link

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"
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
