package bftrun

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

// Config configures a Runner.
type Config struct {
	// ChainID is signed into every vote (the node uses its genesis id).
	ChainID block.Hash
	// Key is this producer's ed25519 key (its block-signing key; the peer
	// id the messenger authenticates embeds its public half).
	Key ed25519.PrivateKey
	// Root is the last block this node knows final (genesis: view 0) and
	// Producers the producer set in force after it. A saved epoch
	// (EpochStore) with a higher root wins: it is where this producer was.
	Root      bft.Root
	Producers []block.PublicKey
	// Prev, when set, is the producer set in force before the change that
	// made Producers: a node that starts its runner because a change just
	// named it a producer passes the set it replaced, so the runner starts
	// in the joint epoch joint(Producers, Prev) the other producers are in
	// (their joint quorum may need it). If they have left that epoch
	// already, they answer with the finalization that ended it and the
	// runner follows. Ignored when the store holds an epoch.
	Prev []block.PublicKey
	// Engine holds the engine's timeouts and bounds (bft.Config); the
	// runner fills ChainID, Set and Key per epoch.
	Engine bft.Config
	// BlockLimits bound a block received with a proposal (the node passes
	// the limits its block decoder uses).
	BlockLimits block.Limits
	// InboundQueue is how many received messages wait for the runner's
	// goroutine; more are dropped and counted (Status.Dropped). One view
	// of a 1,024-producer set makes about 3,072 votes, so the default
	// 4,096 holds a full view; the engine's retries repair a drop.
	InboundQueue int
	// EpochReplyInterval: a peer that sends messages of an epoch we left
	// gets the finalization that ended it, at most this often.
	EpochReplyInterval time.Duration
	// Now is the clock (time.Now when nil). Timers use the time package,
	// so testing/synctest's virtual time drives a runner whole.
	Now func() time.Time
	// Logger receives the runner's logs (zero value: none).
	Logger zerolog.Logger
}

// DefaultConfig returns a configuration for a LAN or WAN with bft's
// default timeouts.
func DefaultConfig(chain block.Hash, key ed25519.PrivateKey, root bft.Root, producers []block.PublicKey) Config {
	eng := bft.DefaultConfig(chain, nil, key)
	eng.SkipAfterViews = uint64(3 * len(producers))
	return Config{
		ChainID: chain, Key: key, Root: root, Producers: producers, Engine: eng,
		BlockLimits: block.DefaultLimits(), InboundQueue: 4096, EpochReplyInterval: time.Second,
	}
}

// Validate checks the configuration; its errors name the field.
func (c *Config) Validate() error {
	switch {
	case len(c.Key) != ed25519.PrivateKeySize:
		return fmt.Errorf("bftrun: Config.Key has %d bytes, want %d", len(c.Key), ed25519.PrivateKeySize)
	case len(c.Producers) == 0:
		return fmt.Errorf("bftrun: Config.Producers is empty")
	case c.InboundQueue < 1:
		return fmt.Errorf("bftrun: Config.InboundQueue %d must be positive", c.InboundQueue)
	case c.EpochReplyInterval <= 0:
		return fmt.Errorf("bftrun: Config.EpochReplyInterval %v must be positive", c.EpochReplyInterval)
	case c.BlockLimits.MaxBlockBytes <= 0:
		return fmt.Errorf("bftrun: Config.BlockLimits.MaxBlockBytes must be positive")
	}
	return nil
}
