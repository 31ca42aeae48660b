package link

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	def := DefaultConfig()
	require.NoError(t, def.Validate())
	cases := map[string]func(c *Config){
		"Config.TCP and Config.QUIC":    func(c *Config) { c.TCP, c.QUIC = false, false },
		"Config.ListenAddrs":            func(c *Config) { c.ListenAddrs = []string{"not-a-multiaddr"} },
		"Config.Security entry":         func(c *Config) { c.Security = []string{"ssl"} },
		"Config.StaticPeers entry":      func(c *Config) { c.StaticPeers = []string{"/ip4/127.0.0.1/tcp/1"} },
		"Config.ReconnectMax":           func(c *Config) { c.ReconnectMax = time.Millisecond },
		"Config.ReconnectJitter":        func(c *Config) { c.ReconnectJitter = 1 },
		"Config.MaxInbound":             func(c *Config) { c.MaxInbound, c.MaxOutbound = 0, 0 },
		"Config.MDNSService":            func(c *Config) { c.MDNS, c.MDNSService = true, "" },
		"ConnConfig.MaxMessage[blocks]": func(c *Config) { c.Conn.MaxMessage[LaneBlocks] = 10 },
		"ConnConfig.ConsensusQueueBytes": func(c *Config) {
			c.Conn.ConsensusQueueBytes = c.Conn.MaxMessage[LaneConsensus] - 1
		},
		"ConnConfig.ChunkSize":        func(c *Config) { c.Conn.ChunkSize = 100 },
		"ConnConfig.BulkWindow":       func(c *Config) { c.Conn.BulkWindow = 64 << 20 },
		"ConnConfig.QUICBulkWindow":   func(c *Config) { c.Conn.QUICBulkWindow = 4 << 10 },
		"ConnConfig.BulkConnWindow":   func(c *Config) { c.Conn.BulkConnWindow = 33 << 20 },
		"ConnConfig.PingTimeout":      func(c *Config) { c.Conn.PingTimeout = c.Conn.PingInterval },
		"ConnConfig.InboundMsgBurst":  func(c *Config) { c.Conn.InboundMsgBurst[LaneSync] = 0 },
		"ScoreConfig.BanThreshold":    func(c *Config) { c.Conn.Score.BanThreshold = 0 },
		"ScoreConfig.DecodePenalty":   func(c *Config) { c.Conn.Score.DecodePenalty = -1 },
		"ConnConfig.SendQueueBytes":   func(c *Config) { c.Conn.SendQueueBytes = 1 },
		"ConnConfig.HandshakeTimeout": func(c *Config) { c.Conn.HandshakeTimeout = 0 },
	}
	for field, mutate := range cases {
		c := DefaultConfig()
		mutate(&c)
		err := c.Validate()
		require.Error(t, err, field)
		require.Contains(t, err.Error(), field)
		require.Contains(t, err.Error(), "link: ")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "node.key")
	k1, err := LoadOrCreateKey(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	k2, err := LoadOrCreateKey(path)
	require.NoError(t, err)
	id1, _ := peer.IDFromPrivateKey(k1)
	id2, _ := peer.IDFromPrivateKey(k2)
	require.Equal(t, id1, id2)

	require.NoError(t, os.Chmod(path, 0o644))
	_, err = LoadOrCreateKey(path)
	require.ErrorContains(t, err, "want 0600")

	other := filepath.Join(t.TempDir(), "secp.key")
	sk, _, err := crypto.GenerateSecp256k1Key(nil)
	require.NoError(t, err)
	b, err := crypto.MarshalPrivateKey(sk)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(other, b, 0o600))
	_, err = LoadOrCreateKey(other)
	require.ErrorContains(t, err, "want ed25519")
}

// TestLimitsConsistent: the connection manager trims before the resource
// manager refuses, for a range of limits.
func TestLimitsConsistent(t *testing.T) {
	for _, in := range []int{0, 1, 8, 64, 1000} {
		for _, out := range []int{1, 4, 32} {
			c := DefaultConfig()
			c.MaxInbound, c.MaxOutbound = in, out
			l := newConnLimits(&c, 3)
			sys := l.rcmgr.ToPartialLimitConfig().System
			require.Less(t, l.high, int(sys.Conns), "in=%d out=%d", in, out)
			require.Less(t, l.low, l.high+1)
			// Two connections per link (the bulk connection, bulkconn.go).
			require.GreaterOrEqual(t, l.high, 2*(in+out+3))
			require.GreaterOrEqual(t, int(sys.ConnsInbound), 2*(in+3))
			require.GreaterOrEqual(t, int(sys.ConnsOutbound), 2*(out+3))
		}
	}
}

// TestLimitsAdmitLargestMessages: every resource-manager scope a received
// message is reserved from admits the lanes' largest messages, for a
// small and a large block limit.
func TestLimitsAdmitLargestMessages(t *testing.T) {
	for _, blocks := range []int{1 << 20, 512 << 20} {
		c := DefaultConfig()
		c.Conn.MaxMessage[LaneBlocks] = blocks
		var perConn int64
		for _, m := range c.Conn.MaxMessage {
			perConn += int64(m)
		}
		p := newConnLimits(&c, 0).rcmgr.ToPartialLimitConfig()
		require.GreaterOrEqual(t, int64(p.Stream.Memory), int64(max(blocks, c.Conn.MaxMessage[LaneSync])), "stream, blocks=%d", blocks)
		require.GreaterOrEqual(t, int64(p.ProtocolPeer[ProtocolID].Memory), 2*perConn, "protocol-peer")
		require.GreaterOrEqual(t, int64(p.PeerDefault.Memory), 2*perConn, "peer")
		require.Equal(t, p.System.Memory, p.Protocol[ProtocolID].Memory, "protocol bounded by the system only")
	}
}
