package broadcast

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testTopic is the topic every test engine registers.
const testTopic Topic = 7

var epoch = time.Unix(1_700_000_000, 0)

// testKey derives a deterministic key per index.
func testKey(i int) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0], seed[1] = byte(i), byte(i>>8)
	seed[31] = 0xbc
	return ed25519.NewKeyFromSeed(seed)
}

func idOf(k ed25519.PrivateKey) (id NodeID) {
	copy(id[:], k.Public().(ed25519.PublicKey))
	return id
}

func testConfig(i int) Config {
	c := DefaultConfig()
	c.Key = testKey(i)
	c.DequeSize = 10 // seed 001's CACHE_SIZE
	c.Topics = map[Topic]TopicConfig{testTopic: {MaxSize: 1 << 16}}
	return c
}

type wire struct {
	from, to int
	data     []byte
}

// tnet is the in-test network: engines by index, FIFO delivery of encoded
// frames until quiescent, a drop hook, and everything the engines output.
type tnet struct {
	t          *testing.T
	now        time.Time
	engines    []*Engine
	ids        []NodeID
	index      map[NodeID]int
	queue      []wire
	drop       func(from, to int, f Frame) bool
	deadlines  []time.Time
	delivered  [][]Delivery
	answers    [][]Answer
	expired    [][]WaiterID
	penalties  [][]Penalty
	sentFrames map[Type]int
}

// newNet builds n engines, all linked to each other (unless links says
// otherwise) and all in each other's primary set.
func newNet(t *testing.T, n int, tweak func(i int, c *Config)) *tnet {
	t.Helper()
	net := &tnet{t: t, now: epoch, index: map[NodeID]int{}, sentFrames: map[Type]int{}}
	for i := 0; i < n; i++ {
		c := testConfig(i)
		if tweak != nil {
			tweak(i, &c)
		}
		e, err := New(c, net.now)
		require.NoError(t, err)
		net.engines = append(net.engines, e)
		net.ids = append(net.ids, e.ID())
		net.index[e.ID()] = i
	}
	net.deadlines = make([]time.Time, n)
	net.delivered = make([][]Delivery, n)
	net.answers = make([][]Answer, n)
	net.expired = make([][]WaiterID, n)
	net.penalties = make([][]Penalty, n)
	for i := range net.engines {
		net.engines[i].SetPrimary(net.now, net.ids)
	}
	return net
}

// mesh links every pair.
func (n *tnet) mesh() *tnet {
	for i := range n.engines {
		for j := range n.engines {
			if i != j {
				n.engines[i].AddLink(n.now, n.ids[j])
			}
		}
	}
	return n
}

// link connects i and j both ways.
func (n *tnet) link(i, j int) {
	n.engines[i].AddLink(n.now, n.ids[j])
	n.engines[j].AddLink(n.now, n.ids[i])
}

// flush performs engine i's Ready.
func (n *tnet) flush(i int) {
	e := n.engines[i]
	if !e.HasReady() {
		return
	}
	rd := e.Ready()
	e.Advance()
	n.delivered[i] = append(n.delivered[i], rd.Delivered...)
	n.answers[i] = append(n.answers[i], rd.Answers...)
	n.expired[i] = append(n.expired[i], rd.Expired...)
	n.penalties[i] = append(n.penalties[i], rd.Penalties...)
	n.deadlines[i] = rd.Deadline
	for _, m := range rd.Messages {
		to := n.index[m.To]
		if n.drop != nil && n.drop(i, to, m.Frame) {
			continue
		}
		n.sentFrames[Type(m.Frame.AppendTo(nil)[1])]++
		n.queue = append(n.queue, wire{from: i, to: to, data: m.Frame.AppendTo(nil)})
	}
}

// run delivers frames in FIFO order until none is left.
func (n *tnet) run() {
	for i := range n.engines {
		n.flush(i)
	}
	for len(n.queue) > 0 {
		w := n.queue[0]
		n.queue = n.queue[1:]
		_ = n.engines[w.to].Receive(n.now, n.ids[w.from], w.data)
		n.flush(w.to)
	}
}

// advance moves time forward by d, ticking engines whose deadline passed,
// and runs the network after each tick.
func (n *tnet) advance(d time.Duration) {
	end := n.now.Add(d)
	n.run()
	for {
		next := end
		for _, dl := range n.deadlines {
			if !dl.IsZero() && dl.Before(next) {
				next = dl
			}
		}
		if next.Before(n.now) {
			next = n.now
		}
		n.now = next
		for i, e := range n.engines {
			if !n.deadlines[i].IsZero() && !n.now.Before(n.deadlines[i]) {
				n.deadlines[i] = time.Time{}
				e.Tick(n.now)
				n.flush(i)
			}
		}
		n.run()
		if !n.now.Before(end) {
			return
		}
	}
}

// broadcast sends from node i and runs the network.
func (n *tnet) broadcast(i int, payload string, r Recipients) (Digest, []NodeID) {
	n.t.Helper()
	d, sent, err := n.engines[i].Broadcast(n.now, testTopic, []byte(payload), r)
	require.NoError(n.t, err)
	n.run()
	return d, sent
}

// has reports whether node i caches d.
func (n *tnet) has(i int, d Digest) bool {
	_, ok := n.engines[i].cache.items[d]
	return ok
}

// got reports whether node i had d delivered.
func (n *tnet) got(i int, d Digest) bool {
	for _, dl := range n.delivered[i] {
		if dl.Msg.Digest() == d {
			return true
		}
	}
	return false
}

func (n *tnet) penaltyReasons(i int) []Reason {
	var out []Reason
	for _, p := range n.penalties[i] {
		out = append(out, p.Err.Reason)
	}
	return out
}
