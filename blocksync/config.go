package blocksync

import (
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Config configures one Conn. Use DefaultConfig and change what you need.
type Config struct {
	// Window is the receive window in bytes that we advertise to the peer in
	// our hellos: the peer starts no new block while more than Window bytes
	// of blocks it sent us are unacknowledged. Size it at or above the
	// link's bandwidth-delay product (plus validation time) so the blocks lane
	// never idles; larger windows cost receiver buffering and, on a fresh
	// connection, up to Window bytes of duplicate bodies before a prune takes
	// effect. A peer's sender starts at SlowStartBytes in flight and earns
	// the rest of the window by acknowledging; we acknowledge every quarter
	// of that allowance, every Window/4 bytes once it is grown. At least
	// 1 KiB.
	Window int
	// Mode is the initial outgoing mode for every producer's blocks. Active
	// (the default) starts by flooding and lets prunes build the tree; Backup
	// starts lazy and lets grafts build it; Off never sends a body.
	Mode Mode
	// Prune enables the spanning tree: a duplicate body asks its sender to
	// demote the link to backup for that producer. False gives plain
	// flooding (every active link pushes every block the peer lacks).
	Prune bool
	// GraftDelay is how long a backup link's announcement of a block we lack
	// may wait, with our head not advancing, before we graft that link
	// (promote it to active for the block's producer and pull the block). It
	// should exceed the usual lag of the tree path behind the fastest
	// announcement; too small causes duplicate bodies, too large slows repair.
	// Each Conn decides alone, so when a tree path dies every backup link of
	// the node grafts at once; a driver that staggers GraftDelay across a
	// node's Conns (say base × (1 + i/n) for the i-th of n) makes the first
	// graft's body cancel the others.
	GraftDelay time.Duration
	// GraftHold is how long at most a graft that fell due may wait while a
	// body that extends our chain is on its way over another link of the
	// node (its sender said Coming; the Chain shares an Inbound): the tree
	// path is slow, not dead, and grafting would pull a second copy. A
	// path that dies closes its Conn and releases the hold at once; one
	// that stalls alive is grafted around after GraftDelay + GraftHold.
	// Each Coming holds for the longer of GraftDelay and twice its
	// sender's recent Coming-to-body time, up to GraftHold. Zero turns the
	// hold off (grafts fire after GraftDelay, as in Version 1).
	GraftHold time.Duration
	// MaxHeld bounds the messages SendAfter may hold for blocks the peer does
	// not have yet.
	MaxHeld int
	// Limits bound what Receive decodes.
	Limits Limits
	// AnnounceRate bounds the hellos and Haves per second the peer may
	// send, with bursts up to AnnounceBurst; the excess is dropped and the
	// peer charged (ReasonFlood, once per overflow). A correct peer sends a
	// locator of at most 2+log2(n) hellos per connection and about one Have
	// per block: size the rate well above the block rate (each
	// announcement costs a few chain lookups on the driver's goroutine).
	AnnounceRate float64
	// AnnounceBurst is the bucket's depth; it must hold a full locator
	// (66 hellos for a 2^64-block chain) plus a burst of Haves.
	AnnounceBurst int
}

// Limits bound the messages a Conn decodes; each is checked before
// allocating.
type Limits struct {
	// Block bounds block bodies (block.Decode).
	Block block.Limits
	// MaxPayload bounds the payload of a Tied message.
	MaxPayload int
}

// DefaultLimits accept blocks up to block.DefaultLimits and 1 MiB payloads.
func DefaultLimits() Limits {
	return Limits{Block: block.DefaultLimits(), MaxPayload: 1 << 20}
}

// DefaultConfig returns a configuration for a LAN or a fast WAN: an 8 MiB
// window, active links with pruning (a tree), a 500 ms graft delay.
func DefaultConfig() Config {
	return Config{
		Window:     8 << 20,
		Mode:       ModeActive,
		Prune:      true,
		GraftDelay: 500 * time.Millisecond,
		// Three graft delays: a relay pushing 1 MiB to six children
		// over a shaped 100 Mbit/s uplink finishes the last after
		// ~500 ms, more on a loaded host.
		GraftHold: 1500 * time.Millisecond,
		MaxHeld:   4096,
		Limits:    DefaultLimits(),
		// 1000 announcements/s: 100× a 10 blocks/s chain's Haves, and
		// a few milliseconds of lookups per second per peer.
		AnnounceRate:  1000,
		AnnounceBurst: 2000,
	}
}

// Validate reports the first invalid field, by name and value.
func (c *Config) Validate() error {
	switch {
	case c.Window < 1024:
		return fmt.Errorf("blocksync: Config.Window %d is below 1024 bytes", c.Window)
	case c.Mode > ModeActive:
		return fmt.Errorf("blocksync: Config.Mode %d is not a Mode", c.Mode)
	case c.GraftDelay <= 0:
		return fmt.Errorf("blocksync: Config.GraftDelay %v must be positive", c.GraftDelay)
	case c.GraftHold < 0:
		return fmt.Errorf("blocksync: Config.GraftHold %v is negative", c.GraftHold)
	case c.MaxHeld < 0:
		return fmt.Errorf("blocksync: Config.MaxHeld %d is negative", c.MaxHeld)
	case c.Limits.MaxPayload < 0:
		return fmt.Errorf("blocksync: Config.Limits.MaxPayload %d is negative", c.Limits.MaxPayload)
	case c.AnnounceRate <= 0:
		return fmt.Errorf("blocksync: Config.AnnounceRate %g must be positive", c.AnnounceRate)
	case c.AnnounceBurst < 66:
		return fmt.Errorf("blocksync: Config.AnnounceBurst %d is below a full locator (66)", c.AnnounceBurst)
	case c.Limits.Block.MaxBlockBytes <= 0:
		return fmt.Errorf("blocksync: Config.Limits.Block.MaxBlockBytes %d must be positive", c.Limits.Block.MaxBlockBytes)
	}
	return nil
}
