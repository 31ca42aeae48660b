package bft

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Config configures an Engine. Timeouts are durations measured on the now
// arguments of the inputs; the engine never reads a clock.
type Config struct {
	// ChainID is signed into every vote so a vote is valid on one chain
	// only (the genesis id's hash, for instance).
	ChainID block.Hash
	// Set is the producer set in force (possibly joint).
	Set *Set
	// Prev, when set, is the set of the epoch before this one: every
	// certificate of Set must hold a quorum of a group every certificate
	// of Prev holds a quorum of (bftchain's epochs guarantee it). Inherit
	// accepts its notarizations and nullifications above the root.
	Prev *Set
	// Key is this producer's ed25519 private key; its public half must be
	// in Set.
	Key ed25519.PrivateKey
	// LeaderTimeout: nullify the view if no valid proposal arrived this
	// long after entering it. Must exceed 2δ plus the leader's block
	// building time; a crashed leader costs about this much.
	LeaderTimeout time.Duration
	// AdvanceTimeout: nullify the view if it has not ended this long after
	// entering it (a proposal arrived but never gathered a notarization).
	// At least LeaderTimeout.
	AdvanceTimeout time.Duration
	// RetryInterval: once the view is nullified, rebroadcast our votes in
	// it and the certificates that justify our view this often, so lost
	// messages and healed partitions cannot stall the producers.
	RetryInterval time.Duration
	// SkipAfterViews: a leader we have seen no vote from for more than this
	// many views is skipped at once (we nullify on entering its view): a
	// known-silent leader costs one nullify round, not a timeout. 0 turns
	// skipping off.
	SkipAfterViews uint64
	// ViewWindow: votes and blocks more than this many views ahead of ours
	// are refused, bounding per-view state a byzantine producer can create.
	// Certificates from any view are accepted (they need a quorum).
	ViewWindow uint64
	// MaxBlocksPerView bounds the blocks kept for one view (only an
	// equivocating leader makes more than one).
	MaxBlocksPerView int
	// MaxRetryCerts bounds the certificates one retry rebroadcasts.
	MaxRetryCerts int
	// Verifier checks signatures; nil means Ed25519.
	Verifier Verifier
	// Signer signs our votes; nil means ed25519 with Key. It must sign as
	// Key (see Signer).
	Signer Signer
}

// DefaultConfig returns a configuration for a WAN (δ up to ~150 ms) with
// the given chain, set and key.
func DefaultConfig(chain block.Hash, set *Set, key ed25519.PrivateKey) Config {
	return Config{
		ChainID:          chain,
		Set:              set,
		Key:              key,
		LeaderTimeout:    1 * time.Second,
		AdvanceTimeout:   2 * time.Second,
		RetryInterval:    1 * time.Second,
		SkipAfterViews:   uint64(3 * setLen(set)),
		ViewWindow:       64,
		MaxBlocksPerView: 4,
		MaxRetryCerts:    32,
	}
}

func setLen(s *Set) int {
	if s == nil {
		return 0
	}
	return len(s.leaders)
}

// Validate checks the configuration; its errors name the field and value.
func (c *Config) Validate() error {
	switch {
	case c.Set == nil:
		return fmt.Errorf("bft: Config.Set is nil")
	case len(c.Key) != ed25519.PrivateKeySize:
		return fmt.Errorf("bft: Config.Key has %d bytes, want %d", len(c.Key), ed25519.PrivateKeySize)
	case c.LeaderTimeout <= 0:
		return fmt.Errorf("bft: Config.LeaderTimeout %v must be positive", c.LeaderTimeout)
	case c.AdvanceTimeout < c.LeaderTimeout:
		return fmt.Errorf("bft: Config.AdvanceTimeout %v is below LeaderTimeout %v", c.AdvanceTimeout, c.LeaderTimeout)
	case c.RetryInterval <= 0:
		return fmt.Errorf("bft: Config.RetryInterval %v must be positive", c.RetryInterval)
	case c.ViewWindow == 0:
		return fmt.Errorf("bft: Config.ViewWindow must be positive")
	case c.MaxBlocksPerView < 1:
		return fmt.Errorf("bft: Config.MaxBlocksPerView %d must be at least 1", c.MaxBlocksPerView)
	case c.MaxRetryCerts < 1:
		return fmt.Errorf("bft: Config.MaxRetryCerts %d must be at least 1", c.MaxRetryCerts)
	}
	if _, ok := c.Set.Self(c.Key); !ok {
		return fmt.Errorf("bft: Config.Key's public key is not in Config.Set")
	}
	return nil
}
