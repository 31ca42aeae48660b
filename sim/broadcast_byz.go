package sim

import (
	"time"

	"github.com/blockwire/blockwire/transport/broadcast"
)

// attack is one round of a spamming or oversizing byzantine node; it
// re-arms itself every byzPeriod while the node runs.
func (n *bcNode) attack() {
	r := n.r
	if n.up {
		switch n.byz {
		case BroadcastSpam:
			n.spam()
		case BroadcastOversized:
			n.oversized()
		}
		n.flush()
	}
	if r.e.now < r.cfg.Settle+r.lastMessage() {
		r.e.after(byzPeriod, evProduce, int32(n.i), 1, 0, n.attack)
	}
}

func (r *bcRunner) lastMessage() time.Duration {
	return time.Duration(r.cfg.Messages-1)*r.cfg.Interval + time.Second
}

// spam originates one distinct signed message (correct validators reject
// it: we are no authorised origin) and announces 16 random digests we will
// never serve.
func (n *bcNode) spam() {
	r := n.r
	n.spamSeq++
	payload := make([]byte, min(1024, r.cfg.MsgSize))
	for j := range payload {
		payload[j] = byte(r.e.rng.Uint32())
	}
	_, _, _ = n.eng.Broadcast(r.now(), bcTopic, payload, broadcast.All())
	items := make([]broadcast.Announce, 16)
	for k := range items {
		items[k].Origin = r.ids[n.i]
		for j := range items[k].Digest {
			items[k].Digest[j] = byte(r.e.rng.Uint32())
		}
	}
	for _, p := range n.sortedPeers() {
		n.send(p, broadcast.LaneControl, &broadcast.IHave{Items: items})
	}
}

// oversized sends every neighbour a message above the topic's size limit,
// or (every other round) garbage bytes.
func (n *bcNode) oversized() {
	r := n.r
	n.spamSeq++
	m := &broadcast.Message{Topic: bcTopic, Origin: r.ids[n.i], Seq: uint64(r.now().UnixMilli()) << 16, Payload: make([]byte, r.cfg.MsgSize+1)}
	m.Sign(r.keys[n.i])
	for _, p := range n.sortedPeers() {
		if n.spamSeq%2 == 0 {
			n.send(p, broadcast.LaneBulk, &broadcast.Push{Msg: m})
			continue
		}
		n.r.net.send(n.i, p, &wireMsg{lane: laneControl, size: 64, payload: &bcFrame{b: []byte{broadcast.Version, 9, 1, 2, 3}}})
	}
}

// pullFlood pulls a message it just received 10 times from every peer.
func (n *bcNode) pullFlood(m *broadcast.Message) {
	for _, p := range n.sortedPeers() {
		for k := 0; k < 10; k++ {
			n.send(p, broadcast.LaneControl, &broadcast.Pull{Origin: m.Origin, Digest: m.Digest()})
		}
	}
}
