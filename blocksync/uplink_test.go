package blocksync

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// newStar connects hub to each leaf; the hub shares an uplink with max
// slots.
func newStar(t *testing.T, m *maker, maxBodies int, hub string, leaves ...string) *network {
	t.Helper()
	net := newNetwork(t, DefaultConfig(), m.genesis(), append([]string{hub}, leaves...)...)
	net.nodes[hub].up = NewUplink(maxBodies, 150*time.Millisecond)
	for _, l := range leaves {
		net.connect(hub, l)
	}
	net.stabilize()
	return net
}

// bodiesQueued counts the Block messages from name still in flight.
func (n *network) bodiesQueued(from string) int {
	k := 0
	for _, e := range n.msgs {
		if _, ok := e.msg.(*Block); ok && e.from == from {
			k++
		}
	}
	return k
}

// A node pushes a big body to its children one after another (issue 19):
// each next child's push starts when the previous child acknowledged the
// body, so at most one big body is on its uplink at a time, and every
// child still receives it once.
func TestUplinkSendsBigBodiesOneAtATime(t *testing.T) {
	m := &maker{bodySize: BigBody + 1000}
	net := newStar(t, m, 1, "hub", "a", "b", "c", "d")
	for range 3 {
		net.produce(m, "hub", 1, 0)
		require.Equal(t, 1, net.bodiesQueued("hub"), "one big body in flight")
		for net.deliverOne() {
			require.LessOrEqual(t, net.bodiesQueued("hub"), 1)
		}
	}
	net.requireHealthy()
	net.requireHeadsAgree()
	for _, l := range []string{"a", "b", "c", "d"} {
		require.Equal(t, 3, net.nodes[l].bodies, l)
	}
}

// Small bodies bypass the uplink, and with two slots two big bodies go at
// once.
func TestUplinkSlotsAndSmallBodies(t *testing.T) {
	m := &maker{bodySize: 1000}
	net := newStar(t, m, 1, "hub", "a", "b", "c")
	net.produce(m, "hub", 1, 0)
	require.Equal(t, 3, net.bodiesQueued("hub"), "small bodies go at once")
	net.stabilize()

	m2 := &maker{bodySize: BigBody}
	net2 := newStar(t, m2, 2, "hub", "a", "b", "c")
	net2.produce(m2, "hub", 1, 0)
	require.Equal(t, 2, net2.bodiesQueued("hub"))
	net2.stabilize()
	net2.requireHeadsAgree()
}

// A child that never acknowledges holds its slot only for Hold: the next
// child's push starts at the hub's next tick after that, and a closed Conn
// frees its slot at once.
func TestUplinkSlotLapsesWithoutAck(t *testing.T) {
	m := &maker{bodySize: BigBody}
	net := newStar(t, m, 1, "hub", "a", "b")
	net.hold = func(e envelope) bool { _, ack := e.msg.(*Ack); return ack && e.to == "hub" }
	net.produce(m, "hub", 1, 0)
	net.stabilize()
	require.Equal(t, 1, net.nodes["a"].bodies+net.nodes["b"].bodies, "the second waits for the ack")
	net.tick(149 * time.Millisecond)
	net.stabilize()
	require.Equal(t, 1, net.nodes["a"].bodies+net.nodes["b"].bodies)
	net.tick(time.Millisecond)
	net.stabilize()
	require.Equal(t, 2, net.nodes["a"].bodies+net.nodes["b"].bodies, "the slot lapsed")
	net.hold = nil
	net.stabilize()

	net.produce(m, "hub", 1, 0)
	require.Equal(t, 1, net.bodiesQueued("hub"))
	var first string
	for _, e := range net.msgs {
		if _, ok := e.msg.(*Block); ok && e.from == "hub" {
			first = e.to
		}
	}
	require.NotEmpty(t, first)
	require.NoError(t, net.nodes["hub"].conns[first].Close(net.now, "test"))
	net.drain("hub")
	require.Equal(t, 2, net.bodiesQueued("hub"), "closing the slot holder lets the other go")
}
