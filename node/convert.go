package node

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/link"
)

// newHostWithKey starts a libp2p host whose identity is key. link.Config
// takes the key as a file only, which is where the node read it from.
func newHostWithKey(lc link.Config, key crypto.PrivKey, h link.Handler) (*link.Host, error) {
	k, err := link.LoadOrCreateKey(lc.KeyFile)
	if err != nil {
		return nil, err
	}
	if !k.Equals(key) {
		return nil, fmt.Errorf("node: key file %s does not hold the node key (WithKey needs WithNetwork)", lc.KeyFile)
	}
	return link.New(lc, h)
}

// dialStatic keeps links to the config's static peers on networks that do
// not do it themselves (the in-memory one); *link.Host has its own peer
// manager. Peers are dialed by id; addresses are ignored.
func (n *Node) dialStatic() {
	var infos []peer.AddrInfo
	for _, s := range n.cfg.P2P.StaticPeers {
		info, err := peer.AddrInfoFromString(s)
		if err != nil {
			n.log.Warn().Str("peer", s).Err(err).Msg("static peer ignored")
			continue
		}
		infos = append(infos, *info)
	}
	if len(infos) == 0 {
		return
	}
	const minDelay, maxDelay = 100 * time.Millisecond, 2 * time.Second
	delay := minDelay
	for {
		missing := false
		for _, info := range infos {
			if n.net.Link(info.ID) != nil {
				continue
			}
			missing = true
			ctx, cancel := context.WithTimeout(n.stopCtx, time.Second)
			_, err := n.net.Connect(ctx, info)
			cancel()
			if err != nil && n.stopCtx.Err() == nil {
				n.log.Debug().Str("peer", info.ID.String()).Err(err).Msg("dial failed")
			}
		}
		if missing {
			delay = min(delay*2, maxDelay)
		} else {
			delay = minDelay
		}
		select {
		case <-n.stopCtx.Done():
			return
		case <-time.After(delay):
		}
	}
}
