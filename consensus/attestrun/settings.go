package attestrun

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
	"github.com/blockwire/blockwire/transport/route"
)

// Settings are the operator's surface: the [attest] section of a node's
// config file. Both Require and Verifier off (the default) turns
// attestation off: the node runs no Runner, loads no attestation state and
// announces no attributes.
type Settings struct {
	// Levels is the network's level scheme, the same on every node:
	// "L<number>=<required>,..." (Dragonchain: "L2=3,L3=1,L4=1,L5=1").
	Levels string `toml:"levels"`
	// Deadline is how long a verifier has to answer one request ("5s";
	// re-asks double it).
	Deadline string `toml:"deadline"`
	// Require collects attestations of every block that becomes
	// irreversible from now on (this node is a requester).
	Require bool `toml:"require"`
	// Verifier serves as a verifier of Level, announcing the level and
	// Labels with the node's route announcement.
	Verifier bool              `toml:"verifier"`
	Level    int               `toml:"level"`
	Labels   map[string]string `toml:"labels"`
	// Verifiers, when not empty, are the only peer ids accepted as
	// verifiers (a permissioned network); empty accepts any node that
	// announces a level.
	Verifiers []string `toml:"verifiers"`
}

// DefaultSettings has attestation off, Dragonchain's levels and 5 s
// deadlines.
func DefaultSettings() Settings {
	return Settings{Levels: "L2=3,L3=1,L4=1,L5=1", Deadline: "5s"}
}

// On reports whether the node takes part in attestation.
func (s *Settings) On() bool { return s.Require || s.Verifier }

// SettingsError names the key at fault.
type SettingsError struct{ Key, Problem string }

func (e *SettingsError) Error() string { return "attest." + e.Key + ": " + e.Problem }

// Validate checks the settings; errors are *SettingsError.
func (s *Settings) Validate() error {
	if !s.On() {
		return nil
	}
	if _, err := s.levels(); err != nil {
		return err
	}
	if s.Verifier {
		if s.Level < 1 || s.Level > 255 {
			return &SettingsError{"level", fmt.Sprintf("%d, want the level this verifier serves (1..255)", s.Level)}
		}
		if err := s.Attrs().Validate(); err != nil {
			return &SettingsError{"labels", err.Error()}
		}
	}
	_, err := AllowList(s.Verifiers)
	return err
}

func (s *Settings) levels() ([]attest.Level, error) {
	d, err := time.ParseDuration(s.Deadline)
	if err != nil || d < time.Millisecond {
		return nil, &SettingsError{"deadline", fmt.Sprintf("%q, want a duration of at least 1ms such as \"5s\"", s.Deadline)}
	}
	ls, err := attest.ParseLevels(s.Levels, d)
	if err != nil {
		return nil, &SettingsError{"levels", err.Error()}
	}
	return ls, nil
}

// Attrs are what the node announces with its route (nil when attestation
// is off): its level as a verifier (0 for a requester only) and labels.
func (s *Settings) Attrs() *route.Attrs {
	if !s.On() {
		return nil
	}
	a := &route.Attrs{Labels: s.Labels}
	if s.Verifier {
		a.Level = uint8(s.Level)
	}
	return a
}

// Config builds the runner's configuration for chain and key.
func (s *Settings) Config(chain block.Hash, key ed25519.PrivateKey) (Config, error) {
	c := DefaultConfig(chain)
	ls, err := s.levels()
	if err != nil {
		return c, err
	}
	c.Key, c.Sched.Levels, c.Require = key, ls, s.Require
	c.Sched.MaxDeadline = max(c.Sched.MaxDeadline, ls[0].Deadline*8)
	if s.Verifier {
		c.Level = uint8(s.Level)
	}
	return c, c.Validate()
}
