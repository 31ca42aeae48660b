package config

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/blockwire/blockwire/consensus/attestrun"
	"github.com/blockwire/blockwire/link"
)

// Role says what a node does in the network.
type Role string

// Roles.
const (
	// RoleProducer takes part in consensus and produces blocks when it leads.
	RoleProducer Role = "producer"
	// RoleFull follows the chain, relays blocks and forwards transactions.
	RoleFull Role = "full"
)

// Config is a node's configuration file (TOML). Every relative path is
// relative to the directory of the file it was loaded from. Zero values are
// filled from DefaultConfig by Parse (node.LoadConfig).
type Config struct {
	Node      NodeConfig      `toml:"node"`
	P2P       P2PConfig       `toml:"p2p"`
	Consensus ConsensusConfig `toml:"consensus"`
	Admin     AdminConfig     `toml:"admin"`
	Log       LogConfig       `toml:"log"`
	// Attest is attestation (consensus/attestrun.Settings; node/attest.go).
	Attest attestrun.Settings `toml:"attest"`

	// dir is where the file was loaded from; relative paths resolve here.
	dir string
}

// NodeConfig says who the node is and where it keeps its data.
type NodeConfig struct {
	// Name is a label for logs and the admin API; it need not be unique.
	Name string `toml:"name"`
	// Role is "producer" or "full": what the operator expects. The
	// effective role is the producer set's (Node.Role): a producer exactly
	// when the node key is in the set in force; a mismatch is logged.
	Role Role `toml:"role"`
	// DataDir holds the node's pebble database (blocks, state, raft log).
	DataDir string `toml:"data_dir"`
	// KeyFile holds the node's ed25519 key: its libp2p identity and, for a
	// producer, its block-signing key. Created with mode 0600 if missing.
	KeyFile string `toml:"key_file"`
	// GenesisFile is the chain's genesis (blockwire init writes it).
	GenesisFile string `toml:"genesis_file"`
}

// P2PConfig is the link layer's operator surface.
type P2PConfig struct {
	// Listen are libp2p multiaddrs, e.g. "/ip4/0.0.0.0/tcp/9000" and
	// "/ip4/0.0.0.0/udp/9000/quic-v1".
	Listen []string `toml:"listen"`
	// StaticPeers are multiaddrs ending in /p2p/<peer id>; the node keeps a
	// connection to each, reconnecting with capped backoff.
	StaticPeers []string `toml:"static_peers"`
	// MaxInbound and MaxOutbound bound connections by direction.
	MaxInbound  int `toml:"max_inbound"`
	MaxOutbound int `toml:"max_outbound"`
	// MDNS discovers peers on the local network segment.
	MDNS bool `toml:"mdns"`
	// MaxBlockBytes is the largest block the node accepts or sends.
	MaxBlockBytes int `toml:"max_block_bytes"`
	// BulkWindow and QUICBulkWindow are the blocks and sync lanes' flow-
	// control windows in bytes on TCP and on QUIC links; 0 keeps the link
	// defaults (128 KiB and 512 KiB, sized for a LAN). A lane moves at most
	// one window per round trip: on a WAN set bandwidth × RTT (see
	// docs/operations.md).
	BulkWindow     int `toml:"bulk_window"`
	QUICBulkWindow int `toml:"quic_bulk_window"`
	// BulkConnWindow is the TCP window when the blocks and sync lanes have
	// a connection of their own (the default); 0 keeps the link default.
	// Raising it never delays votes, which travel on the other connection.
	BulkConnWindow int `toml:"bulk_conn_window"`
	// BulkWindowMax is how far that window may grow within a message
	// while the peer drains it faster than link.ConnConfig.BulkTuneDelay
	// (link.ConnConfig.BulkWindowMax); 0 keeps the link default, -1 turns
	// the growth off.
	BulkWindowMax int `toml:"bulk_window_max"`
	// BulkLowPriority marks the bulk connection's TCP sockets DSCP CS1
	// and SO_PRIORITY 2 so that hosts and routers that honour it send
	// votes before queued block packets (link.ConnConfig.BulkLowPriority;
	// docs/operations.md). Default false (see link's reason).
	BulkLowPriority bool `toml:"bulk_low_priority"`
	// QUICBulkListen are QUIC multiaddrs for bulk connections, a UDP socket
	// each (link.Config.QUICBulkListenAddrs); unset = a random port per
	// QUIC listen address, [] = none.
	QUICBulkListen []string `toml:"quic_bulk_listen"`
	// Routable announces this node as a routing destination although it is
	// not a producer (producers always are), so routed messages can reach
	// it. Other nodes accept its routes only if they list it in
	// RoutablePeers.
	Routable bool `toml:"routable"`
	// RoutablePeers are peer ids, besides the producers in force, whose
	// route announcements this node accepts and relays (nodes that set
	// routable). Announcements of anyone else cost the sender score, so
	// every node of the network must list the same peers (as they share
	// the genesis): a node that lists fewer charges the honest neighbours
	// that relay the others' routes.
	RoutablePeers []string `toml:"routable_peers"`
	// Relay is how block bodies travel: "" or "blocksync" (the product),
	// or "gossipsub", a benchmark baseline that publishes bodies on a
	// go-libp2p-pubsub topic instead (gossip.go); not for production: it
	// has no catch-up and blocksync sends no bodies while it is on.
	Relay string `toml:"relay"`
	// Seeds are multiaddrs ending in /p2p/<peer id> that peer discovery
	// (discovery.go, link/pex) dials to learn addresses; unlike static
	// peers they are not kept: a seed sheds us once it is full.
	Seeds []string `toml:"seeds"`
	// TargetPeers turns peer discovery on (with or without seeds): the
	// node dials addresses its peers share until it has this many links.
	// 0 with no seeds: off (static peers only). 0 with seeds: 8.
	TargetPeers int `toml:"target_peers"`
	// MaxPeers is the most links discovery keeps: above it, inbound links
	// that are neither static nor producers are shed. 0: 1.5 × TargetPeers.
	MaxPeers int `toml:"max_peers"`
}

// ConsensusConfig selects and tunes consensus.
type ConsensusConfig struct {
	// Engine is "cft" (raft; the default), "bft" or "solo".
	Engine Engine `toml:"engine"`
	// BlockInterval is how often the leader produces a block (≥ 10ms).
	BlockInterval Duration `toml:"block_interval"`
	// HeartbeatTimeout, ElectionTimeout and LeaderLeaseTimeout are raft's
	// timers (floor 50ms; see docs/operations.md for LAN and WAN values).
	HeartbeatTimeout   Duration `toml:"heartbeat_timeout"`
	ElectionTimeout    Duration `toml:"election_timeout"`
	LeaderLeaseTimeout Duration `toml:"leader_lease_timeout"`
	// MaxBlockTxs bounds the transactions in one produced block.
	MaxBlockTxs int `toml:"max_block_txs"`
	// BlockTargetBytes is the size a producer aims its blocks at: it
	// stops packing at the first queued transaction that would take the
	// block past it (an empty block still takes one larger transaction),
	// so a backlog — a new leader's, after a change — drains over several
	// blocks instead of one block the links need seconds for
	// (txpool.Budget). 0: no target (p2p.max_block_bytes). Set it to what
	// a producer's upload carries to its children in one block_interval;
	// it must exceed the payload one interval brings, or the backlog grows.
	BlockTargetBytes int `toml:"block_target_bytes"`
	// SubmitAckTimeout bounds the wait for a producer to accept a submitted
	// transaction (≥ 100ms); past it the submit fails with "producer did
	// not answer in time". Raise it for loaded or distant producers.
	SubmitAckTimeout Duration `toml:"submit_ack_timeout"`
	// BFTLeaderTimeout (engine "bft"): a view whose leader has proposed
	// nothing this long after it began is nullified; a crashed leader
	// costs about this much per turn until it is skipped. It must exceed
	// the block interval plus a round trip between producers. 0: 1s (a
	// WAN default). Every producer should use the same value.
	BFTLeaderTimeout Duration `toml:"bft_leader_timeout"`
}

// AdminConfig is the HTTP admin API (status, peers, blocks, tx submit,
// Prometheus /metrics, pprof).
type AdminConfig struct {
	// Listen is ip:port; loopback by default. Empty disables the API.
	Listen string `toml:"listen"`
	// Pprof exposes /debug/pprof.
	Pprof bool `toml:"pprof"`
	// TokenFile holds a bearer token (mode 0600; blockwire init writes
	// admin.token). When Listen is not a loopback address, every mutating
	// route (POST /tx, bans) and pprof require "Authorization: Bearer
	// <token>", and the file must exist; reads stay open. On loopback the
	// token is not checked.
	TokenFile string `toml:"token_file"`
	// ReadyMaxHeadAge is the oldest head (by its block timestamp) /readyz
	// accepts; 0 turns the check off. Set it to several block intervals:
	// a head that stops moving means no producer is producing.
	ReadyMaxHeadAge Duration `toml:"ready_max_head_age"`
}

// LogConfig sets up zerolog.
type LogConfig struct {
	// Level is trace, debug, info, warn or error.
	Level string `toml:"level"`
	// Format is json, console or auto (console on a terminal, JSON otherwise).
	Format string `toml:"format"`
	// File receives JSON logs in addition to the standard error stream;
	// empty for none.
	File string `toml:"file"`
	// Components overrides the level per component: link, blocksync,
	// consensus, chain, admin, node.
	Components map[string]string `toml:"components"`
}

// Duration is a time.Duration written as a Go duration string ("500ms").
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like \"500ms\" or \"2s\"", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultBlockTargetBytes is consensus.block_target_bytes by default:
// 4 MiB, a block that a producer sending to 3 children every 500 ms (the
// default interval) pushes up its link at ~200 Mbit/s. Faster links may
// raise it, slower ones should lower it.
const DefaultBlockTargetBytes = 4 << 20

// DefaultConfig is a full node on the default ports with CFT consensus and
// raft timers for a LAN (deps.md §2.5: 100/100/50 ms fails over in
// 180–300 ms and stays stable under load).
func DefaultConfig() Config {
	return Config{
		Node: NodeConfig{
			Name: "blockwire", Role: RoleFull, DataDir: "data",
			KeyFile: "node.key", GenesisFile: "genesis.json",
		},
		P2P: P2PConfig{
			Listen:      []string{"/ip4/0.0.0.0/tcp/9000", "/ip4/0.0.0.0/udp/9000/quic-v1"},
			MaxInbound:  64,
			MaxOutbound: 16,
			// Matches link's default blocks-lane maximum.
			MaxBlockBytes: 64 << 20,
			// Matches link's default.
			BulkLowPriority: false,
		},
		Consensus: ConsensusConfig{
			Engine:             EngineCFT,
			BlockInterval:      Duration{500 * time.Millisecond},
			HeartbeatTimeout:   Duration{100 * time.Millisecond},
			ElectionTimeout:    Duration{100 * time.Millisecond},
			LeaderLeaseTimeout: Duration{100 * time.Millisecond}, // = heartbeat: cft.Config says why
			MaxBlockTxs:        10000,
			BlockTargetBytes:   DefaultBlockTargetBytes,
			SubmitAckTimeout:   Duration{5 * time.Second},
		},
		Admin:  AdminConfig{Listen: "127.0.0.1:9100", Pprof: true, ReadyMaxHeadAge: Duration{10 * time.Second}},
		Log:    LogConfig{Level: "info", Format: "auto", File: "node.log"},
		Attest: attestrun.DefaultSettings(),
	}
}

// ConfigError names the key at fault and what is wrong with it.
type ConfigError struct {
	// File is the config file, when loaded from one.
	File string
	// Key is the dotted TOML key, e.g. "consensus.block_interval".
	Key string
	// Line is the line in File, when known.
	Line int
	// Problem says what is wrong.
	Problem string
	// Err is the underlying error, if any (for errors.Is, e.g. fs.ErrNotExist).
	Err error
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.File != "" {
		b.WriteString(" " + e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	return b.String() + ": " + e.Problem
}

// Parse decodes a TOML config file's bytes over DefaultConfig and
// validates it. Unknown keys are errors (a misspelt key must not be
// silently ignored). file names the file in a *ConfigError; dir is the
// directory relative paths resolve against (node.LoadConfig passes the
// file's, made absolute).
func Parse(data []byte, file, dir string) (Config, error) {
	cfg := DefaultConfig()
	md, err := toml.Decode(string(data), &cfg)
	if err != nil {
		return cfg, tomlError(file, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return cfg, &ConfigError{File: file, Key: keys[0], Problem: "unknown key (known sections: node, p2p, consensus, admin, log, attest)"}
	}
	cfg.dir = dir
	if err := cfg.Validate(); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			ce.File = file
		}
		return cfg, err
	}
	return cfg, nil
}

func tomlError(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &ConfigError{File: path, Line: pe.Position.Line, Key: pe.LastKey, Problem: pe.Message, Err: err}
	}
	var ppe *toml.ParseError
	if errors.As(err, &ppe) {
		return &ConfigError{File: path, Line: ppe.Position.Line, Key: ppe.LastKey, Problem: ppe.Message, Err: err}
	}
	// Type mismatches are plain errors of the form
	// `toml: line N (last key "k"): problem`; recover the key and line.
	ce := &ConfigError{File: path, Problem: err.Error(), Err: err}
	if m := tomlPlainError.FindStringSubmatch(err.Error()); m != nil {
		ce.Line, _ = strconv.Atoi(m[1])
		ce.Key, ce.Problem = m[2], m[3]
	}
	return ce
}

var tomlPlainError = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "([^"]*)"\): (.*)$`)

// Path resolves a path from the config relative to the config's directory.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// SetDir sets the directory relative paths resolve against (Parse sets
// it to the file's directory; embedders building a Config in code may set it).
func (c *Config) SetDir(dir string) { c.dir = dir }

// Validate reports the first invalid setting as a *ConfigError naming its key.
func (c *Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return &ConfigError{Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.Node.Role != RoleProducer && c.Node.Role != RoleFull:
		return bad("node.role", "%q, want \"producer\" or \"full\"", c.Node.Role)
	case c.Node.DataDir == "":
		return bad("node.data_dir", "empty")
	case c.Node.KeyFile == "":
		return bad("node.key_file", "empty")
	case c.Node.GenesisFile == "":
		return bad("node.genesis_file", "empty")
	case c.P2P.MaxInbound < 0:
		return bad("p2p.max_inbound", "%d, want ≥ 0", c.P2P.MaxInbound)
	case c.P2P.MaxOutbound < 0:
		return bad("p2p.max_outbound", "%d, want ≥ 0", c.P2P.MaxOutbound)
	case c.P2P.MaxBlockBytes < 1<<10 || c.P2P.MaxBlockBytes > 1<<30:
		return bad("p2p.max_block_bytes", "%d, want 1 KiB .. 1 GiB", c.P2P.MaxBlockBytes)
	case c.P2P.BulkWindow != 0 && (c.P2P.BulkWindow < 128<<10 || c.P2P.BulkWindow > link.MaxBulkWindow):
		return bad("p2p.bulk_window", "%d, want 0 (default) or 128 KiB .. %d", c.P2P.BulkWindow, link.MaxBulkWindow)
	case c.P2P.QUICBulkWindow != 0 && (c.P2P.QUICBulkWindow < 128<<10 || c.P2P.QUICBulkWindow > link.MaxBulkWindow):
		return bad("p2p.quic_bulk_window", "%d, want 0 (default) or 128 KiB .. %d", c.P2P.QUICBulkWindow, link.MaxBulkWindow)
	case c.P2P.BulkConnWindow != 0 && (c.P2P.BulkConnWindow < 128<<10 || c.P2P.BulkConnWindow > link.MaxBulkWindow):
		return bad("p2p.bulk_conn_window", "%d, want 0 (default) or 128 KiB .. %d", c.P2P.BulkConnWindow, link.MaxBulkWindow)
	case c.P2P.BulkWindowMax != 0 && c.P2P.BulkWindowMax != -1 && (c.P2P.BulkWindowMax < 128<<10 || c.P2P.BulkWindowMax > link.MaxBulkWindow):
		return bad("p2p.bulk_window_max", "%d, want 0 (default), -1 (no growth) or 128 KiB .. %d", c.P2P.BulkWindowMax, link.MaxBulkWindow)
	case c.P2P.Relay != "" && c.P2P.Relay != RelayBlocksync && c.P2P.Relay != RelayGossipsub:
		return bad("p2p.relay", "%q, want blocksync or gossipsub", c.P2P.Relay)
	case c.P2P.TargetPeers < 0:
		return bad("p2p.target_peers", "%d, want ≥ 0", c.P2P.TargetPeers)
	case c.P2P.MaxPeers != 0 && c.P2P.MaxPeers < c.P2P.TargetPeers:
		return bad("p2p.max_peers", "%d, want 0 (1.5 × target_peers) or ≥ target_peers %d", c.P2P.MaxPeers, c.P2P.TargetPeers)
	case c.Consensus.Engine != EngineCFT && c.Consensus.Engine != EngineSolo && c.Consensus.Engine != EngineBFT:
		return bad("consensus.engine", "%q, want \"cft\", \"bft\" or \"solo\"", c.Consensus.Engine)
	case c.Consensus.BlockInterval.Duration < 10*time.Millisecond:
		return bad("consensus.block_interval", "%v, want ≥ 10ms", c.Consensus.BlockInterval)
	case c.Consensus.MaxBlockTxs < 1:
		return bad("consensus.max_block_txs", "%d, want ≥ 1", c.Consensus.MaxBlockTxs)
	case c.Consensus.BlockTargetBytes != 0 && c.Consensus.BlockTargetBytes < 4<<10:
		return bad("consensus.block_target_bytes", "%d, want 0 (no target) or ≥ 4 KiB", c.Consensus.BlockTargetBytes)
	case c.Consensus.SubmitAckTimeout.Duration < 100*time.Millisecond:
		return bad("consensus.submit_ack_timeout", "%v, want ≥ 100ms", c.Consensus.SubmitAckTimeout)
	case c.Consensus.BFTLeaderTimeout.Duration != 0 && c.Consensus.BFTLeaderTimeout.Duration <= c.Consensus.BlockInterval.Duration:
		return bad("consensus.bft_leader_timeout", "%v, want 0 (1s) or above block_interval %v", c.Consensus.BFTLeaderTimeout, c.Consensus.BlockInterval)
	}
	for key, d := range map[string]Duration{
		"consensus.heartbeat_timeout":    c.Consensus.HeartbeatTimeout,
		"consensus.election_timeout":     c.Consensus.ElectionTimeout,
		"consensus.leader_lease_timeout": c.Consensus.LeaderLeaseTimeout,
	} {
		if d.Duration < 50*time.Millisecond {
			return bad(key, "%v, want ≥ 50ms (raft flaps below that; deps.md §2.5)", d)
		}
	}
	if c.Consensus.LeaderLeaseTimeout.Duration > c.Consensus.HeartbeatTimeout.Duration {
		return bad("consensus.leader_lease_timeout", "%v, want ≤ heartbeat_timeout %v (raft requires it)",
			c.Consensus.LeaderLeaseTimeout, c.Consensus.HeartbeatTimeout)
	}
	if err := c.Admin.validate(c.Consensus.BlockInterval.Duration); err != nil {
		return err
	}
	if err := c.Attest.Validate(); err != nil {
		var se *attestrun.SettingsError
		if errors.As(err, &se) {
			return &ConfigError{Key: "attest." + se.Key, Problem: se.Problem, Err: err}
		}
		return err
	}
	return c.Log.validate()
}

func (a *AdminConfig) validate(blockInterval time.Duration) error {
	bad := func(key, format string, args ...any) error {
		return &ConfigError{Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	switch {
	case a.ReadyMaxHeadAge.Duration < 0 || a.ReadyMaxHeadAge.Duration > 0 && a.ReadyMaxHeadAge.Duration < 2*blockInterval:
		return bad("admin.ready_max_head_age", "%v, want 0 (off) or ≥ 2 × consensus.block_interval (%v)", a.ReadyMaxHeadAge, 2*blockInterval)
	case a.Listen == "":
		return nil
	}
	if _, err := netip.ParseAddrPort(a.Listen); err != nil {
		return bad("admin.listen", "%q, want ip:port such as 127.0.0.1:9100", a.Listen)
	}
	if !LoopbackListen(a.Listen) && a.TokenFile == "" {
		return bad("admin.token_file", "empty while admin.listen %q is not a loopback address: "+
			"mutating routes and pprof need a bearer token there (blockwire init writes admin.token)", a.Listen)
	}
	return nil
}

var logLevels = map[string]bool{"trace": true, "debug": true, "info": true, "warn": true, "error": true, "disabled": true}

var logComponents = map[string]bool{"link": true, "blocksync": true, "consensus": true, "chain": true, "admin": true, "node": true}

func (l *LogConfig) validate() error {
	if !logLevels[l.Level] {
		return &ConfigError{Key: "log.level", Problem: fmt.Sprintf("%q, want trace, debug, info, warn, error or disabled", l.Level)}
	}
	if l.Format != "json" && l.Format != "console" && l.Format != "auto" {
		return &ConfigError{Key: "log.format", Problem: fmt.Sprintf("%q, want json, console or auto", l.Format)}
	}
	for comp, level := range l.Components {
		if !logComponents[comp] {
			return &ConfigError{Key: "log.components." + comp, Problem: "unknown component (link, blocksync, consensus, chain, admin, node)"}
		}
		if !logLevels[level] {
			return &ConfigError{Key: "log.components." + comp, Problem: fmt.Sprintf("%q is not a level", level)}
		}
	}
	return nil
}
