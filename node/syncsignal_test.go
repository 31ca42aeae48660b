package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

// Issue 11, attack 6: a hostile hello naming height 2^40-1, and a Have
// whose header at that height is signed by a key outside the producer set,
// leave a synced node synced, with best_peer_height from verified data.
// Before the fix the hello alone made it report catching_up with
// best_peer_height 2^40-1.
func TestSpoofedHeadsDoNotFlipTheSyncSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 5*time.Second)
		full := tn.specs[1].n
		require.Equal(t, "synced", full.Status().Sync)

		l, _ := hostilePeer(t, tn, full)
		const high = 1<<40 - 1
		var fake, parent block.ID
		binary.BigEndian.PutUint64(fake[:8], high)
		binary.BigEndian.PutUint64(parent[:8], high-1)
		fake[20], parent[20] = 1, 1
		require.NoError(t, l.Send(link.LaneSync, blocksync.Encode(&blocksync.Hello{ID: fake, Head: true})))
		raw, err := newKey(t).Raw()
		require.NoError(t, err)
		forged, err := block.Seal(block.Header{Height: high, Parent: parent, Term: 1, Timestamp: time.Now().UnixNano()},
			nil, nil, ed25519.PrivateKey(raw))
		require.NoError(t, err)
		require.NoError(t, l.Send(link.LaneSync, blocksync.Encode(&blocksync.Have{Irreversible: tn.genesis.ID(), Header: forged.SignedHeader})))
		waitFor(t, 5*time.Second, "the hostile hello and have handled", func() bool {
			for _, p := range full.Peers() {
				if p.PeerHead.Height() == high {
					return true
				}
			}
			return false
		})
		st := full.Status()
		require.Equal(t, "synced", st.Sync)
		require.Less(t, st.BestPeer, uint64(high))
		require.LessOrEqual(t, st.BestPeer, st.Head.Height+CatchUpSlack)
	})
}

// A node whose head stands still while a peer's signed Haves advance is
// reported stalled (here the producer sends it no bodies: link mode off).
func TestANodeThatStopsFollowingIsReportedStalled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		logs := &lockedBuffer{}
		tn.options = map[int][]Option{1: {WithLogger(zerolog.New(logs).Level(zerolog.InfoLevel))}}
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 5*time.Second)
		prod, full := tn.specs[0].n, tn.specs[1].n
		require.NoError(t, prod.SetPeerMode(context.Background(), full.ID(), link.ModeOff))
		waitFor(t, 3*time.Second, "catching_up", func() bool { return full.Status().Sync == "catching_up" })
		waitFor(t, 10*time.Second, "stalled", func() bool { return full.Status().Sync == "stalled" })
		// The operator reads why in the log (issue 19): which peer is
		// ahead, and its head.
		waitFor(t, 2*stallCheckEvery, "a 'not following' log line", func() bool {
			out := logs.String()
			return strings.Contains(out, "not following") && strings.Contains(out, prod.ID().String()) && strings.Contains(out, `"peer_head"`)
		})
		require.NoError(t, prod.SetPeerMode(context.Background(), full.ID(), link.ModeActive))
		waitFor(t, 10*time.Second, "synced again", func() bool { return full.Status().Sync == "synced" })
	})
}

// lockedBuffer is a log sink the test reads while the node writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
