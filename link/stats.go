package link

import "time"

// DropReason says why a message was dropped. Every drop is counted in
// LaneStats.Drops under its reason; none is silent.
type DropReason string

const (
	// DropQueueFull: Send found the peer's send queue full (outbound).
	DropQueueFull DropReason = "queue_full"
	// DropModeOff: Send on LaneBlocks in ModeOff (outbound).
	DropModeOff DropReason = "mode_off"
	// DropClosed: queued when the link ended (outbound).
	DropClosed DropReason = "closed"
	// DropRateLimited: the peer exceeded the lane's inbound rate (inbound).
	DropRateLimited DropReason = "rate_limited"
	// DropSimLoss: removed by the in-memory network's loss model (outbound).
	DropSimLoss DropReason = "sim_loss"
)

// LaneStats counts one lane of one link.
type LaneStats struct {
	QueuedBytes int64                 `json:"queued_bytes"` // accepted by Send, not yet written
	QueuedMsgs  int                   `json:"queued_msgs"`
	BytesOut    uint64                `json:"bytes_out"` // message bytes written (payload + frame header)
	BytesIn     uint64                `json:"bytes_in"`
	MsgsOut     uint64                `json:"msgs_out"`
	MsgsIn      uint64                `json:"msgs_in"`
	Drops       map[DropReason]uint64 `json:"drops,omitempty"`
	// Credit is the flow-control window we may still send on a bulk lane.
	Credit int64 `json:"credit,omitempty"`
}

// Stats is a snapshot of one link, as the admin API shows it.
type Stats struct {
	Peer        PeerID              `json:"peer"`
	Direction   Direction           `json:"direction"`
	Mode        Mode                `json:"mode"`
	Transport   string              `json:"transport"` // "tcp", "quic" or "mem"
	Established time.Time           `json:"established"`
	Uptime      time.Duration       `json:"uptime_ns"`
	RTT         time.Duration       `json:"rtt_ns"` // smoothed, from PING/PONG; 0 until measured
	Lanes       [NumLanes]LaneStats `json:"lanes"`
}

// PeerInfo is what a host knows about one peer, connected or not.
type PeerInfo struct {
	Peer           PeerID    `json:"peer"`
	Connected      bool      `json:"connected"`
	Stats          *Stats    `json:"stats,omitempty"` // nil when not connected
	Score          float64   `json:"score"`
	Ban            *Ban      `json:"ban,omitempty"`
	LastDisconnect Reason    `json:"last_disconnect,omitempty"`
	LastError      string    `json:"last_error,omitempty"`
	DisconnectedAt time.Time `json:"disconnected_at,omitzero"`
}

// Ban is an active ban on a peer.
type Ban struct {
	Peer     PeerID    `json:"peer"`
	Reason   string    `json:"reason"`
	Until    time.Time `json:"until"`
	Operator bool      `json:"operator"` // set by Ban(), not by scoring
}
