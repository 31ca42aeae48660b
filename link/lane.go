package link

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
)

// PeerID is a node's identity: the libp2p peer id derived from its ed25519
// key. The in-memory network accepts any value.
type PeerID = peer.ID

// Lane names one of the long-lived streams of a link. Lanes are independent:
// a message on one lane never waits for bytes of another lane, except for the
// one chunk currently being written (see the scheduler in doc.go).
type Lane uint8

// The lanes, in scheduling priority order (lowest value first).
const (
	// LaneConsensus carries consensus votes, proposals and control frames.
	// It is drained first and our own messages on it are never dropped.
	LaneConsensus Lane = iota
	// LaneRouting carries routing updates and unicast/multicast forwarding.
	LaneRouting
	// LaneBlocks carries blocks in the order sent, pipelined, flow-controlled.
	LaneBlocks
	// LaneSync carries bulk fork-sync traffic (hellos, headers, catch-up).
	LaneSync

	// NumLanes is the number of lanes; lane ids at or above it are unknown.
	NumLanes = 4
)

var laneNames = [NumLanes]string{"consensus", "routing", "blocks", "sync"}

func (l Lane) String() string {
	if l < NumLanes {
		return laneNames[l]
	}
	return fmt.Sprintf("lane(%d)", uint8(l))
}

// Valid reports whether l is a known lane.
func (l Lane) Valid() bool { return l < NumLanes }

// bulk reports whether the lane is credit flow-controlled (see doc.go).
func (l Lane) bulk() bool { return l == LaneBlocks || l == LaneSync }

// MarshalText renders the lane name, for JSON stats.
func (l Lane) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Mode is the block-sending state of a link (seed 003's connection states).
// blocksync reads and sets it; the link enforces only ModeOff.
type Mode uint8

const (
	// ModeActive: full blocks are sent over this link.
	ModeActive Mode = iota
	// ModeBackup: only block ids or headers are sent (blocksync's duty).
	ModeBackup
	// ModeOff: blocks are never sent; Send on LaneBlocks fails with ErrModeOff.
	// Set manually only.
	ModeOff
)

func (m Mode) String() string {
	switch m {
	case ModeActive:
		return "active"
	case ModeBackup:
		return "backup"
	case ModeOff:
		return "off"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// MarshalText renders the mode name, for JSON stats.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses a mode name, so that clients of the admin API can
// decode the stats they are shown.
func (m *Mode) UnmarshalText(b []byte) error {
	for _, v := range []Mode{ModeActive, ModeBackup, ModeOff} {
		if v.String() == string(b) {
			*m = v
			return nil
		}
	}
	return fmt.Errorf("link: unknown mode %q", b)
}

// Direction says which side opened the underlying connection.
type Direction uint8

const (
	// Outbound: we dialed.
	Outbound Direction = iota
	// Inbound: the peer dialed us.
	Inbound
)

func (d Direction) String() string {
	if d == Outbound {
		return "outbound"
	}
	return "inbound"
}

// MarshalText renders the direction, for JSON stats.
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a direction name (see Mode.UnmarshalText).
func (d *Direction) UnmarshalText(b []byte) error {
	switch string(b) {
	case "outbound":
		*d = Outbound
	case "inbound":
		*d = Inbound
	default:
		return fmt.Errorf("link: unknown direction %q", b)
	}
	return nil
}
