package link

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A static peer written at 0.0.0.0 (what `init --host 0.0.0.0` used to
// write) is reported as undialable; a real IP or a DNS name is not.
func TestUndialableStaticPeers(t *testing.T) {
	const id = "12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X"
	for addr, bad := range map[string]bool{
		"/ip4/0.0.0.0/tcp/9000/p2p/" + id:           true,
		"/ip6/::/udp/9000/quic-v1/p2p/" + id:        true,
		"/p2p/" + id:                                true,
		"/ip4/10.0.0.2/tcp/9000/p2p/" + id:          false,
		"/dns/node2.example.com/tcp/9000/p2p/" + id: false,
	} {
		infos, err := parseStatic([]string{addr})
		require.NoError(t, err)
		require.Equal(t, bad, undialable(infos[0]) != "", addr)
	}
	// One good address among unspecified ones is enough.
	infos, err := parseStatic([]string{"/ip4/0.0.0.0/tcp/9000/p2p/" + id, "/ip4/10.0.0.2/tcp/9000/p2p/" + id})
	require.NoError(t, err)
	require.Empty(t, undialable(infos[0]))
}
