package status

import (
	"sort"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

// Peer is one peer as the admin API shows it: the link's counters
// (lanes, bytes, RTT, uptime, score, bans) and blocksync's view
// (node.PeerStatus).
type Peer struct {
	link.PeerInfo
	// Producer is set for the producers in force (ConsensusStatus.Producers).
	Producer bool `json:"producer"`
	// Address is the remote multiaddr of the live connection (libp2p
	// host only).
	Address string `json:"address,omitempty"`
	// SyncState is blocksync's phase (start, ready); empty if not connected.
	SyncState string `json:"sync_state,omitempty"`
	// PeerHead is the head the peer reports (unverified); VerifiedHead
	// the height of its highest head this node can vouch for (a block it
	// holds, or a header a producer of the set in force signed).
	PeerHead     block.ID `json:"peer_head,omitzero"`
	VerifiedHead uint64   `json:"verified_head_height"`
	PeerIrr      block.ID `json:"peer_irreversible,omitzero"`
	InFlight     uint64   `json:"in_flight_bytes,omitempty"`
	BlocksSent   uint64   `json:"blocks_sent"`
	BlocksRecv   uint64   `json:"blocks_received"`
	Duplicates   uint64   `json:"duplicates"`
	QueuedBytes  int64    `json:"queued_bytes"`
	BytesIn      uint64   `json:"bytes_in"`
	BytesOut     uint64   `json:"bytes_out"`
	Direction    string   `json:"direction,omitempty"`
	Mode         string   `json:"mode,omitempty"`
	// Tree is what the link carries to the peer for each producer's blocks
	// (producer peer id → active/backup/off): the edges of the producers'
	// spanning trees (blocksync prunes and grafts them per producer).
	Tree   map[string]string `json:"tree,omitempty"`
	RTT    string            `json:"rtt,omitempty"`
	Uptime string            `json:"uptime,omitempty"`
}

// PeerSync is blocksync's view of one connected peer, read on the node's
// loop.
type PeerSync struct {
	State               string
	Head, Irreversible  block.ID
	VerifiedHeight      uint64
	InFlight            uint64
	Sent, Received, Dup uint64
	// Tree: producer peer id → the link's mode for its blocks.
	Tree map[string]string
}

// PeerFacts are what the node knows of a peer besides the link layer's
// PeerInfo.
type PeerFacts struct {
	// Producer reports whether p is a producer in force.
	Producer func(p link.PeerID) bool
	// Address is the remote multiaddr of a live connection to p, "" if
	// none is known.
	Address func(p link.PeerID) string
	// Sync is blocksync's view of the connected peers.
	Sync map[link.PeerID]PeerSync
}

// MergePeers joins the link layer's peers with blocksync's view and the
// node's facts, one Peer per info, sorted by peer id. Lane counters are
// summed over the lanes.
func MergePeers(infos []link.PeerInfo, f PeerFacts) []Peer {
	out := make([]Peer, 0, len(infos))
	for _, in := range infos {
		ps := Peer{PeerInfo: in, Producer: f.Producer(in.Peer), Address: f.Address(in.Peer)}
		if si, ok := f.Sync[in.Peer]; ok {
			ps.SyncState, ps.PeerHead, ps.PeerIrr, ps.InFlight = si.State, si.Head, si.Irreversible, si.InFlight
			ps.BlocksSent, ps.BlocksRecv, ps.Duplicates = si.Sent, si.Received, si.Dup
			ps.VerifiedHead, ps.Tree = si.VerifiedHeight, si.Tree
		}
		if st := in.Stats; st != nil {
			for _, l := range st.Lanes {
				ps.QueuedBytes += l.QueuedBytes
				ps.BytesIn += l.BytesIn
				ps.BytesOut += l.BytesOut
			}
			ps.Direction, ps.Mode = st.Direction.String(), st.Mode.String()
			ps.RTT, ps.Uptime = st.RTT.String(), st.Uptime.Round(time.Second).String()
		}
		out = append(out, ps)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Peer < out[j].Peer })
	return out
}
