package link_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
)

// mapStore is a BanStore in memory that outlives the hosts using it, as
// node/'s pebble table outlives a restart.
type mapStore struct {
	mu   sync.Mutex
	bans map[link.PeerID]link.Ban
}

func newMapStore() *mapStore { return &mapStore{bans: map[link.PeerID]link.Ban{}} }

func (s *mapStore) LoadBans() ([]link.Ban, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]link.Ban, 0, len(s.bans))
	for _, b := range s.bans {
		out = append(out, b)
	}
	return out, nil
}

func (s *mapStore) SaveBan(b link.Ban) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bans[b.Peer] = b
	return nil
}

func (s *mapStore) DeleteBan(p link.PeerID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.bans, p)
	return nil
}

func (s *mapStore) has(p link.PeerID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.bans[p]
	return ok
}

// A ban outlives the host: a host restarted with the same BanStore refuses
// the peer with the original reason and expiry; a ban that expired while
// the host was down is gone, from the host and from the store.
func TestBansSurviveRestart(t *testing.T) {
	store := newMapStore()
	cfg := testConfig(t, "tcp")
	cfg.KeyFile = filepath.Join(t.TempDir(), "node.key")
	cfg.BanStore = store
	victim := newHost(t, cfg, nil)
	bad, brief := newHostile(t), newHostile(t)
	victim.Ban(bad.h.ID(), time.Hour, "sent spam")
	victim.Ban(brief.h.ID(), 100*time.Millisecond, "brief")
	before := peerInfo(victim, bad.h.ID()).Ban
	require.NotNil(t, before)
	require.True(t, store.has(brief.h.ID()))
	require.NoError(t, victim.Close())
	time.Sleep(150 * time.Millisecond) // the brief ban expires while the host is down

	victim = newHost(t, cfg, nil)
	defer victim.Close()
	after := peerInfo(victim, bad.h.ID()).Ban
	require.NotNil(t, after, "the ban was restored")
	require.Equal(t, "sent spam", after.Reason)
	require.True(t, after.Operator)
	require.True(t, before.Until.Equal(after.Until), "expiry %v, want %v", after.Until, before.Until)
	require.Nil(t, peerInfo(victim, brief.h.ID()).Ban)
	require.False(t, store.has(brief.h.ID()), "an expired ban is deleted on load")

	// The gater refuses the banned peer; the other one gets a link.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bad.h.Connect(ctx, victim.AddrInfo()); err == nil {
		_, err = bad.h.NewStream(ctx, victim.ID(), link.ProtocolID)
		require.Error(t, err, "a restored ban lets no stream through")
	}
	require.NoError(t, brief.h.Connect(ctx, victim.AddrInfo()))
	brief.lanes(t, victim.ID())
	waitFor(t, nil, func() bool { return victim.Link(brief.h.ID()) != nil })

	victim.Unban(bad.h.ID())
	require.False(t, store.has(bad.h.ID()), "Unban deletes the stored ban")
}

// UseBanStore on a running host ends the links of peers the store bans.
func TestUseBanStoreEndsBannedLinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := memPair(t, link.MemConfig{Latency: time.Millisecond}, link.DefaultConnConfig(), nil, nil)
		defer b.Close()
		defer a.Close()
		l, err := a.Connect(context.Background(), peer.AddrInfo{ID: b.ID()})
		require.NoError(t, err)
		store := newMapStore()
		until := time.Now().Add(time.Hour)
		require.NoError(t, store.SaveBan(link.Ban{Peer: b.ID(), Reason: "remembered", Until: until}))
		require.NoError(t, a.UseBanStore(store))
		<-l.Done()
		require.Equal(t, link.ReasonBanned, link.ReasonOf(l.Err()))
		require.Contains(t, l.Err().Error(), "remembered")
		if back := b.Link(a.ID()); back != nil {
			<-back.Done() // else Connect could return b's end of the old link
		}
		_, err = b.Connect(context.Background(), peer.AddrInfo{ID: a.ID()})
		require.Error(t, err)
	})
}

// Penalize charges the score by reason; past the threshold the peer is
// banned with a reason naming the fault, its link ends, and the ban is
// stored. An honest peer of the same host keeps its link.
func TestPenalizeBansPastThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := link.DefaultConnConfig()
		n, err := link.NewMemNetwork(link.MemConfig{Latency: time.Millisecond})
		require.NoError(t, err)
		var hosts []*link.MemHost
		for range 3 {
			h, err := n.NewHost(newPeerID(t), cfg, nil, zerolog.Nop())
			require.NoError(t, err)
			defer h.Close()
			hosts = append(hosts, h)
		}
		victim, bad, good := hosts[0], hosts[1], hosts[2]
		store := newMapStore()
		require.NoError(t, victim.UseBanStore(store))
		lb, err := bad.Connect(context.Background(), peer.AddrInfo{ID: victim.ID()})
		require.NoError(t, err)
		lg, err := good.Connect(context.Background(), peer.AddrInfo{ID: victim.ID()})
		require.NoError(t, err)

		perFault := cfg.Score.ProtocolPenalty
		faults := 0
		for !victim.Penalize(bad.ID(), link.ReasonInvalid, "invalid block 42") {
			faults++
			require.InDelta(t, -perFault*float64(faults), peerInfo(victim, bad.ID()).Score, 1e-6)
			require.Nil(t, lb.Err(), "below the threshold the link stays up")
		}
		require.Equal(t, int(cfg.Score.BanThreshold/perFault), faults)
		<-lb.Done()
		require.Equal(t, link.ReasonBanned, link.ReasonOf(lb.Err()))
		require.Contains(t, lb.Err().Error(), "invalid_message: invalid block 42", "the peer hears why")
		pi := peerInfo(victim, bad.ID())
		require.NotNil(t, pi.Ban)
		require.Equal(t, "score: invalid_message: invalid block 42", pi.Ban.Reason)
		require.False(t, pi.Ban.Operator)
		require.True(t, store.has(bad.ID()))
		require.Nil(t, lg.Err())
		require.NoError(t, lg.Send(link.LaneRouting, []byte("still here")))
	})
}

// A ban while the peer's lane streams are still opening (no link yet)
// leaves a record: the peer's last disconnect names the ban.
func TestBanDuringSetupIsRecorded(t *testing.T) {
	victim := newHost(t, testConfig(t, "tcp"), nil)
	defer victim.Close()
	slow := newHostile(t)
	require.NoError(t, slow.h.Connect(context.Background(), victim.AddrInfo()))
	for l := range byte(2) { // two of the four lanes: the link is in setup
		slow.stream(t, victim.ID(), []byte{'B', 'W', link.WireVersion, l, 0, 0, 0, 0, 0, 0, 0, 1})
	}
	waitFor(t, nil, func() bool { return victim.Libp2p().Network().Connectedness(slow.h.ID()) == network.Connected })
	require.Nil(t, victim.Link(slow.h.ID()))
	victim.Ban(slow.h.ID(), time.Hour, "no thanks")
	waitFor(t, nil, func() bool { return peerInfo(victim, slow.h.ID()).LastDisconnect == link.ReasonBanned })
	pi := peerInfo(victim, slow.h.ID())
	require.Contains(t, pi.LastError, "no thanks")
	require.False(t, pi.DisconnectedAt.IsZero())
	require.False(t, pi.Connected)
}
