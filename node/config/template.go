package config

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// configTemplate is the commented config file `blockwire init` writes. Every
// key is present so an operator can see and change every setting in place.
var configTemplate = template.Must(template.New("config").Funcs(template.FuncMap{
	"list": tomlList,
}).Parse(`# blockwire node configuration. Relative paths are relative to this file.
# Reference: docs/operations.md.

[node]
# A label for logs and the admin API.
name = {{printf "%q" .Node.Name}}
# "producer" takes part in consensus and produces when it leads; "full" follows.
# The producer set in force decides: a key in it produces, one outside follows.
role = {{printf "%q" .Node.Role}}
# The node's pebble database: blocks, state and the raft log.
data_dir = {{printf "%q" .Node.DataDir}}
# ed25519 key: the libp2p identity and the block-signing key. Keep it private.
key_file = {{printf "%q" .Node.KeyFile}}
genesis_file = {{printf "%q" .Node.GenesisFile}}

[p2p]
# libp2p multiaddrs to listen on (TCP and QUIC).
listen = {{list .P2P.Listen}}
# Peers to stay connected to: multiaddrs ending in /p2p/<peer id>.
static_peers = {{list .P2P.StaticPeers}}
max_inbound = {{.P2P.MaxInbound}}
max_outbound = {{.P2P.MaxOutbound}}
# Discover peers on the local network segment.
mdns = {{.P2P.MDNS}}
# Largest block accepted or sent, in bytes.
max_block_bytes = {{.P2P.MaxBlockBytes}}
# Flow-control window of the blocks and sync lanes, bytes, on TCP and on
# QUIC links; 0 = default (128 KiB / 512 KiB, for a LAN). On a WAN set
# bandwidth x round trip, e.g. 6291456 for 1 Gbit/s at 50 ms.
bulk_window = {{.P2P.BulkWindow}}
quic_bulk_window = {{.P2P.QUICBulkWindow}}
# TCP window of the blocks and sync lanes on their own connection (the
# default; bulk_window is for links that could not dial it); 0 = default.
bulk_conn_window = {{.P2P.BulkConnWindow}}
# How far that window may grow within a block while the peer drains it
# fast (a fast LAN); 0 = default (512 KiB), -1 = never grows.
bulk_window_max = {{.P2P.BulkWindowMax}}
# Mark the bulk connection's TCP sockets low priority (DSCP CS1, SO_PRIORITY
# 2) so hosts and routers that honour it send votes first; false where the
# network polices CS1.
bulk_low_priority = {{.P2P.BulkLowPriority}}
# QUIC bulk connections arrive on a UDP port of their own (votes never queue
# behind block packets in one socket); unset = a random port. Behind a
# firewall fix it and open it, e.g.:
# quic_bulk_listen = ["/ip4/0.0.0.0/udp/9001/quic-v1"]
# Routed transport: producers are destinations; routable = true makes this
# node one too (for the nodes that list its peer id in routable_peers).
routable = {{.P2P.Routable}}
{{if .P2P.RoutablePeers}}routable_peers = {{list .P2P.RoutablePeers}}{{else}}# routable_peers = ["<peer id>"]{{end}}
# How block bodies travel: "blocksync" (default) or "gossipsub" (a
# benchmark baseline only: no catch-up, see docs/operations.md).
relay = {{printf "%q" .P2P.Relay}}
# Peer discovery: seeds to learn addresses from (multiaddrs ending in
# /p2p/<peer id>; not kept like static peers), how many links to reach,
# and the most to keep (0 = 1.5 x target). Off with no seeds and target 0.
{{if .P2P.Seeds}}seeds = {{list .P2P.Seeds}}{{else}}# seeds = ["/ip4/<ip>/tcp/<port>/p2p/<peer id>"]{{end}}
target_peers = {{.P2P.TargetPeers}}
max_peers = {{.P2P.MaxPeers}}

[consensus]
# "cft" (raft among producers), "bft" (tolerates lying producers: f of
# 3f+1) or "solo" (one producer, for development). Same on every node.
engine = {{printf "%q" .Consensus.Engine}}
# How often the leader produces a block (>= 10ms).
block_interval = {{printf "%q" .Consensus.BlockInterval.String}}
# raft timers, floor 50ms. LAN: 100ms/100ms/50ms fails over in ~200-300ms.
# WAN: raise all three to a few times the worst round-trip time.
heartbeat_timeout = {{printf "%q" .Consensus.HeartbeatTimeout.String}}
election_timeout = {{printf "%q" .Consensus.ElectionTimeout.String}}
leader_lease_timeout = {{printf "%q" .Consensus.LeaderLeaseTimeout.String}}
max_block_txs = {{.Consensus.MaxBlockTxs}}
# The size a producer aims its blocks at (bytes; 0 = none, else >= 4096): it
# stops packing at the first queued transaction past it, so a backlog drains
# over several blocks. About what the producer's upload carries to its
# children in one block_interval, and above the payload one interval brings.
block_target_bytes = {{.Consensus.BlockTargetBytes}}
# How long a submitted transaction may wait for a producer to accept it
# before the submit fails with "producer-timeout" (>= 100ms).
submit_ack_timeout = {{printf "%q" .Consensus.SubmitAckTimeout.String}}
# engine "bft": nullify a view whose leader proposed nothing this long after
# it began ("0s": 1s, a WAN default). Above block_interval plus a round trip;
# a crashed leader costs about this much per turn until it is skipped.
bft_leader_timeout = {{printf "%q" .Consensus.BFTLeaderTimeout.String}}

[admin]
# HTTP admin API, Prometheus /metrics and pprof; empty disables it. On a
# loopback address (127.0.0.0/8, ::1) nothing is checked. On any other
# address every mutating route (POST /tx, bans) and pprof require
# "Authorization: Bearer <token>" with the token in token_file (mode 0600);
# reads (/status, /metrics, /readyz, ...) stay open.
listen = {{printf "%q" .Admin.Listen}}
pprof = {{.Admin.Pprof}}
token_file = {{printf "%q" .Admin.TokenFile}}
# /readyz fails when the head block is older than this ("0s" = no check).
ready_max_head_age = {{printf "%q" .Admin.ReadyMaxHeadAge.String}}

[attest]
# Attestation (docs/operations.md): signed verifications of irreversible
# blocks, level by level. Both require and verifier false = off: the node
# loads no attestation state and announces nothing.
# The level scheme, the same on every node, and a verifier's answer time.
levels = {{printf "%q" .Attest.Levels}}
deadline = {{printf "%q" .Attest.Deadline}}
# Collect attestations of every block that becomes irreversible.
require = {{.Attest.Require}}
# Serve as a verifier of this level, announcing it and the labels below.
verifier = {{.Attest.Verifier}}
level = {{.Attest.Level}}
# Only these peer ids are accepted as verifiers; empty accepts any.
{{if .Attest.Verifiers}}verifiers = {{list .Attest.Verifiers}}{{else}}# verifiers = ["<peer id>"]{{end}}
# Labels announced with the level (selection spreads over "operator"):
{{- if .Attest.Labels}}

[attest.labels]
{{- range $k, $v := .Attest.Labels}}
{{$k}} = {{printf "%q" $v}}
{{- end}}
{{- else}}
# [attest.labels]
# operator = "acme"
{{- end}}

[log]
# trace, debug, info, warn, error or disabled.
level = {{printf "%q" .Log.Level}}
# json, console, or auto (console on a terminal, JSON otherwise).
format = {{printf "%q" .Log.Format}}
# JSON log file; empty for none.
file = {{printf "%q" .Log.File}}

[log.components]
# Per-component levels: link, blocksync, consensus, chain, admin, node.
# link = "debug"
{{- range $k, $v := .Log.Components}}
{{$k}} = {{printf "%q" $v}}
{{- end}}
`))

func tomlList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	if len(quoted) <= 2 {
		return "[" + strings.Join(quoted, ", ") + "]"
	}
	// One entry a line: static peer lists are long.
	return "[\n  " + strings.Join(quoted, ",\n  ") + ",\n]"
}

// RenderConfig renders cfg as a commented TOML file that LoadConfig reads
// back to the same settings.
func RenderConfig(cfg Config) ([]byte, error) {
	var b bytes.Buffer
	if err := configTemplate.Execute(&b, cfg); err != nil {
		return nil, fmt.Errorf("node: rendering config: %w", err)
	}
	return b.Bytes(), nil
}
