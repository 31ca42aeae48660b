package transport

import (
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// Config configures a Transport.
type Config struct {
	// Route configures the routing core. Key is required; RouterID is
	// drawn at random by New when zero (a fresh source per start, see
	// route.Config.RouterID). Admit and Routable say who is a
	// destination: the owner keeps them in step with the producer set
	// (SetRoutable, Readmit).
	Route route.Config
	// Penalize scores a neighbour for a fault the router found (a bad
	// signature, an impossible metric, a rejected message): the node
	// passes link.Network.Penalize. Nil only logs. It is called with the
	// transport's lock held and must not call back into the Transport.
	Penalize func(p link.PeerID, r link.Reason, detail string)
	// Now is the clock (time.Now by default). The one timer is a
	// time.Timer, so under testing/synctest both are virtual.
	Now func() time.Time
	// OutboxBytes bounds the payload bytes of deliveries waiting for their
	// handler; beyond it a delivery is dropped with reason "outbox-full"
	// (a handler too slow for its traffic). Handlers must not block.
	OutboxBytes int
	// Logger receives drops and penalties (debug) and faults (warn).
	Logger zerolog.Logger
}

// DefaultConfig is route.DefaultConfig with 32 MiB of outbox.
func DefaultConfig() Config {
	return Config{Route: route.DefaultConfig(), OutboxBytes: 32 << 20}
}

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	if c.OutboxBytes < 1 {
		return fmt.Errorf("transport: Config.OutboxBytes %d: need at least 1", c.OutboxBytes)
	}
	rc := c.Route
	if rc.RouterID == 0 {
		rc.RouterID = 1 // New draws it
	}
	return rc.Validate()
}

// laneOf maps a routing lane to the link lane it rides: routing control
// and consensus-class data on the consensus lane (drained first, never
// behind blocks), every other class on the routing lane.
func laneOf(l route.Lane) link.Lane {
	if l == route.LaneControl {
		return link.LaneConsensus
	}
	return link.LaneRouting
}
