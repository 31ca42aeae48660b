package rbcrun

import (
	"crypto/ed25519"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/rbc"
	"github.com/blockwire/blockwire/transport/rbcstore"
)

// memNet is the in-memory twin of the transport's reliable-broadcast
// class: one-way latency on time.AfterFunc (exact under synctest), a send
// hook that sees every copy as it leaves, and peers that are down.
type memNet struct {
	mu      sync.Mutex
	latency time.Duration
	nodes   map[peer.ID]*memMessenger
	down    map[peer.ID]bool
	// hook sees every copy as it leaves; true drops it.
	hook func(from, to peer.ID, payload []byte) bool
}

func newMemNet(latency time.Duration) *memNet {
	return &memNet{latency: latency, nodes: map[peer.ID]*memMessenger{}, down: map[peer.ID]bool{}}
}

func (n *memNet) attach(id peer.ID) *memMessenger {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := &memMessenger{net: n, id: id}
	n.nodes[id] = m
	delete(n.down, id)
	return m
}

// crash detaches id: nothing it sends leaves, nothing reaches it.
func (n *memNet) crash(id peer.ID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.down[id] = true
}

type memMessenger struct {
	net *memNet
	id  peer.ID
	mu  sync.Mutex
	h   func(peer.ID, []byte)
}

func (m *memMessenger) Multicast(to []peer.ID, payload []byte) error {
	n := m.net
	n.mu.Lock()
	if n.down[m.id] || n.nodes[m.id] != m {
		n.mu.Unlock()
		return nil // a crashed sender's messages never leave
	}
	hook, lat := n.hook, n.latency
	n.mu.Unlock()
	b := slices.Clone(payload)
	for _, p := range to {
		if hook != nil && hook(m.id, p, payload) {
			continue
		}
		n.mu.Lock()
		d := n.nodes[p]
		gone := d == nil || n.down[p] || n.down[m.id]
		n.mu.Unlock()
		if !gone {
			time.AfterFunc(lat, func() { d.deliver(m.id, b) })
		}
	}
	return nil
}

func (m *memMessenger) SetHandler(h func(peer.ID, []byte)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.h = h
}

func (m *memMessenger) deliver(from peer.ID, b []byte) {
	m.net.mu.Lock()
	live := m.net.nodes[m.id] == m && !m.net.down[m.id]
	m.net.mu.Unlock()
	m.mu.Lock()
	h := m.h
	m.mu.Unlock()
	if live && h != nil {
		h(from, b)
	}
}

// cluster is n runners on a memNet, each with pebble on a crash-cloneable
// in-memory file system.
type cluster struct {
	t       *testing.T
	net     *memNet
	keys    []ed25519.PrivateKey
	pubs    []ed25519.PublicKey
	ids     []peer.ID
	fs      []*vfs.MemFS
	dbs     []*pebble.DB
	runners []*Runner
	refused []refusal
	mu      sync.Mutex
	cfg     func(*Config)
}

type refusal struct {
	by, from peer.ID
	reason   string
}

var domain = [32]byte{'t', 'e', 's', 't'}

func newCluster(t *testing.T, n int, latency time.Duration) *cluster {
	t.Helper()
	c := &cluster{t: t, net: newMemNet(latency)}
	for i := range n {
		k := ed25519.NewKeyFromSeed(append(make([]byte, ed25519.SeedSize-1), byte(i+1)))
		c.keys = append(c.keys, k)
		c.pubs = append(c.pubs, k.Public().(ed25519.PublicKey))
		id, err := peerOf(k.Public().(ed25519.PublicKey))
		require.NoError(t, err)
		c.ids = append(c.ids, id)
		c.fs = append(c.fs, vfs.NewCrashableMem())
		c.dbs = append(c.dbs, nil)
		c.runners = append(c.runners, nil)
	}
	t.Cleanup(c.stopAll)
	return c
}

func (c *cluster) openDB(i int) *pebble.DB {
	c.t.Helper()
	db, err := pebble.Open("db", &pebble.Options{FS: c.fs[i], MemTableSize: 1 << 20, Logger: quietLogger{}})
	require.NoError(c.t, err)
	return db
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic("pebble fatal: " + format)
}

// start starts (or restarts) node i with the set keys (all by default).
func (c *cluster) start(i int, keys ...ed25519.PublicKey) *Runner {
	c.t.Helper()
	if keys == nil {
		keys = c.pubs
	}
	if c.dbs[i] == nil {
		c.dbs[i] = c.openDB(i)
	}
	cfg := DefaultConfig(domain, c.keys[i])
	cfg.Core.RetransmitBase = 200 * time.Millisecond
	cfg.Core.RetransmitMax = time.Second
	cfg.Logger = zerolog.Nop()
	if c.cfg != nil {
		c.cfg(&cfg)
	}
	db := c.dbs[i]
	r, err := New(cfg, Deps{
		Messenger: c.net.attach(c.ids[i]),
		Store: func(set *rbc.Participants) (rbc.Store, error) {
			return rbcstore.New(db, rbcstore.ScopeOf(set)), nil
		},
		Refused: func(from peer.ID, reason string, _ error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.refused = append(c.refused, refusal{c.ids[i], from, reason})
		},
	}, keys)
	require.NoError(c.t, err)
	c.runners[i] = r
	return r
}

func (c *cluster) startAll() {
	for i := range c.runners {
		c.start(i)
	}
}

// crash kills node i as a power cut would: its runner stops, its
// unsynced writes are lost (the file system is crash-cloned), and its
// unsent messages never leave.
func (c *cluster) crash(i int) {
	c.net.crash(c.ids[i])
	c.runners[i].Stop()
	crashed := c.fs[i].CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	require.NoError(c.t, c.dbs[i].Close())
	c.fs[i], c.dbs[i], c.runners[i] = crashed, nil, nil
}

func (c *cluster) stopAll() {
	for i, r := range c.runners {
		if r != nil {
			r.Stop()
		}
		if c.dbs[i] != nil {
			_ = c.dbs[i].Close()
			c.dbs[i] = nil
		}
	}
}

// inject delivers payload to node i as if from peer from.
func (c *cluster) inject(i int, from peer.ID, payload []byte) {
	c.net.mu.Lock()
	m := c.net.nodes[c.ids[i]]
	c.net.mu.Unlock()
	m.deliver(from, payload)
}

// originEcho is origin's signed echo (its SEND) of payload in inst.
func (c *cluster) originEcho(set *rbc.Participants, inst rbc.Instance, payload []byte) []byte {
	d := rbc.DigestOf(payload)
	m := rbc.Message{Kind: rbc.KindEcho, Inst: inst, Signer: inst.Origin, Digest: d, Payload: payload,
		Sig: rbc.KeySigner{Key: c.keys[inst.Origin]}.Sign(rbc.SignedBytes(false, domain, set, inst, d))}
	return encode(tagOf(set), m)
}

func (c *cluster) refusals() []refusal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.refused)
}

// durable returns the records of node i's set tag that survive a crash
// right now (a crash clone that keeps no unsynced data).
func (c *cluster) durable(i int, tag Tag) []rbc.Record {
	c.t.Helper()
	clone := c.fs[i].CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	db, err := pebble.Open("db", &pebble.Options{FS: clone, MemTableSize: 1 << 20, Logger: quietLogger{}, ReadOnly: true})
	require.NoError(c.t, err)
	defer db.Close()
	recs, err := rbcstore.New(db, rbcstore.Scope(tag)).Load()
	require.NoError(c.t, err)
	return recs
}
