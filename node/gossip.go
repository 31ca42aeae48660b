package node

import (
	"errors"
	"fmt"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

// This file is the gossipsub relay (p2p.relay = "gossipsub"): a BENCHMARK
// BASELINE, not a production relay (issue 19, item 5). Producers publish
// every block body on one go-libp2p-pubsub gossipsub topic with default
// parameters, unsigned (as in docs/benchmarks.md's in-process anchor), and
// every node adds the bodies it receives; blocksync stays connected for
// its hellos but every link is off for bodies, so gossipsub alone carries
// them. It has no catch-up (a node that misses a block stays behind), so
// it is for side-by-side propagation figures on a healthy network only.
// The node counts copies from gossipsub's own tracer: the first delivery
// and every duplicate.

// gossipOrphans bounds the bodies held until their parent arrives
// (gossipsub may deliver a child first over a faster path).
const gossipOrphans = 64

// gossipRelay is the pubsub side; the loop owns orphans.
type gossipRelay struct {
	ps      *pubsub.PubSub
	topic   *pubsub.Topic
	sub     *pubsub.Subscription
	orphans map[block.ID][]*block.Block // by parent; loop-owned
	count   int
	// out queues our blocks for gossipPublisher: 256 blocks is minutes of
	// production, far more than the wait for the first topic peer.
	out chan []byte
}

// gossipWaitPeers bounds how long the publisher waits for its static
// peers to join the topic; gossipMeshGrace is the wait after that.
const (
	gossipWaitPeers = 30 * time.Second
	gossipMeshGrace = 3 * time.Second
)

// gossipNeighboursJoined reports whether every static peer is linked and
// subscribed to the topic (and there is at least one).
func (n *Node) gossipNeighboursJoined() bool {
	joined := map[peer.ID]bool{}
	for _, p := range n.gossip.topic.ListPeers() {
		joined[p] = true
	}
	want := 0
	for _, s := range n.cfg.P2P.StaticPeers {
		info, err := peer.AddrInfoFromString(s)
		if err != nil {
			continue
		}
		if !joined[info.ID] {
			return false
		}
		want++
	}
	return want > 0 || len(joined) > 0
}

// gossipID is a message's id: the block id that prefixes its data.
func gossipID(m *pb.Message) string {
	if len(m.Data) < len(block.ID{}) {
		return string(m.Data)
	}
	return string(m.Data[:len(block.ID{})])
}

// startGossip joins the blocks topic when the config asks for the
// gossipsub relay. It needs the libp2p network.
func (n *Node) startGossip(nw link.Network) error {
	if n.cfg.P2P.Relay != RelayGossipsub {
		return nil
	}
	lh, ok := nw.(interface{ Libp2p() host.Host })
	if !ok {
		return errors.New("node: p2p.relay gossipsub needs the libp2p network")
	}
	ps, err := pubsub.NewGossipSub(n.stopCtx, lh.Libp2p(),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign), pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(gossipID), pubsub.WithMaxMessageSize(n.cfg.P2P.MaxBlockBytes+1024),
		pubsub.WithRawTracer(gossipTracer{n}))
	if err != nil {
		return fmt.Errorf("node: gossipsub: %w", err)
	}
	topic, err := ps.Join("/blockwire/" + n.genesis.Chain + "/blocks/1")
	if err != nil {
		return fmt.Errorf("node: gossipsub: %w", err)
	}
	sub, err := topic.Subscribe()
	if err != nil {
		return fmt.Errorf("node: gossipsub: %w", err)
	}
	n.gossip = &gossipRelay{ps: ps, topic: topic, sub: sub, orphans: map[block.ID][]*block.Block{}, out: make(chan []byte, 256)}
	n.bg.Go(n.gossipReceive)
	n.bg.Go(n.gossipPublisher)
	n.log.Warn().Msg("block bodies relayed by gossipsub: a benchmark baseline, not for production (no catch-up)")
	return nil
}

// gossipPublish queues a block this node made for the topic.
func (n *Node) gossipPublish(b *block.Block) {
	if n.gossip == nil {
		return
	}
	id := b.ID()
	data := b.AppendEncoding(append(make([]byte, 0, len(id)+b.EncodedSize()), id[:]...))
	select {
	case n.gossip.out <- data:
	default:
		n.log.Warn().Stringer("block", id).Msg("gossipsub publish queue full: block not relayed")
	}
}

// gossipPublisher publishes queued blocks in order. Until the topic has a
// peer it waits (up to gossipWaitPeers): gossipsub sends a message only to
// peers it knows subscribe, and the baseline has no catch-up for the
// blocks made while the nodes were still meeting.
func (n *Node) gossipPublisher() {
	g := n.gossip
	deadline := time.Now().Add(gossipWaitPeers)
	for !n.gossipNeighboursJoined() && time.Now().Before(deadline) {
		select {
		case <-n.stopCtx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	// Meshes form on heartbeats (1 s): give every relay a few, so the
	// first blocks are forwarded beyond our neighbours too.
	select {
	case <-n.stopCtx.Done():
		return
	case <-time.After(gossipMeshGrace):
	}
	for {
		select {
		case <-n.stopCtx.Done():
			return
		case data := <-g.out:
			var id block.ID
			copy(id[:], data)
			n.prop.Sent(id, time.Now())
			if err := g.topic.Publish(n.stopCtx, data); err != nil && n.stopCtx.Err() == nil {
				n.log.Warn().Err(err).Msg("gossipsub publish failed")
			}
		}
	}
}

// gossipReceive hands every delivered body to the loop until the node stops.
func (n *Node) gossipReceive() {
	for {
		m, err := n.gossip.sub.Next(n.stopCtx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == n.id {
			continue // our own publication
		}
		from, now := m.ReceivedFrom, time.Now()
		b, err := decodeGossip(m.Data, n.blockLimits())
		if err != nil {
			n.syncLog.Warn().Str("peer", from.String()).Err(err).Msg("gossipsub body refused")
			continue
		}
		_ = n.call(n.stopCtx, func() { n.addFromGossip(b, from, now) })
	}
}

func decodeGossip(data []byte, lim block.Limits) (*block.Block, error) {
	if len(data) < len(block.ID{}) {
		return nil, errors.New("gossipsub message shorter than a block id")
	}
	b, err := block.Decode(data[len(block.ID{}):], lim)
	if err != nil {
		return nil, err
	}
	if id := b.ID(); string(id[:]) != string(data[:len(id)]) {
		return nil, fmt.Errorf("gossipsub message id %x is not its block's id %s", data[:8], id)
	}
	return b, nil
}

// addFromGossip adds a body on the loop; a body whose parent has not come
// yet waits (bounded) and is added right after its parent.
func (n *Node) addFromGossip(b *block.Block, from peer.ID, now time.Time) {
	g := n.gossip
	if !n.chain.Tree().Has(b.Parent) && b.Height > n.chain.IrreversibleID().Height()+1 {
		if g.count < gossipOrphans {
			g.orphans[b.Parent] = append(g.orphans[b.Parent], b)
			g.count++
		}
		return
	}
	if reason, err := n.checkProducer(b); err != nil {
		n.stats.reject(reason)
		n.syncLog.Warn().Str("peer", from.String()).Str("reason", reason).Err(err).Msg("gossipsub block refused")
		return
	}
	res, err := n.chain.Add(b)
	if err != nil {
		if chain.ReasonOf(err) != chain.ReasonDuplicate {
			n.stats.reject(string(chain.ReasonOf(err)))
		}
		return
	}
	n.stats.blocksReceived.Add(1)
	n.prop.First(b, now, false, false, RelayGossipsub)
	n.lp.view.Keep(b)
	n.onResult(res)
	n.bodyArrived(b)
	id := b.ID()
	kids := g.orphans[id]
	delete(g.orphans, id)
	g.count -= len(kids)
	for _, k := range kids {
		n.addFromGossip(k, from, now)
	}
}

// gossipOff turns a new link off for bodies: gossipsub carries them.
func (n *Node) gossipOff(p *peerState) {
	p.off = true
	p.link.SetMode(link.ModeOff)
	_ = p.conn.SetMode(time.Now(), blocksync.ModeOff)
}

// gossipTracer counts duplicate bodies per block (the first copy is
// counted when it is added). Its methods run on pubsub's goroutines.
type gossipTracer struct{ n *Node }

var _ pubsub.RawTracer = gossipTracer{}

func (t gossipTracer) DuplicateMessage(m *pubsub.Message) {
	if len(m.Data) >= len(block.ID{}) {
		var id block.ID
		copy(id[:], m.Data)
		t.n.prop.Duplicate(id, 1)
		t.n.stats.bodyDuplicates.Add(1)
	}
}

func (gossipTracer) AddPeer(peer.ID, protocol.ID)             {}
func (gossipTracer) RemovePeer(peer.ID)                       {}
func (gossipTracer) OnNewOutboundStream(peer.ID, protocol.ID) {}
func (gossipTracer) OnClosedOutboundStream(peer.ID)           {}
func (gossipTracer) Join(string)                              {}
func (gossipTracer) Leave(string)                             {}
func (gossipTracer) Graft(peer.ID, string)                    {}
func (gossipTracer) Prune(peer.ID, string)                    {}
func (gossipTracer) ValidateMessage(*pubsub.Message)          {}
func (gossipTracer) DeliverMessage(*pubsub.Message)           {}
func (gossipTracer) RejectMessage(*pubsub.Message, string)    {}
func (gossipTracer) ThrottlePeer(peer.ID)                     {}
func (gossipTracer) RecvRPC(*pubsub.RPC)                      {}
func (gossipTracer) SendRPC(*pubsub.RPC, peer.ID)             {}
func (gossipTracer) DropRPC(*pubsub.RPC, peer.ID)             {}
func (gossipTracer) UndeliverableMessage(*pubsub.Message)     {}
