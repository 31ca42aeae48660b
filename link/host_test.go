package link_test

import (
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

// testConfig is a loopback-only host config for one transport.
func testConfig(t *testing.T, transport string) link.Config {
	t.Helper()
	cfg := link.DefaultConfig()
	cfg.TCP, cfg.QUIC = transport == "tcp", transport == "quic"
	if cfg.TCP {
		cfg.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	} else {
		cfg.ListenAddrs = []string{"/ip4/127.0.0.1/udp/0/quic-v1"}
	}
	cfg.ReconnectMin = 20 * time.Millisecond
	cfg.ReconnectMax = 200 * time.Millisecond
	cfg.Logger = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	return cfg
}

func newHost(t *testing.T, cfg link.Config, h link.Handler) *link.Host {
	t.Helper()
	hst, err := link.New(cfg, h)
	require.NoError(t, err)
	return hst
}

func libp2pHarness(transport string) linktest.Harness {
	return linktest.Harness{
		New: func(t *testing.T, cc link.ConnConfig, hs []link.Handler) []linktest.Node {
			out := make([]linktest.Node, len(hs))
			for i, h := range hs {
				cfg := testConfig(t, transport)
				cfg.Conn = cc
				hst := newHost(t, cfg, h)
				out[i] = linktest.Node{Net: hst, Addr: hst.AddrInfo()}
			}
			return out
		},
	}
}

func TestTCPConformance(t *testing.T)  { linktest.Run(t, libp2pHarness("tcp")) }
func TestQUICConformance(t *testing.T) { linktest.Run(t, libp2pHarness("quic")) }
