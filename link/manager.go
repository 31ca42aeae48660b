package link

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// keepConnected is the peer manager's loop for one static peer: while the
// host runs, keep a link up; after a failed dial wait a capped exponential
// backoff with jitter (attempt 0, 1, 2... from ReconnectMin to
// ReconnectMax). A link that stayed up for ReconnectMax resets the attempt
// count and is redialed at once when it ends; a link that ends sooner (a
// peer that accepts and then drops us) counts as a failed attempt, so a
// flapping peer is not redialed in a tight loop.
func (hst *Host) keepConnected(info peer.AddrInfo) {
	defer hst.loops.Done()
	attempt := 0
	for hst.ctx.Err() == nil {
		if l := hst.Link(info.ID); l != nil {
			up := time.Now()
			select {
			case <-l.Done():
			case <-hst.ctx.Done():
				return
			}
			if time.Since(up) >= hst.cfg.ReconnectMax {
				attempt = 0
				continue
			}
			if !hst.sleep(hst.jitteredDelay(attempt)) {
				return
			}
			attempt++
			continue
		}
		if !hst.isBanned(info.ID) {
			ctx, cancel := context.WithTimeout(hst.ctx, hst.cfg.Conn.HandshakeTimeout)
			_, err := hst.Connect(ctx, info)
			cancel()
			if err == nil {
				continue
			}
			// Info: an operator must see why a configured peer stays down
			// (the backoff caps the rate at one line per ReconnectMax).
			hst.log.Info().Err(err).Str("peer", info.ID.String()).Int("attempt", attempt).Msg("static peer dial failed")
			if hst.lastReason(info.ID) == ReasonWrongChain {
				// Refused once and logged (chainid.go): only a config or
				// genesis fix helps, so do not redial every few seconds.
				if !hst.sleep(wrongChainRedial) {
					return
				}
				continue
			}
		}
		if !hst.sleep(hst.jitteredDelay(attempt)) {
			return
		}
		attempt++
	}
}

// sleep waits for d, or reports false when the host closes first.
func (hst *Host) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-hst.ctx.Done():
		return false
	}
}

// mdnsNotifee dials peers found on the local network while below
// MaxOutbound.
type mdnsNotifee struct{ h *Host }

func (n mdnsNotifee) HandlePeerFound(info peer.AddrInfo) {
	h := n.h
	if info.ID == h.local || h.Link(info.ID) != nil || h.ctx.Err() != nil ||
		h.count(network.DirOutbound) >= h.cfg.MaxOutbound {
		return
	}
	h.loops.Add(1)
	go func() {
		defer h.loops.Done()
		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.Conn.HandshakeTimeout)
		defer cancel()
		if _, err := h.Connect(ctx, info); err != nil {
			h.log.Debug().Err(err).Str("peer", info.ID.String()).Msg("mdns peer dial failed")
		}
	}()
}
