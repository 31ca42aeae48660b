package attestrun

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
	"github.com/blockwire/blockwire/consensus/atteststore"
)

// Config configures a Runner. Start from DefaultConfig.
type Config struct {
	// Key is the node key: it signs verifications, and its public half is
	// the identity requests and receipts are addressed to.
	Key ed25519.PrivateKey
	// Sched is the network's level scheme (every node the same): the
	// requester's scheduler configuration, and what a verifier of a
	// higher level expects of the level below. Its ChainID is signed into
	// every verification.
	Sched attest.Config
	// Require turns the requester on: every block that becomes
	// irreversible from now on is attested through Sched's levels.
	Require bool
	// Level, when not zero, turns the verifier on for that level (one of
	// Sched.Levels).
	Level uint8
	// Verifier tunes the verifier core (queue, re-sends); its ChainID,
	// Key, Level, LowerLevel, LowerRequired and CheckBlock are filled by
	// New.
	Verifier attest.VerifierConfig
	// DirectoryInterval is how often the verifier directory is read from
	// the routing table again. A change retries the blocks that stalled
	// for want of qualifying verifiers.
	DirectoryInterval time.Duration
	// AddBatch bounds the irreversible blocks handed to the scheduler per
	// step, so a backlog (a node that was down) is worked off in steps
	// that leave room for receipts.
	AddBatch int
	// InboxSize bounds the messages and failure reports waiting for the
	// runner: the transport's handler never blocks; beyond it a message
	// is dropped and counted ("inbox-full"), which the protocol absorbs
	// (receipts are re-sent, requests replaced).
	InboxSize int
	// LatencyWindow is how many recent finalization latencies Status
	// keeps for its percentiles.
	LatencyWindow int
	// Logger receives stalls (warn), finalizations (debug), refusals
	// (debug).
	Logger zerolog.Logger
	// Now is the clock (time.Now by default; synctest makes it virtual).
	Now func() time.Time
}

// DefaultConfig returns a runner for chain that neither requests nor
// verifies (set Require and Level), with attest.DefaultConfig's levels.
func DefaultConfig(chain block.Hash) Config {
	return Config{
		Sched:             attest.DefaultConfig(chain),
		Verifier:          attest.DefaultVerifierConfig(chain, nil, 0, 0, 0),
		DirectoryInterval: time.Second,
		AddBatch:          256,
		InboxSize:         4096,
		LatencyWindow:     4096,
	}
}

// Validate checks the configuration; its errors name the field.
func (c *Config) Validate() error {
	if len(c.Key) != ed25519.PrivateKeySize {
		return fmt.Errorf("attestrun: Config.Key has %d bytes, want %d", len(c.Key), ed25519.PrivateKeySize)
	}
	if err := c.Sched.Validate(); err != nil {
		return err
	}
	switch {
	case c.DirectoryInterval < time.Millisecond:
		return fmt.Errorf("attestrun: Config.DirectoryInterval %v, want at least 1ms", c.DirectoryInterval)
	case c.AddBatch < 1:
		return fmt.Errorf("attestrun: Config.AddBatch %d, want at least 1", c.AddBatch)
	case c.InboxSize < 1:
		return fmt.Errorf("attestrun: Config.InboxSize %d, want at least 1", c.InboxSize)
	case c.LatencyWindow < 1:
		return fmt.Errorf("attestrun: Config.LatencyWindow %d, want at least 1", c.LatencyWindow)
	}
	if c.Level != 0 {
		if _, _, err := c.lower(); err != nil {
			return err
		}
	}
	return nil
}

// lower returns the level below c.Level in the scheme (0, 0 for the first).
func (c *Config) lower() (uint8, int, error) {
	for i, l := range c.Sched.Levels {
		if l.Number != c.Level {
			continue
		}
		if i == 0 {
			return 0, 0, nil
		}
		p := c.Sched.Levels[i-1]
		return p.Number, p.Required, nil
	}
	return 0, 0, fmt.Errorf("attestrun: Config.Level %d is not one of the levels %s", c.Level, attest.FormatLevels(c.Sched.Levels))
}

// Net is the routed unicast the runner rides: the transport's
// route.ClassAttest in a node (consensus priority: the control lane),
// MemNet in tests. Send never blocks; it returns a sequence number that a
// later Runner.Undeliverable names. Deliveries come in through
// Runner.Deliver with the authenticated origin.
type Net interface {
	Send(to block.PublicKey, payload []byte) (uint64, error)
}

// Chain is the node's chain as the runner reads it, from its own
// goroutine. Implementations must be safe for concurrent use.
type Chain interface {
	// IrreversibleHeight is the height of the irreversible block.
	IrreversibleHeight() uint64
	// IrreversibleAt is the irreversible block at height (false above the
	// irreversible height).
	IrreversibleAt(height uint64) (block.ID, bool)
}

// Deps are the runner's collaborators.
type Deps struct {
	Net Net
	// Chain is what the requester attests.
	Chain Chain
	// Store is the requester's durable state (required with Require;
	// ignored otherwise: a node with attestation off loads nothing).
	Store *atteststore.Store
	// Directory returns the verifiers announced now (authenticated
	// routable nodes with a level and labels). Called every
	// DirectoryInterval from the runner's goroutine.
	Directory func() []attest.Member
	// CheckBlock is the first-level verifier's check of a block against
	// the node's own chain: nil when known, irreversible and valid; an
	// error wrapping attest.ErrNotYet when the chain has not reached it
	// (the request is held); any other error refuses it.
	CheckBlock func(block.ID) error
	// AllowRequester says whose requests the verifier answers (nil:
	// anyone). Requests from others are dropped and counted.
	AllowRequester func(block.PublicKey) bool
	// Refused is told about input a correct peer never sends
	// (attest.Reason.Penalized): the node scores the peer. Nil only counts.
	Refused func(from block.PublicKey, reason attest.Reason, detail string)
}
