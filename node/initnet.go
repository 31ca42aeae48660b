package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/internal/topology"
	"github.com/blockwire/blockwire/link"
)

// NetworkSpec describes a network for InitNetwork: what `blockwire init`
// (one node) and `blockwire testnet` (N nodes on loopback) write.
type NetworkSpec struct {
	// Dir receives genesis.json and one directory per node (node0, node1,
	// ...), each with node.key, config.toml, and later data/ and node.log.
	Dir string
	// Chain names the chain (default "blockwire-local").
	Chain string
	// Nodes and Producers: the first Producers nodes produce (1 ≤
	// Producers ≤ Nodes).
	Nodes, Producers int
	// Engine is cft (default), bft or solo (needs Producers = 1); the
	// genesis records it.
	Engine Engine
	// Host is the IP every node listens on and is dialled at (default
	// 127.0.0.1): one machine. Hosts, when set, names one address per node
	// (an IP or a DNS name; entries may repeat for several nodes on one
	// machine) and replaces Host: node i listens on Hosts[i] (or on
	// ListenHost) and every other node dials it there.
	Host  string
	Hosts []string
	// ListenHost, when set, is the IP every node listens on instead of its
	// own host (e.g. 0.0.0.0 behind NAT, where the public address is not
	// local). Peers still dial the node's host.
	ListenHost string
	// QUIC adds a QUIC listen address (same port number, UDP) and a QUIC
	// address per static peer beside the TCP one.
	QUIC bool
	// P2PPorts and AdminPorts give each node's TCP port and admin port; when
	// nil, node i uses BasePort+k and AdminBasePort+k, where k counts the
	// earlier nodes on the same host (so one machine per host uses the
	// base ports themselves). BasePort defaults to 26600, AdminBasePort to
	// BasePort+1000.
	P2PPorts, AdminPorts    []int
	BasePort, AdminBasePort int
	// AdminToken writes an admin bearer token per node (admin.token, mode
	// 0600) and names it in admin.token_file; see AdminConfig.
	AdminToken bool
	// Base is the config every node starts from (default DefaultConfig);
	// InitNetwork sets name, role, paths, ports, peers and engine.
	Base *Config
	// Time is the genesis time (default now).
	Time time.Time
	// Topology wires the static peers (default full); Degree and Seed shape
	// TopologyRandom. Producers get no extra links: raft, like every routed
	// message, follows the topology.
	Topology Topology
	Degree   int
	Seed     uint64

	// producerHops is the most hops between two producers in the drawn
	// topology (raftTimers).
	producerHops int

	// Seeds, when > 0, replaces the topology's static peers with peer
	// discovery: the last Seeds nodes are seeds, every node lists them
	// (but itself) in p2p.seeds and no static peers, and p2p.target_peers
	// is TargetPeers (default: Degree with TopologyRandom, else 4).
	Seeds       int
	TargetPeers int

	// Configure, when set, edits node i's config last, before it is
	// validated and written (testnet's verifiers and requester).
	Configure func(i int, cfg *Config)
}

// SeedNodes returns the indexes of the seed nodes of a network of n
// nodes with k seeds: the last k, so that producers (numbered first) are
// not the hubs every new node dials.
func SeedNodes(n, k int) []int {
	var out []int
	for i := max(0, n-k); i < n; i++ {
		out = append(out, i)
	}
	return out
}

// targetPeers is the p2p.target_peers InitNetwork writes with Seeds.
func (s *NetworkSpec) targetPeers() int {
	switch {
	case s.TargetPeers > 0:
		return s.TargetPeers
	case s.Topology == TopologyRandom && s.Degree > 0:
		return s.Degree
	}
	return 4
}

// NetworkNode is one node InitNetwork wrote.
type NetworkNode struct {
	Name       string
	Dir        string
	ConfigFile string
	PeerID     link.PeerID
	Producer   bool
	// Host is the address peers dial the node at.
	Host string
	// P2PAddr is the node's TCP multiaddr with /p2p/<id>; PeerAddrs are all
	// the addresses other nodes list for it (TCP, and QUIC when enabled).
	P2PAddr   string
	PeerAddrs []string
	AdminAddr string
}

// InitNetwork writes keys, a shared genesis and a commented config per node
// so that `blockwire run --config <dir>/nodeI/config.toml` starts each one.
// Static peers follow spec.Topology (default: every node lists every
// other, a full mesh).
// Existing key files are reused, so re-running keeps identities; an existing
// config or genesis file is an error (nothing is overwritten).
func InitNetwork(spec NetworkSpec) (*Genesis, []NetworkNode, error) {
	if err := spec.defaults(); err != nil {
		return nil, nil, err
	}
	genesisPath := filepath.Join(spec.Dir, "genesis.json")
	if _, err := os.Stat(genesisPath); err == nil {
		return nil, nil, fmt.Errorf("node: %s exists; refusing to overwrite", genesisPath)
	}
	nodes := make([]NetworkNode, spec.Nodes)
	var producers []ProducerKey
	for i := range nodes {
		nd := &nodes[i]
		nd.Name = fmt.Sprintf("node%d", i)
		nd.Dir = filepath.Join(spec.Dir, nd.Name)
		nd.ConfigFile = filepath.Join(nd.Dir, "config.toml")
		nd.Producer = i < spec.Producers
		if _, err := os.Stat(nd.ConfigFile); err == nil {
			return nil, nil, fmt.Errorf("node: %s exists; refusing to overwrite", nd.ConfigFile)
		}
		key, err := link.LoadOrCreateKey(filepath.Join(nd.Dir, "node.key"))
		if err != nil {
			return nil, nil, err
		}
		if nd.PeerID, err = peer.IDFromPrivateKey(key); err != nil {
			return nil, nil, err
		}
		nd.Host = spec.Hosts[i]
		nd.PeerAddrs = peerAddrs(nd.Host, spec.P2PPorts[i], spec.QUIC, nd.PeerID)
		nd.P2PAddr = nd.PeerAddrs[0]
		nd.AdminAddr = net.JoinHostPort(adminHost(nd.Host), strconv.Itoa(spec.AdminPorts[i]))
		if nd.Producer {
			producers = append(producers, ProducerKey{Name: nd.Name, Key: key.GetPublic()})
		}
	}
	g, err := NewEngineGenesis(spec.Chain, spec.Time, producers, spec.Engine)
	if err != nil {
		return nil, nil, err
	}
	if err := WriteGenesis(genesisPath, g); err != nil {
		return nil, nil, err
	}
	adj, err := Neighbours(spec.Topology, spec.Nodes, spec.Degree, spec.Seed)
	if err != nil {
		return nil, nil, err
	}
	spec.producerHops = topology.Graph(adj).Span(spec.Producers)
	for i := range nodes {
		if err := writeNodeConfig(spec, nodes, adj[i], i); err != nil {
			return nil, nil, err
		}
	}
	return g, nodes, nil
}

func (s *NetworkSpec) defaults() error {
	if s.Dir == "" {
		return errors.New("node: NetworkSpec.Dir is empty")
	}
	if s.Nodes < 1 || s.Producers < 1 || s.Producers > s.Nodes {
		return fmt.Errorf("node: NetworkSpec has %d nodes and %d producers, want 1 ≤ producers ≤ nodes", s.Nodes, s.Producers)
	}
	if s.Chain == "" {
		s.Chain = "blockwire-local"
	}
	if s.Engine == "" {
		s.Engine = EngineCFT
	}
	if s.Engine == EngineSolo && s.Producers != 1 {
		return fmt.Errorf("node: the solo engine needs exactly 1 producer, got %d", s.Producers)
	}
	if err := s.hostDefaults(); err != nil {
		return err
	}
	if s.Seeds < 0 || s.Seeds > s.Nodes {
		return fmt.Errorf("node: NetworkSpec has %d seeds for %d nodes, want 0..nodes", s.Seeds, s.Nodes)
	}
	if len(s.P2PPorts) != s.Nodes || len(s.AdminPorts) != s.Nodes {
		return fmt.Errorf("node: NetworkSpec has %d P2P and %d admin ports for %d nodes", len(s.P2PPorts), len(s.AdminPorts), s.Nodes)
	}
	if s.Time.IsZero() {
		s.Time = time.Now()
	}
	return nil
}

func writeNodeConfig(spec NetworkSpec, nodes []NetworkNode, peers []int, i int) error {
	cfg := DefaultConfig()
	if spec.Base != nil {
		cfg = *spec.Base
	}
	nd := nodes[i]
	cfg.Node.Name = nd.Name
	cfg.Node.Role = RoleFull
	if nd.Producer {
		cfg.Node.Role = RoleProducer
	}
	cfg.Node.DataDir, cfg.Node.KeyFile, cfg.Node.GenesisFile = "data", "node.key", "../genesis.json"
	cfg.Consensus.Engine = spec.Engine
	raftTimers(&cfg.Consensus, spec.producerHops)
	cfg.P2P.Listen = listenAddrs(spec.listenHost(i), spec.P2PPorts[i], spec.QUIC)
	cfg.P2P.StaticPeers = nil
	// Raft rides routed unicast: producers need routes to each other, not
	// links, so the topology alone decides the static peers.
	for j, o := range nodes {
		if j != i && slices.Contains(peers, j) && spec.Seeds == 0 {
			cfg.P2P.StaticPeers = append(cfg.P2P.StaticPeers, o.PeerAddrs...)
		}
	}
	if spec.Seeds > 0 {
		cfg.P2P.Seeds = nil
		for _, j := range SeedNodes(len(nodes), spec.Seeds) {
			if j != i {
				cfg.P2P.Seeds = append(cfg.P2P.Seeds, nodes[j].PeerAddrs...)
			}
		}
		cfg.P2P.TargetPeers = min(spec.targetPeers(), len(nodes)-1)
	}
	cfg.Admin.Listen = nd.AdminAddr
	if spec.AdminToken {
		cfg.Admin.TokenFile = AdminTokenFile
		if err := WriteAdminToken(filepath.Join(nd.Dir, AdminTokenFile)); err != nil {
			return err
		}
	}
	if spec.Configure != nil {
		spec.Configure(i, &cfg)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	data, err := RenderConfig(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(nd.ConfigFile, data, 0o644); err != nil {
		return fmt.Errorf("node: writing %s: %w", nd.ConfigFile, err)
	}
	return nil
}
