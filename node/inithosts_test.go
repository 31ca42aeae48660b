package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInitNetworkWritesEachHostForItsPeers is issue 12 item 1: with one
// host per node every static peer names the peer's own host (TCP and
// QUIC), never 0.0.0.0, and every admin address is loopback. On the old
// code the spec had no Hosts and every peer was written at the one Host.
func TestInitNetworkWritesEachHostForItsPeers(t *testing.T) {
	dir := t.TempDir()
	hosts := []string{"10.0.0.1", "10.0.0.2", "node3.example.com", "10.0.0.1"}
	_, nodes, err := InitNetwork(NetworkSpec{Dir: dir, Nodes: 4, Producers: 3, Hosts: hosts, QUIC: true, BasePort: 9000, AdminBasePort: 9100, AdminToken: true})
	require.NoError(t, err)
	for i, nd := range nodes {
		cfg, err := LoadConfig(nd.ConfigFile)
		require.NoError(t, err)
		require.True(t, LoopbackListen(cfg.Admin.Listen), "node%d admin %s", i, cfg.Admin.Listen)
		require.Len(t, cfg.P2P.StaticPeers, 2*(len(nodes)-1), "TCP and QUIC per peer")
		for _, p := range cfg.P2P.StaticPeers {
			require.NotContains(t, p, "0.0.0.0")
		}
		for j, o := range nodes {
			if j == i {
				continue
			}
			for _, a := range o.PeerAddrs {
				require.Contains(t, cfg.P2P.StaticPeers, a)
				require.True(t, strings.Contains(a, "/"+hosts[j]+"/"), "%s names host %s", a, hosts[j])
			}
		}
		tok, err := ReadAdminToken(cfg.Path(cfg.Admin.TokenFile))
		require.NoError(t, err)
		require.Len(t, tok, 64)
	}
	// Two nodes on 10.0.0.1 get consecutive ports; one per machine gets the base.
	require.Equal(t, "/ip4/10.0.0.1/tcp/9000/p2p/"+nodes[0].PeerID.String(), nodes[0].P2PAddr)
	require.Equal(t, "/ip4/10.0.0.1/tcp/9001/p2p/"+nodes[3].PeerID.String(), nodes[3].P2PAddr)
	require.Equal(t, "/dns/node3.example.com/udp/9000/quic-v1/p2p/"+nodes[2].PeerID.String(), nodes[2].PeerAddrs[1])
	require.Equal(t, "127.0.0.1:9101", nodes[3].AdminAddr)
	cfg, err := LoadConfig(nodes[2].ConfigFile)
	require.NoError(t, err)
	require.Equal(t, []string{"/ip4/0.0.0.0/tcp/9000", "/ip4/0.0.0.0/udp/9000/quic-v1"}, cfg.P2P.Listen, "a DNS host listens everywhere")
}

func TestInitNetworkRefusesAnUndialableHost(t *testing.T) {
	_, _, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 3, Producers: 3, Host: "0.0.0.0"})
	require.ErrorContains(t, err, `"0.0.0.0" is not an address peers can dial`)
	_, _, err = InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 3, Producers: 3, Hosts: []string{"10.0.0.1", "10.0.0.2"}})
	require.ErrorContains(t, err, "2 hosts for 3 nodes")
	_, _, err = InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 2, Producers: 2, Hosts: []string{"10.0.0.1", "bad_name!"}})
	require.ErrorContains(t, err, "neither an IP address nor a DNS name")
}

func TestInitNetworkListenHostAndLoopbackAdmin(t *testing.T) {
	_, nodes, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 2, Producers: 1,
		Hosts: []string{"127.0.0.2", "203.0.113.7"}, ListenHost: "0.0.0.0", AdminBasePort: 9100})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.2:9100", nodes[0].AdminAddr, "a loopback host keeps its own admin address")
	require.Equal(t, "127.0.0.1:9100", nodes[1].AdminAddr, "never a public admin address")
	cfg, err := LoadConfig(nodes[1].ConfigFile)
	require.NoError(t, err)
	require.Equal(t, []string{"/ip4/0.0.0.0/tcp/26600"}, cfg.P2P.Listen)
	require.Equal(t, []string{nodes[0].P2PAddr}, cfg.P2P.StaticPeers)
}

func TestAdminTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.token")
	require.NoError(t, WriteAdminToken(path))
	tok, err := ReadAdminToken(path)
	require.NoError(t, err)
	require.NoError(t, WriteAdminToken(path), "an existing token is kept")
	again, err := ReadAdminToken(path)
	require.NoError(t, err)
	require.Equal(t, tok, again)
	require.NoError(t, os.Chmod(path, 0o644))
	_, err = ReadAdminToken(path)
	require.ErrorContains(t, err, "other users can read it")
	short := filepath.Join(t.TempDir(), "short")
	require.NoError(t, os.WriteFile(short, []byte("abc\n"), 0o600))
	_, err = ReadAdminToken(short)
	require.ErrorContains(t, err, "want at least 16")
}

func TestLoopbackListen(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9100": true, "127.0.0.2:9100": true, "[::1]:9100": true,
		"0.0.0.0:9100": false, "[::]:9100": false, "10.0.0.1:9100": false, "localhost:9100": false, "": false,
	} {
		require.Equal(t, want, LoopbackListen(addr), addr)
	}
}

func TestConfigNeedsATokenFileOffLoopback(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Admin.Listen = "0.0.0.0:9100"
	require.ErrorContains(t, cfg.Validate(), "admin.token_file: empty while admin.listen \"0.0.0.0:9100\" is not a loopback address")
	cfg.Admin.TokenFile = "admin.token"
	require.NoError(t, cfg.Validate())
	cfg.Admin.ReadyMaxHeadAge = Duration{Duration: 100 * 1e6}
	require.ErrorContains(t, cfg.Validate(), "admin.ready_max_head_age")
}
