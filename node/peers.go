package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/link"
)

// peerState is one link and its blocksync Conn, owned by the loop.
type peerState struct {
	link     link.Link
	id       link.PeerID
	conn     *blocksync.Conn
	deadline time.Time
	since    time.Time
	// closing is set once we closed the link; its Disconnected follows.
	closing bool
	// counted is the Conn's Stats already added to the node's counters.
	counted blocksync.Stats
	// off is set while the Conn is in ModeOff; offSeen when the link
	// refused a body because someone turned it off on the link layer.
	off, offSeen bool
	// vouched is the check of the peer's latest Have header (syncsignal.go).
	vouched vouched
	// posted is when the link delivered the frame being received.
	posted time.Time
}

func (n *Node) onConnected(l link.Link) {
	lp := n.lp
	if _, dup := lp.peers[l]; dup {
		return
	}
	now := time.Now()
	cfg := lp.cfg
	// Stagger graft delays so that when a tree path dies the node's backup
	// links do not all graft at once (blocksync.Config.GraftDelay).
	cfg.GraftDelay += cfg.GraftDelay * time.Duration(lp.connSeq%4) / 4
	lp.connSeq++
	c, err := blocksync.New(cfg, syncChain{lp.view, n}, now)
	if err != nil {
		n.log.Error().Err(err).Msg("blocksync config")
		l.Close(err)
		return
	}
	p := &peerState{link: l, id: l.Peer(), conn: c, since: now}
	lp.peers[l] = p
	lp.byID[p.id] = p
	n.syncLog.Debug().Str("peer", p.id.String()).Stringer("direction", l.Direction()).Msg("peer connected")
	n.events.Publish(Event{Kind: EventPeerConnected, Time: now, Peer: p.id})
	if n.gossip != nil {
		n.gossipOff(p)
	}
	n.perform(p)
}

func (n *Node) onDisconnected(l link.Link, err error) {
	lp := n.lp
	p := lp.peers[l]
	if p == nil {
		return
	}
	delete(lp.peers, l)
	_ = p.conn.Close(time.Now(), "link closed") // the bodies it was receiving are lost (Inbound)
	if lp.byID[p.id] == p {
		delete(lp.byID, p.id)
	}
	reason := string(link.ReasonOf(err))
	detail := ""
	if err != nil {
		detail = err.Error()
	}
	n.log.Info().Str("peer", p.id.String()).Str("reason", reason).Str("detail", detail).
		Dur("uptime", time.Since(p.since)).Msg("peer disconnected")
	n.events.Publish(Event{Kind: EventPeerDisconnected, Time: time.Now(), Peer: p.id, Reason: detail})
	n.failSubmitsVia(p.id)
	if n.leaderID() == p.id {
		// The leader may have died with transactions only it held.
		n.resendWatched(time.Now(), true)
	}
}

func (n *Node) onReceive(l link.Link, lane link.Lane, msg []byte, at time.Time) {
	p := n.lp.peers[l]
	if p == nil || p.closing {
		return
	}
	p.posted = at
	now := time.Now()
	switch lane {
	case link.LaneSync:
		_ = p.conn.Receive(now, blocksync.LaneSync, msg)
	case link.LaneBlocks:
		_ = p.conn.Receive(now, blocksync.LaneBlocks, msg)
	default:
		// The consensus and routing lanes go to the transport (Receive).
		n.log.Debug().Str("peer", p.id.String()).Stringer("lane", lane).Int("bytes", len(msg)).Msg("message on an unused lane dropped")
	}
	n.perform(p)
}

// perform carries out a Conn's Ready in the order blocksync documents:
// blocks into the chain, tied payloads, messages, penalties, disconnect;
// then Advance and remember the deadline.
func (n *Node) perform(p *peerState) {
	c := p.conn
	if !c.HasReady() {
		p.deadline = c.Ready().Deadline
		n.countSync(p)
		return
	}
	rd := c.Ready()
	p.deadline = rd.Deadline
	for _, b := range rd.Blocks {
		n.forwardEarly(p, b)
		n.addFromPeer(p, b)
	}
	for _, t := range rd.Tied {
		n.syncLog.Debug().Str("peer", p.id.String()).Stringer("block", t.Block).Msg("tied message ignored (no consumer)")
	}
	for _, m := range rd.Messages {
		n.sendSync(p, m)
	}
	for _, e := range rd.Penalties {
		if e.Reason != blocksync.ReasonInvalidBody { // VerifyBody counted its reason
			n.stats.reject("blocksync-" + string(e.Reason))
		}
		n.syncLog.Warn().Str("peer", p.id.String()).Str("reason", string(e.Reason)).Str("detail", e.Detail).Msg("peer fault")
		if e.Reason == blocksync.ReasonFlood {
			n.charge(p, link.ReasonFlood, "blocksync "+e.Error())
			continue
		}
		n.penalize(p, "blocksync "+e.Error())
	}
	if rd.Disconnect != nil {
		n.closePeer(p, rd.Disconnect)
	}
	c.Advance()
	n.syncMode(p)
	n.countSync(p)
	if p.offSeen && !p.off {
		p.off = true
		n.log.Info().Str("peer", p.id.String()).Msg("link turned off: blocksync sends no more bodies on it")
		if err := c.SetMode(time.Now(), blocksync.ModeOff); err == nil {
			n.perform(p)
		}
	}
}

// countSync adds what the Conn counted since last time to the node's
// counters (body duplicates are the tree's redundancy, the figure seed 003
// wants near zero).
func (n *Node) countSync(p *peerState) {
	st := p.conn.Stats()
	n.stats.bodyDuplicates.Add(st.Duplicates - p.counted.Duplicates)
	// One Receive carries one body, so a rise is (almost always) one copy
	// of LastDuplicate.
	n.prop.Duplicate(st.LastDuplicate, int(st.Duplicates-p.counted.Duplicates))
	n.stats.blockBytesIn.Add(st.BlockBytesReceived - p.counted.BlockBytesReceived)
	n.stats.blockBytesOut.Add(st.BlockBytesSent - p.counted.BlockBytesSent)
	n.stats.blocksSent.Add(st.BlocksSent - p.counted.BlocksSent)
	n.stats.grafts.Add(st.GraftsSent - p.counted.GraftsSent)
	n.stats.graftsHeld.Add(st.GraftsHeld - p.counted.GraftsHeld)
	p.counted = st
}

func (n *Node) sendSync(p *peerState, m blocksync.Message) {
	if p.closing {
		return
	}
	lane := link.LaneSync
	if m.Lane == blocksync.LaneBlocks {
		lane = link.LaneBlocks
	}
	var data []byte
	if b, ok := m.Msg.(*blocksync.Block); ok {
		data = n.lp.encoded.Body(b)
		n.prop.Forwarded(b.Block.ID(), p.id.String(), time.Now())
	} else {
		data = blocksync.Encode(m.Msg)
	}
	err := p.link.Send(lane, data)
	if err == nil || errors.Is(err, net.ErrClosed) {
		return
	}
	if errors.Is(err, link.ErrModeOff) {
		// Turned off on the link layer directly (not SetPeerMode): follow
		// it after this Ready (perform). The body is lost to this peer;
		// if the link is turned on again, a gap there resyncs the link.
		p.offSeen = true
		return
	}
	// blocksync needs every message delivered in order: a dropped one
	// breaks its knowledge of the peer, so restart the connection (both
	// sides begin new Conns) rather than continue wrong.
	n.closePeer(p, fmt.Errorf("blocksync %s on %s: %w", m.Msg.Type(), lane, err))
}

// penalize charges the peer's link score for a fault the node found in
// what it sent; past the link's threshold the peer is banned with detail as
// the reason (its link then ends with link.ReasonBanned).
func (n *Node) penalize(p *peerState, detail string) {
	if n.net.Penalize(p.id, link.ReasonInvalid, detail) {
		n.log.Warn().Str("peer", p.id.String()).Str("detail", detail).Msg("peer banned for invalid messages")
	}
}

// charge charges the peer's link score for work beyond its budget (excess
// announcements, relays): the excess was dropped; repeated overflow bans.
// A producer of the set in force is never charged for rate alone (issue
// 11: producers must not ban each other for traffic the protocol makes);
// its excess is shed and logged.
func (n *Node) charge(p *peerState, r link.Reason, detail string) {
	if n.set.Load().Has(p.id) {
		n.log.Warn().Str("peer", p.id.String()).Str("reason", string(r)).Str("detail", detail).
			Msg("producer over its budget: excess shed, not charged")
		return
	}
	if n.net.Penalize(p.id, r, detail) {
		n.log.Warn().Str("peer", p.id.String()).Str("reason", string(r)).Str("detail", detail).Msg("peer banned for exceeding its budget")
	}
}

// closePeer closes a link with a reason the peer and the operator see.
func (n *Node) closePeer(p *peerState, cause error) {
	if p.closing {
		return
	}
	p.closing = true
	n.log.Warn().Str("peer", p.id.String()).Err(cause).Msg("closing link")
	p.link.Close(cause)
}

// syncMode mirrors blocksync's per-producer modes onto the link's single
// mode for operators: active if the link pushes bodies of any producer.
// A link an operator turned off stays off.
func (n *Node) syncMode(p *peerState) {
	cur := p.link.Mode()
	if cur == link.ModeOff {
		return
	}
	want := link.ModeBackup
	for _, k := range n.set.Load().Keys() {
		if p.conn.Mode(k) == blocksync.ModeActive {
			want = link.ModeActive
			break
		}
	}
	if want != cur {
		p.link.SetMode(want)
	}
}

// SetPeerMode is the operator's control of a link's block-sending state
// (seed 003): off never sends block bodies, backup sends announcements only,
// active pushes bodies. It sets the link and blocksync's Conn together (for
// every producer; it clears the Conn's prunes and grafts). Backup and
// active are starting points that blocksync's tree then adapts; off stays.
func (n *Node) SetPeerMode(ctx context.Context, id link.PeerID, mode link.Mode) error {
	var err error
	if cerr := n.call(ctx, func() {
		p := n.lp.byID[id]
		if p == nil {
			err = fmt.Errorf("%w: no link to peer %s", ErrNotFound, id)
			return
		}
		m := blocksync.ModeActive
		switch mode {
		case link.ModeOff:
			m = blocksync.ModeOff
		case link.ModeBackup:
			m = blocksync.ModeBackup
		}
		p.link.SetMode(mode)
		p.off, p.offSeen = mode == link.ModeOff, false
		if err = p.conn.SetMode(time.Now(), m); err == nil {
			n.log.Info().Str("peer", id.String()).Stringer("mode", mode).Msg("link mode set by the operator")
			n.perform(p)
		}
	}); cerr != nil {
		return cerr
	}
	return err
}
