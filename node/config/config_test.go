package config

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
)

func TestRenderedConfigLoadsBackToTheSameSettings(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Node.Name = "producer-1"
	cfg.Node.Role = RoleProducer
	cfg.P2P.StaticPeers = []string{"/ip4/127.0.0.1/tcp/9001/p2p/12D3KooWExample"}
	cfg.Consensus.BlockInterval = Duration{20 * time.Millisecond}
	cfg.Log.Components = map[string]string{"link": "debug"}
	cfg.P2P.BulkWindow, cfg.P2P.QUICBulkWindow, cfg.P2P.BulkConnWindow = 4<<20, 8<<20, 2<<20
	cfg.P2P.BulkWindowMax = 3 << 20
	data, err := RenderConfig(cfg)
	require.NoError(t, err)
	dir := t.TempDir()

	got, err := Parse(data, filepath.Join(dir, "node.toml"), dir)
	require.NoError(t, err)
	cfg.dir = dir
	require.Equal(t, cfg, got)
	require.Equal(t, filepath.Join(dir, "data"), got.Path(got.Node.DataDir))
}

func TestAMalformedConfigNamesTheKeyAndTheProblem(t *testing.T) {
	cases := []struct {
		name, content, key, problem string
		line                        int
	}{
		{"unknown key", "[p2p]\nlissten = []\n", "p2p.lissten", "unknown key", 0},
		{"bad duration", "[consensus]\nblock_interval = \"fast\"\n", "consensus.block_interval", "not a duration", 2},
		{"wrong type", "[p2p]\nmax_inbound = \"many\"\n", "p2p.max_inbound", "", 2},
		{"bad role", "[node]\nrole = \"boss\"\n", "node.role", "want \"producer\" or \"full\"", 0},
		{"raft floor", "[consensus]\nelection_timeout = \"20ms\"\n", "consensus.election_timeout", "want ≥ 50ms", 0},
		{"admin address", "[admin]\nlisten = \"localhost\"\n", "admin.listen", "want ip:port", 0},
		{"log component", "[log.components]\nwarp = \"debug\"\n", "log.components.warp", "unknown component", 0},
		{"bulk window too small", "[p2p]\nbulk_window = 4096\n", "p2p.bulk_window", "want 0 (default) or 128 KiB", 0},
		{"quic bulk window too large", "[p2p]\nquic_bulk_window = 1073741824\n", "p2p.quic_bulk_window", "want 0 (default) or 128 KiB", 0},
		{"bulk conn window too small", "[p2p]\nbulk_conn_window = 65536\n", "p2p.bulk_conn_window", "want 0 (default) or 128 KiB", 0},
		{"bulk window max too small", "[p2p]\nbulk_window_max = 65536\n", "p2p.bulk_window_max", "want 0 (default), -1 (no growth) or 128 KiB", 0},
		{"bulk window max below -1", "[p2p]\nbulk_window_max = -2\n", "p2p.bulk_window_max", "want 0 (default), -1 (no growth) or 128 KiB", 0},
		{"bft leader timeout below the block interval", "[consensus]\nblock_interval = \"500ms\"\nbft_leader_timeout = \"300ms\"\n", "consensus.bft_leader_timeout", "above block_interval 500ms", 0},
		{"syntax", "[node\n", "", "", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "node.toml")
			_, err := Parse([]byte(c.content), path, filepath.Dir(path))
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, path, ce.File)
			if c.key != "" {
				require.Equal(t, c.key, ce.Key, "error: %v", err)
			}
			require.Contains(t, ce.Problem, c.problem)
			if c.line > 0 {
				require.Equal(t, c.line, ce.Line, "error: %v", err)
			}
		})
	}
}

func TestBulkWindowsReachTheLinkConfig(t *testing.T) {
	cfg := DefaultConfig()
	lc, err := cfg.LinkConfig()
	require.NoError(t, err)
	require.Equal(t, link.DefaultConnConfig().BulkWindow, lc.Conn.BulkWindow, "0 keeps the link default")
	require.Equal(t, link.DefaultConnConfig().QUICBulkWindow, lc.Conn.QUICBulkWindow)
	require.Equal(t, link.DefaultConnConfig().BulkConnWindow, lc.Conn.BulkConnWindow)
	cfg.P2P.BulkWindow, cfg.P2P.QUICBulkWindow, cfg.P2P.BulkConnWindow = 6<<20, 7<<20, 5<<20
	lc, err = cfg.LinkConfig()
	require.NoError(t, err)
	require.Equal(t, 6<<20, lc.Conn.BulkWindow)
	require.Equal(t, 7<<20, lc.Conn.QUICBulkWindow)
	require.Equal(t, 5<<20, lc.Conn.BulkConnWindow)
}

// p2p.bulk_window_max: 0 keeps the link's growth limit, a size sets it,
// -1 turns the growth off (the link's BulkWindowMax 0).
func TestBulkWindowMaxReachesTheLinkConfig(t *testing.T) {
	for _, c := range []struct {
		toml string
		want int
	}{
		{"", link.DefaultConnConfig().BulkWindowMax},
		{"[p2p]\nbulk_window_max = 4194304\n", 4 << 20},
		{"[p2p]\nbulk_window_max = -1\n", 0},
	} {
		cfg, err := Parse([]byte(c.toml), "config.toml", t.TempDir())
		require.NoError(t, err, c.toml)
		lc, err := cfg.LinkConfig()
		require.NoError(t, err, c.toml)
		require.Equal(t, c.want, lc.Conn.BulkWindowMax, c.toml)
	}
}

// p2p.bulk_low_priority is off by default (as in link) and a config file
// can turn it on.
func TestBulkLowPriorityReachesTheLinkConfig(t *testing.T) {
	cfg := DefaultConfig()
	lc, err := cfg.LinkConfig()
	require.NoError(t, err)
	require.False(t, lc.Conn.BulkLowPriority)
	require.Equal(t, link.DefaultConnConfig().BulkLowPriority, lc.Conn.BulkLowPriority)
	cfg, err = Parse([]byte("[p2p]\nbulk_low_priority = true\n"), "config.toml", t.TempDir())
	require.NoError(t, err)
	lc, err = cfg.LinkConfig()
	require.NoError(t, err)
	require.True(t, lc.Conn.BulkLowPriority)
}
