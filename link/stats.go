package link

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

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
	// DropResource: the resource manager refused memory for a large
	// message (inbound); the link then ends with ReasonResource.
	DropResource DropReason = "resource"
	// DropBudget: Send to an unprotected peer found the node-wide queue
	// budget (ConnConfig.QueueBudget) spent (outbound).
	DropBudget DropReason = "budget"
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
	// Undelivered counts received bulk messages waiting for, or in, the
	// application's Receive; a growing figure is a slow consumer here.
	Undelivered int `json:"undelivered,omitempty"`
	// RecvWindow is our receive window on a bulk lane: the configured
	// one, or what it grew to (ConnConfig.BulkWindowMax, credit.go).
	RecvWindow int64 `json:"recv_window,omitempty"`
}

// Stats is a snapshot of one link, as the admin API shows it. In Go, Lanes
// is indexed by Lane; in JSON it is an object keyed by lane name, in lane
// order: {"consensus":{…},"routing":{…},"blocks":{…},"sync":{…}}.
type Stats struct {
	Peer      PeerID    `json:"peer"`
	Direction Direction `json:"direction"`
	Mode      Mode      `json:"mode"`
	Transport string    `json:"transport"` // "tcp", "quic" or "mem"
	// Conn is the connection of the consensus and routing lanes, and of
	// the bulk lanes too when BulkConn is empty: "dialer address>listener
	// address" on libp2p. BulkConn is the blocks and sync lanes' own
	// connection (ConnConfig.BulkConn), named the same way.
	Conn        string              `json:"conn"`
	BulkConn    string              `json:"bulk_conn,omitempty"`
	Established time.Time           `json:"established"`
	Uptime      time.Duration       `json:"uptime_ns"`
	RTT         time.Duration       `json:"rtt_ns"` // smoothed, from PING/PONG; 0 until measured
	Lanes       [NumLanes]LaneStats `json:"lanes"`
}

// MarshalJSON encodes Lanes by lane name (see Stats) and every other field
// as tagged. Operators read this JSON; an array would make them remember
// the lane numbering. Embed Stats nowhere: an embedding struct would be
// encoded by this method alone (PeerInfo holds it as a named field).
func (s Stats) MarshalJSON() ([]byte, error) {
	type fields Stats // the same fields without the methods
	lanes, err := marshalLanes(&s.Lanes)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		fields
		Lanes json.RawMessage `json:"lanes"` // shadows fields.Lanes
	}{fields(s), lanes})
}

// UnmarshalJSON is MarshalJSON's inverse (the blockwire CLI decodes the
// admin API's peers); an unknown lane name is an error.
func (s *Stats) UnmarshalJSON(b []byte) error {
	type fields Stats
	var v struct {
		fields
		Lanes map[string]LaneStats `json:"lanes"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Stats(v.fields)
	s.Lanes = [NumLanes]LaneStats{}
	for name, ls := range v.Lanes {
		l, ok := laneByName(name)
		if !ok {
			return fmt.Errorf("link: stats: unknown lane %q", name)
		}
		s.Lanes[l] = ls
	}
	return nil
}

func laneByName(name string) (Lane, bool) {
	for l, n := range laneNames {
		if n == name {
			return Lane(l), true
		}
	}
	return 0, false
}

// marshalLanes writes {"consensus":…,…} in lane order (a map would sort
// the names alphabetically).
func marshalLanes(lanes *[NumLanes]LaneStats) (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for l := range Lane(NumLanes) {
		if l > 0 {
			b.WriteByte(',')
		}
		ls, err := json.Marshal(&lanes[l])
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%q:", l.String())
		b.Write(ls)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
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
