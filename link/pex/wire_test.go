package pex

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sampleMsgs() []Msg {
	return []Msg{
		{Type: TypeHello, Addrs: []string{"/ip4/10.0.0.1/tcp/9000", "/ip4/10.0.0.1/udp/9000/quic-v1"}},
		{Type: TypeRequest},
		{Type: TypeAddrs},
		{Type: TypeAddrs, Entries: []Entry{
			{ID: "a", Addrs: []string{"/ip6/2001:db8::1/tcp/1"}},
			{ID: "b", Addrs: []string{"/dns4/node.example.com/tcp/26600", "/ip4/192.0.2.7/tcp/26600"}},
		}},
	}
}

func TestWireRoundTrip(t *testing.T) {
	for _, m := range sampleMsgs() {
		b := m.AppendTo(nil)
		require.True(t, IsFrame(b))
		got, err := Decode(b, false)
		require.NoError(t, err)
		require.Equal(t, m.AppendTo(nil), got.AppendTo(nil))
	}
}

func TestDecodeIsStrict(t *testing.T) {
	hello := Msg{Type: TypeHello, Addrs: []string{"/ip4/10.0.0.1/tcp/9000"}}.AppendTo(nil)
	entry := func(id string, addrs ...string) []byte {
		return Msg{Type: TypeAddrs, Entries: []Entry{{ID: PeerID(id), Addrs: addrs}}}.AppendTo(nil)
	}
	for name, b := range map[string][]byte{
		"empty":          {},
		"no marker":      {1, 1, 2},
		"version":        {Marker, 2, 2},
		"unknown type":   {Marker, 1, 9},
		"trailing":       append(Msg{Type: TypeRequest}.AppendTo(nil), 0),
		"truncated":      hello[:len(hello)-1],
		"hello no addrs": {Marker, 1, 1, 0},
		"unspecified":    entry("a", "/ip4/0.0.0.0/tcp/1"),
		"loopback":       entry("a", "/ip4/127.0.0.1/tcp/1"),
		"port 0":         entry("a", "/ip4/10.0.0.1/tcp/0"),
		"port leading 0": entry("a", "/ip4/10.0.0.1/tcp/09"),
		"multicast":      entry("a", "/ip4/224.0.0.1/tcp/1"),
		"not canonical":  entry("a", "/ip6/2001:DB8::1/tcp/1"),
		"ip4 as ip6":     entry("a", "/ip6/10.0.0.1/tcp/1"),
		"unknown proto":  entry("a", "/unix/tmp/x"),
		"p2p suffix":     entry("a", "/ip4/10.0.0.1/tcp/1/p2p/x"),
		"quic no v1":     entry("a", "/ip4/10.0.0.1/udp/1/quic"),
		"bad dns":        entry("a", "/dns4/a_b/tcp/1"),
		"dup addr":       entry("a", "/ip4/10.0.0.1/tcp/1", "/ip4/10.0.0.1/tcp/1"),
		"empty id":       entry("", "/ip4/10.0.0.1/tcp/1"),
		"long id":        entry(strings.Repeat("x", MaxIDLen+1), "/ip4/10.0.0.1/tcp/1"),
		"dup id":         Msg{Type: TypeAddrs, Entries: []Entry{{ID: "a", Addrs: []string{"/ip4/10.0.0.1/tcp/1"}}, {ID: "a", Addrs: []string{"/ip4/10.0.0.2/tcp/1"}}}}.AppendTo(nil),
		"too many":       append([]byte{Marker, 1, 3, MaxWireEntries + 1}, bytes.Repeat([]byte{0}, 10)...),
		"five addrs":     {Marker, 1, 1, 5},
		"oversized":      make([]byte, MaxFrame+1),
	} {
		_, err := Decode(b, false)
		require.Error(t, err, name)
		require.True(t, errors.Is(err, ErrMalformed), name)
	}
	_, err := Decode(entry("a", "/ip4/127.0.0.1/tcp/1"), true)
	require.NoError(t, err, "loopback allowed when configured")
}

// FuzzDecode: Decode never panics, and what it accepts re-encodes to the
// same bytes (the format has one encoding per message).
func FuzzDecode(f *testing.F) {
	for _, m := range sampleMsgs() {
		f.Add(m.AppendTo(nil))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, true)
		if err != nil {
			return
		}
		require.Equal(t, b, m.AppendTo(nil))
	})
}

// FuzzBook steps a book with arbitrary frames from linked peers: it never
// panics and stays within its bounds.
func FuzzBook(f *testing.F) {
	for _, m := range sampleMsgs() {
		f.Add(uint8(0), m.AppendTo(nil))
	}
	f.Fuzz(func(t *testing.T, from uint8, frame []byte) {
		n := newNetwork(t)
		b := n.add(1, func(c *Config) { c.MaxEntries, c.MaxPerSource = 16, 4 })
		for i := range 4 {
			b.Connected(n.now, nodeID(10+i), i%2 == 0, false, "")
		}
		for k := range 8 {
			b.Tick(n.now)
			_ = b.Receive(n.now, nodeID(10+int(from+uint8(k))%4), frame)
			require.LessOrEqual(t, len(b.Entries()), 16)
			b.Advance()
		}
	})
}
