package route

import (
	"crypto/ed25519"
	"encoding/binary"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tnet is the package's in-test network (etcd raft's network idea): real
// Routers, links with a fixed one-way latency carrying encoded frames in
// order, silent cuts and clean closes, and one virtual clock. It runs
// events strictly in time order (ties by scheduling order), so a test is
// a deterministic transcript.
type tnet struct {
	t      testing.TB
	now    time.Time
	cfg    func(i int, c *Config)
	keys   []ed25519.PrivateKey
	ids    []NodeID
	nodes  []*Router
	dead   []bool
	lat    map[[2]int]time.Duration
	silent map[[2]int]bool
	queue  []frame
	seq    uint64
	// outputs per node
	delivered [][]Delivery
	replies   [][]ReplyDelivery
	failed    [][]*SendError
	dropped   [][]Drop
	penalties [][]Penalty
	sentOn    map[[2]int]int // data frames per directed link
	boots     int
	// hook, when set, may rewrite or drop (return nil) a frame in flight.
	hook func(from, to int, b []byte) []byte
}

type frame struct {
	at       time.Time
	seq      uint64
	from, to int
	b        []byte
}

func key(a, b int) [2]int {
	if a > b {
		a, b = b, a
	}
	return [2]int{a, b}
}

func testKey(i int) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	binary.BigEndian.PutUint64(seed, uint64(i)+1)
	return ed25519.NewKeyFromSeed(seed)
}

func newNet(t testing.TB, n int, cfg func(i int, c *Config)) *tnet {
	t.Helper()
	nt := &tnet{t: t, now: time.Unix(1_000_000, 0), cfg: cfg, lat: map[[2]int]time.Duration{},
		silent: map[[2]int]bool{}, sentOn: map[[2]int]int{}}
	for i := 0; i < n; i++ {
		nt.keys = append(nt.keys, testKey(i))
		var id NodeID
		copy(id[:], nt.keys[i].Public().(ed25519.PublicKey))
		nt.ids = append(nt.ids, id)
	}
	nt.nodes = make([]*Router, n)
	nt.dead = make([]bool, n)
	nt.delivered = make([][]Delivery, n)
	nt.replies = make([][]ReplyDelivery, n)
	nt.failed = make([][]*SendError, n)
	nt.dropped = make([][]Drop, n)
	nt.penalties = make([][]Penalty, n)
	for i := 0; i < n; i++ {
		nt.boot(i)
	}
	return nt
}

// newLine is newNet with nodes 0 - 1 - … - n-1 linked at 5 ms and run
// for a second: every route of a short line has converged by then.
func newLine(t testing.TB, n int, cfg func(i int, c *Config)) *tnet {
	t.Helper()
	nt := newNet(t, n, cfg)
	for i := 0; i+1 < n; i++ {
		nt.connect(i, i+1, 5*time.Millisecond)
	}
	nt.run(time.Second)
	return nt
}

func (nt *tnet) boot(i int) {
	nt.t.Helper()
	c := DefaultConfig()
	c.Key = nt.keys[i]
	nt.boots++
	c.RouterID = uint64(nt.boots)*0x9e3779b97f4a7c15 + uint64(i)
	c.Routable = true
	if nt.cfg != nil {
		nt.cfg(i, &c)
	}
	r, err := New(c, nt.now)
	require.NoError(nt.t, err)
	nt.nodes[i] = r
	nt.dead[i] = false
}

func (nt *tnet) index(id NodeID) int {
	for i, x := range nt.ids {
		if x == id {
			return i
		}
	}
	nt.t.Fatalf("unknown id %s", id)
	return -1
}

// connect brings a link up at both ends.
func (nt *tnet) connect(a, b int, lat time.Duration) {
	nt.lat[key(a, b)] = lat
	delete(nt.silent, key(a, b))
	nt.nodes[a].AddLink(nt.now, nt.ids[b])
	nt.flush(a)
	nt.nodes[b].AddLink(nt.now, nt.ids[a])
	nt.flush(b)
}

// send has node from send payload to node to, puts the message on the
// wire and runs the network for wait; it returns the message's seq.
func (nt *tnet) send(from, to int, class Class, payload []byte, wait time.Duration) uint64 {
	nt.t.Helper()
	seq, err := nt.nodes[from].Send(nt.now, nt.ids[to], class, payload)
	require.NoError(nt.t, err)
	nt.flush(from)
	nt.run(wait)
	return seq
}

// cut makes a link silently lose everything (neither end is told).
func (nt *tnet) cut(a, b int) { nt.silent[key(a, b)] = true }

// close closes a link cleanly at both ends.
func (nt *tnet) close(a, b int) {
	delete(nt.lat, key(a, b))
	nt.nodes[a].RemoveLink(nt.now, nt.ids[b])
	nt.flush(a)
	nt.nodes[b].RemoveLink(nt.now, nt.ids[a])
	nt.flush(b)
}

// crash stops node i silently.
func (nt *tnet) crash(i int) { nt.dead[i] = true }

// restart boots node i afresh (new RouterID) and reconnects its links.
func (nt *tnet) restart(i int) {
	nt.boot(i)
	for k, lat := range nt.lat {
		if k[0] == i || k[1] == i {
			o := k[0] + k[1] - i
			nt.connect(i, o, lat)
		}
	}
}

func (nt *tnet) flush(i int) {
	r := nt.nodes[i]
	if !r.HasReady() {
		return
	}
	rd := r.Ready()
	nt.delivered[i] = append(nt.delivered[i], rd.Delivered...)
	nt.replies[i] = append(nt.replies[i], rd.Replies...)
	nt.failed[i] = append(nt.failed[i], rd.Failed...)
	nt.dropped[i] = append(nt.dropped[i], rd.Dropped...)
	nt.penalties[i] = append(nt.penalties[i], rd.Penalties...)
	for _, m := range rd.Messages {
		to := nt.index(m.To)
		lat, ok := nt.lat[key(i, to)]
		if !ok {
			continue
		}
		if _, isData := m.Msg.(*Data); isData {
			nt.sentOn[[2]int{i, to}]++
		}
		nt.seq++
		nt.queue = append(nt.queue, frame{at: nt.now.Add(lat), seq: nt.seq, from: i, to: to, b: m.Msg.AppendTo(nil)})
	}
	r.Advance()
}

// step runs the next event (a frame or a timer) at or before until.
func (nt *tnet) step(until time.Time) bool {
	sort.SliceStable(nt.queue, func(a, b int) bool {
		if !nt.queue[a].at.Equal(nt.queue[b].at) {
			return nt.queue[a].at.Before(nt.queue[b].at)
		}
		return nt.queue[a].seq < nt.queue[b].seq
	})
	next, node := time.Time{}, -1
	if len(nt.queue) > 0 {
		next = nt.queue[0].at
	}
	for i, r := range nt.nodes {
		if nt.dead[i] {
			continue
		}
		if d := r.deadline(); next.IsZero() || d.Before(next) {
			next, node = d, i
		}
	}
	if next.IsZero() || next.After(until) {
		return false
	}
	nt.now = next
	if node >= 0 {
		nt.nodes[node].Tick(nt.now)
		nt.flush(node)
		return true
	}
	f := nt.queue[0]
	nt.queue = nt.queue[1:]
	if nt.dead[f.to] || nt.dead[f.from] || nt.silent[key(f.from, f.to)] {
		return true
	}
	if _, ok := nt.lat[key(f.from, f.to)]; !ok {
		return true
	}
	b := f.b
	if nt.hook != nil {
		if b = nt.hook(f.from, f.to, b); b == nil {
			return true
		}
	}
	_ = nt.nodes[f.to].Receive(nt.now, nt.ids[f.from], b)
	nt.flush(f.to)
	return true
}

// run advances the network by d.
func (nt *tnet) run(d time.Duration) {
	until := nt.now.Add(d)
	for nt.step(until) {
	}
	nt.now = until
}

// nextHop is node i's next hop index towards node dest, or -1.
func (nt *tnet) nextHop(i, dest int) int {
	id, ok := nt.nodes[i].NextHop(nt.ids[dest])
	if !ok {
		return -1
	}
	return nt.index(id)
}

// path follows next hops from i to dest; it fails the test on a loop.
func (nt *tnet) path(i, dest int) []int {
	nt.t.Helper()
	p := []int{i}
	for i != dest {
		i = nt.nextHop(i, dest)
		if i < 0 {
			return nil
		}
		for _, v := range p {
			require.NotEqual(nt.t, v, i, "forwarding loop %v -> %d", p, i)
		}
		p = append(p, i)
	}
	return p
}

func TestNetworkHarnessIsDeterministic(t *testing.T) {
	trace := func() []int {
		nt := newNet(t, 4, nil)
		nt.connect(0, 1, 5*time.Millisecond)
		nt.connect(1, 2, 5*time.Millisecond)
		nt.connect(2, 3, 5*time.Millisecond)
		nt.run(2 * time.Second)
		return nt.path(0, 3)
	}
	require.Equal(t, trace(), trace())
}
