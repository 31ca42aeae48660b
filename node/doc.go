// Package node assembles a blockwire node from the layers: link, blocksync,
// consensus and chain on one pebble database, with the drivers that feed the
// pure protocol cores with real links and real time, the configuration file,
// logging, metrics and the admin API.
//
// This file grows with the package; today it holds the configuration file
// (Config, LoadConfig, RenderConfig): TOML with every key documented in the
// file `blockwire init` writes, unknown keys rejected, and every error a
// *ConfigError naming the file, line, key and problem.
package node
