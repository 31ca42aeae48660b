// Package config is a node's configuration file: its types (Config and one
// struct per TOML section), defaults (DefaultConfig), the validation rules
// (Validate: every refusal a *ConfigError naming the dotted key and the
// value), parsing (Parse: TOML over the defaults, unknown keys refused,
// parse errors with their line), the commented file blockwire init writes
// (RenderConfig) and the conversions into the layers' configs (LinkConfig,
// CFTConfig).
//
// It is pure (internal/archtest): no file I/O, clock or goroutines.
// node.LoadConfig reads the file and calls Parse; node's Config,
// NodeConfig, ..., ConfigError, Role and Duration are aliases of this
// package's types, kept for embedders, so code written against node keeps
// compiling. The type names keep their node-era spelling (config.Config,
// config.ConfigError) so the moved files stay the files other branches
// edit.
//
// # Usage
//
//	cfg, err := config.Parse(data, "node.toml", "/etc/blockwire") // validated
//	cfg.Consensus.Engine = config.EngineBFT
//	err = cfg.Validate()                // the first bad key, by name
//	toml, err := config.RenderConfig(cfg) // round-trips through Parse
//	lc, err := cfg.LinkConfig()         // link.Config for the [p2p] section
//
// # Adding a setting
//
//  1. A field with a doc comment (unit, constraint, trade-off) and a toml
//     tag in its section's struct; its default in DefaultConfig.
//  2. Its rule in Validate, naming the key and the value it got.
//  3. Its line in template.go (RenderConfig), so init writes it and
//     TestRenderedConfigLoadsBackToTheSameSettings covers it.
//  4. The reference in docs/operations.md.
package config
