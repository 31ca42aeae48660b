package node

import (
	"os"
	"path/filepath"

	"github.com/blockwire/blockwire/node/config"
)

// The configuration file's types, defaults, validation and rendering live
// in node/config (pure: no I/O); these names keep node's API for
// embedders, and reading the file is here.

type (
	// Config is a node's configuration file (config.Config).
	Config = config.Config
	// NodeConfig is the [node] section.
	NodeConfig = config.NodeConfig
	// P2PConfig is the [p2p] section.
	P2PConfig = config.P2PConfig
	// ConsensusConfig is the [consensus] section.
	ConsensusConfig = config.ConsensusConfig
	// AdminConfig is the [admin] section.
	AdminConfig = config.AdminConfig
	// LogConfig is the [log] section.
	LogConfig = config.LogConfig
	// Duration is a time.Duration written as a Go duration string.
	Duration = config.Duration
	// ConfigError names the key at fault and what is wrong with it.
	ConfigError = config.ConfigError
	// Role says what a node does in the network (config.Role).
	Role = config.Role
)

// Roles and relay modes (node/config).
const (
	RoleProducer   = config.RoleProducer
	RoleFull       = config.RoleFull
	RelayBlocksync = config.RelayBlocksync
	RelayGossipsub = config.RelayGossipsub
)

// DefaultConfig is a full node on the default ports with CFT consensus
// (config.DefaultConfig).
func DefaultConfig() Config { return config.DefaultConfig() }

// RenderConfig writes cfg as the commented TOML file blockwire init writes
// (config.RenderConfig).
func RenderConfig(cfg Config) ([]byte, error) { return config.RenderConfig(cfg) }

// LoadConfig reads a TOML config file over DefaultConfig and validates it
// (config.Parse); relative paths resolve against the file's directory.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return DefaultConfig(), &ConfigError{File: path, Problem: err.Error(), Err: err}
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return DefaultConfig(), &ConfigError{File: path, Problem: err.Error()}
	}
	return config.Parse(data, path, dir)
}
