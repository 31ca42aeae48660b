package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/link"
)

// rawPeer is a fresh libp2p identity that completes the ordinary link
// handshake (four lane streams, the chain id on the consensus lane) and
// then writes frames by hand, as an outsider would: it can announce a
// message and never send it, or send hellos and never grant credit. It
// answers PINGs, so the victim's keep-alive never closes the link for it:
// only the victim's own defences can. It is the harness's attacker, not
// product code (issue 11).
type rawPeer struct {
	h     host.Host
	lanes [link.NumLanes]network.Stream
	mu    sync.Mutex // one writer per stream at a time (PONGs vs. attack frames)
	// credit is what the victim granted us on its bulk lanes (blocks,
	// sync) and we have not used: sending beyond it would be charged as a
	// protocol violation, which is not the attack being measured.
	credit [link.NumLanes]int64
	done   chan struct{}
}

// Wire constants of link/frame.go, repeated: the attacker writes frames
// by hand precisely so that it need not behave like our link.
const (
	rawFrameMsg    = 1
	rawFrameCredit = 2
	rawFramePing   = 3
	rawFramePong   = 4
)

// dialRaw opens a fresh identity and the four lanes to target.
func dialRaw(ctx context.Context, target peer.AddrInfo, chain [32]byte) (*rawPeer, error) {
	h, err := libp2p.New(libp2p.NoListenAddrs, libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		return nil, err
	}
	p := &rawPeer{h: h, done: make(chan struct{})}
	if err := h.Connect(ctx, target); err != nil {
		p.close()
		return nil, fmt.Errorf("attack: dialling %s: %w", target.ID, err)
	}
	for l := range byte(link.NumLanes) {
		s, err := h.NewStream(ctx, target.ID, link.ProtocolID)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("attack: lane %d stream: %w", l, err)
		}
		pre := []byte{'B', 'W', link.WireVersion, l, 0, 0, 0, 0, 0, 0, 0, 1} // lane, link id (one link)
		if link.Lane(l) == link.LaneConsensus {
			pre = append(pre, chain[:]...)
		}
		if _, err := s.Write(pre); err != nil {
			p.close()
			return nil, err
		}
		p.lanes[l] = s
	}
	for l, s := range p.lanes {
		if link.Lane(l) == link.LaneConsensus {
			go p.serveControl(s)
		} else {
			go func() { _, _ = io.Copy(io.Discard, s) }() // the victim's messages: read and dropped
		}
	}
	return p, nil
}

// serveControl reads the victim's frames on the consensus stream and
// answers each PING; it grants no credit, ever.
func (p *rawPeer) serveControl(s network.Stream) {
	br := bufio.NewReader(s)
	if _, err := io.ReadFull(br, make([]byte, 4+32)); err != nil { // the victim's chain id answer
		return
	}
	for {
		typ, err := br.ReadByte()
		if err != nil {
			return
		}
		size, err := binary.ReadUvarint(br)
		if err != nil {
			return
		}
		if typ == rawFrameCredit && size < 16 {
			b := make([]byte, size)
			if _, err := io.ReadFull(br, b); err != nil {
				return
			}
			if n, k := binary.Uvarint(b[1:]); k > 0 && int(b[0]) < link.NumLanes {
				p.mu.Lock()
				p.credit[b[0]] += int64(n)
				p.mu.Unlock()
			}
			continue
		}
		if typ != rawFramePing || size != 8 {
			if _, err := io.CopyN(io.Discard, br, int64(size)); err != nil {
				return
			}
			continue
		}
		nonce := make([]byte, 8)
		if _, err := io.ReadFull(br, nonce); err != nil {
			return
		}
		pong := append([]byte{rawFramePong, 8}, nonce...)
		if p.write(link.LaneConsensus, pong) != nil {
			return
		}
	}
}

func (p *rawPeer) write(l link.Lane, b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.lanes[l].Write(b)
	return err
}

// errNoCredit: the victim has not granted the credit a message needs.
var errNoCredit = errors.New("attack: no credit on the lane")

// send writes one whole message frame on lane l, within the victim's
// credit on a bulk lane.
func (p *rawPeer) send(l link.Lane, msg []byte) error {
	b := binary.AppendUvarint([]byte{rawFrameMsg}, uint64(len(msg)))
	b = append(b, msg...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if l == link.LaneBlocks || l == link.LaneSync {
		if p.credit[l] < int64(len(b)) {
			return errNoCredit
		}
		p.credit[l] -= int64(len(b))
	}
	_, err := p.lanes[l].Write(b)
	return err
}

// announce writes only the header of a message of n bytes: the payload
// never follows.
func (p *rawPeer) announce(l link.Lane, n uint64) error {
	return p.write(l, binary.AppendUvarint([]byte{rawFrameMsg}, n))
}

// connected reports whether libp2p still has a connection to the victim.
func (p *rawPeer) connected(to peer.ID) bool {
	return p.h.Network().Connectedness(to) == network.Connected
}

func (p *rawPeer) close() { _ = p.h.Close() }
