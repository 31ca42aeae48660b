package genesis

import (
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func newKey(t *testing.T) crypto.PubKey {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	require.NoError(t, err)
	return k.GetPublic()
}

func testGenesis(t *testing.T, n int) *Doc {
	t.Helper()
	var pks []ProducerKey
	for range n {
		pks = append(pks, ProducerKey{Key: newKey(t)})
	}
	g, err := New("test", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), pks)
	require.NoError(t, err)
	return g
}

func TestGenesisRoundTrip(t *testing.T) {
	g := testGenesis(t, 3)
	data, err := g.Encode()
	require.NoError(t, err)
	got, err := Decode(data)
	require.NoError(t, err)
	require.Equal(t, g.ID(), got.ID())
	keys, peers := got.ProducerSet()
	require.Len(t, keys, 3)
	require.Len(t, peers, 3)
	require.Equal(t, block.ProducerSetHash(keys), got.GenesisBlock().ProducerSet)
}

func TestGenesisIsDeterministic(t *testing.T) {
	k := newKey(t)
	at := time.Unix(1700000000, 0)
	a, err := New("c", at, []ProducerKey{{Name: "a", Key: k}})
	require.NoError(t, err)
	b, err := New("c", at, []ProducerKey{{Name: "a", Key: k}})
	require.NoError(t, err)
	require.Equal(t, a.Block, b.Block)
}

func TestGenesisRefusesTampering(t *testing.T) {
	for name, tamper := range map[string]func(g *Doc){
		"producer added": func(g *Doc) { g.Producers = append(g.Producers, testGenesis(t, 1).Producers[0]) },
		"peer id swapped": func(g *Doc) {
			g.Producers[0].PeerID, g.Producers[1].PeerID = g.Producers[1].PeerID, g.Producers[0].PeerID
		},
		"time changed":      func(g *Doc) { g.Time = g.Time.Add(time.Second) },
		"block not hex":     func(g *Doc) { g.Block = "zz" },
		"block truncated":   func(g *Doc) { g.Block = g.Block[:20] },
		"duplicate name":    func(g *Doc) { g.Producers[1].Name = g.Producers[0].Name },
		"no producers":      func(g *Doc) { g.Producers = nil },
		"bad public key":    func(g *Doc) { g.Producers[0].PublicKey = "abcd" },
		"empty chain name":  func(g *Doc) { g.Chain = "" },
		"other chain block": func(g *Doc) { g.Block = testGenesis(t, 2).Block },
	} {
		t.Run(name, func(t *testing.T) {
			g := testGenesis(t, 2)
			tamper(g)
			data, err := json.Marshal(g)
			require.NoError(t, err)
			_, err = Decode(data)
			var ge *Error
			require.ErrorAs(t, err, &ge)
			require.Empty(t, ge.File, "the caller names the file")
			_, err = g.Encode()
			require.ErrorAs(t, err, &ge, "Encode validates too")
		})
	}
}

func TestGenesisUnknownFieldRefused(t *testing.T) {
	_, err := Decode([]byte(`{"chain":"x","surprise":1}`))
	var ge *Error
	require.ErrorAs(t, err, &ge)
	require.ErrorContains(t, err, "surprise")
}

func TestNewRefusesBadInputs(t *testing.T) {
	at := time.Unix(1700000000, 0)
	_, err := New("", at, []ProducerKey{{Key: newKey(t)}})
	require.ErrorContains(t, err, "empty chain name")
	_, err = New("c", at, nil)
	require.ErrorContains(t, err, "no producers")
	_, err = New("c", at, []ProducerKey{{Name: "x"}})
	require.ErrorContains(t, err, `producer "x": not an ed25519 key`)
	names := testGenesis(t, 2).Producers
	require.Equal(t, "producer-0", names[0].Name, "unnamed producers are numbered")
	require.Equal(t, "producer-1", names[1].Name)
}
