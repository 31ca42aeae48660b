package pex

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// network is an in-test network of books (etcd raft's network idea): dials
// succeed when the target exists and is up, links are symmetric, messages
// are delivered in FIFO order until quiescent, on virtual time.
type network struct {
	t     *testing.T
	now   time.Time
	books map[PeerID]*Book
	ip    map[PeerID]string
	down  map[PeerID]bool
	// links[a][b] is set on both ends; out[a][b] when a dialled b.
	links map[PeerID]map[PeerID]bool
	out   map[PeerID]map[PeerID]bool
	queue []wireMsg
	// penalties by peer
	penalties map[PeerID][]Penalty
	// hook may replace a message's handling (hostile peers); nil: deliver.
	hostile map[PeerID]func(n *network, from PeerID, m Msg)
}

type wireMsg struct {
	from, to PeerID
	msg      []byte
}

func testConfig(self PeerID, seed uint64) Config {
	cfg := DefaultConfig()
	cfg.Self = self
	cfg.Rand = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cfg.TargetPeers, cfg.MaxPeers = 4, 6
	cfg.MaxPerGroup = 0 // one lab subnet
	return cfg
}

func nodeID(i int) PeerID       { return PeerID(fmt.Sprintf("node-%02d", i)) }
func nodeIP(i int) string       { return fmt.Sprintf("10.0.%d.%d", i/200, 1+i%200) }
func nodeAddr(ip string) string { return "/ip4/" + ip + "/tcp/9000" }

func newNetwork(t *testing.T) *network {
	return &network{t: t, now: time.Unix(1_000_000, 0), books: map[PeerID]*Book{}, ip: map[PeerID]string{},
		down: map[PeerID]bool{}, links: map[PeerID]map[PeerID]bool{}, out: map[PeerID]map[PeerID]bool{},
		penalties: map[PeerID][]Penalty{}, hostile: map[PeerID]func(*network, PeerID, Msg){}}
}

// add creates node i with cfg adjustments and seeds.
func (n *network) add(i int, tweak func(*Config), seeds ...int) *Book {
	n.t.Helper()
	id := nodeID(i)
	cfg := testConfig(id, uint64(i)+1)
	if tweak != nil {
		tweak(&cfg)
	}
	n.ip[id] = nodeIP(i)
	b, err := New(cfg, []string{nodeAddr(n.ip[id])}, n.now)
	require.NoError(n.t, err)
	for _, s := range seeds {
		require.NoError(n.t, b.AddConfigured(nodeID(s), []string{nodeAddr(nodeIP(s))}, KindSeed, n.now))
	}
	n.books[id] = b
	n.links[id], n.out[id] = map[PeerID]bool{}, map[PeerID]bool{}
	b.Tick(n.now) // the driver's first input
	return b
}

func (n *network) connect(a, b PeerID) bool {
	if a == b || n.down[b] || n.books[b] == nil && n.hostile[b] == nil || n.links[a][b] {
		return n.links[a][b]
	}
	n.links[a][b], n.links[b][a], n.out[a][b] = true, true, true
	n.books[a].Connected(n.now, b, false, false, n.ip[b])
	if bb := n.books[b]; bb != nil {
		bb.Connected(n.now, a, true, false, n.ip[a])
	}
	return true
}

func (n *network) disconnect(a, b PeerID, fullFromA bool) {
	if !n.links[a][b] {
		return
	}
	delete(n.links[a], b)
	delete(n.links[b], a)
	delete(n.out[a], b)
	delete(n.out[b], a)
	n.books[a].Disconnected(n.now, b, false)
	if bb := n.books[b]; bb != nil {
		bb.Disconnected(n.now, a, fullFromA)
	}
}

// stabilize performs every book's Ready and delivers messages until
// nothing is left.
func (n *network) stabilize() {
	for range 10000 {
		progress := false
		for _, id := range sortedIDs(n.books) {
			b := n.books[id]
			if !b.HasReady() {
				continue
			}
			progress = true
			rd := b.Ready()
			b.Advance()
			for _, m := range rd.Messages {
				n.queue = append(n.queue, wireMsg{from: id, to: m.To, msg: m.Msg})
			}
			for _, c := range rd.Closes {
				n.disconnect(id, c.Peer, c.Reason == CloseFull)
			}
			for _, d := range rd.Dials {
				errText := ""
				if !n.connect(id, d.ID) {
					errText = "connection refused"
				}
				b.DialDone(n.now, d.ID, errText)
			}
			for _, p := range rd.Probes {
				errText := "connection refused"
				if n.books[p.ID] != nil && !n.down[p.ID] && slices.Contains(p.Addrs, nodeAddr(n.ip[p.ID])) {
					errText = ""
				}
				b.ProbeDone(n.now, p.ID, errText)
			}
			n.penalties[id] = append(n.penalties[id], rd.Penalties...)
		}
		for len(n.queue) > 0 {
			progress = true
			m := n.queue[0]
			n.queue = n.queue[1:]
			if !n.links[m.from][m.to] {
				continue
			}
			if h := n.hostile[m.to]; h != nil {
				dm, err := Decode(m.msg, false)
				require.NoError(n.t, err)
				h(n, m.from, dm)
				continue
			}
			if b := n.books[m.to]; b != nil {
				_ = b.Receive(n.now, m.from, m.msg)
			}
		}
		if !progress {
			return
		}
	}
	n.t.Fatal("network did not stabilize")
}

// run advances virtual time to each next deadline until d has passed.
func (n *network) run(d time.Duration) {
	end := n.now.Add(d)
	n.stabilize()
	for n.now.Before(end) {
		next := end
		for _, b := range n.books {
			if dl := b.Ready().Deadline; dl.After(n.now) && dl.Before(next) {
				next = dl
			}
		}
		n.now = next
		for _, id := range sortedIDs(n.books) {
			n.books[id].Tick(n.now)
		}
		n.stabilize()
	}
}

func (n *network) degree(id PeerID) int { return len(n.links[id]) }

// stop takes a node out: its links end and it answers nothing more.
func (n *network) stop(id PeerID) {
	for q := range n.links[id] {
		n.disconnect(q, id, false)
	}
	n.down[id] = true
	delete(n.books, id)
}
