package sim

import (
	"slices"
	"time"
)

// propagate sends a fully serialized message across the wire: latency plus
// jitter, a retransmission delay when the seeded draw says it was lost, a
// stall of the control lane when it is picked for reordering, and a
// duplicate that wastes wire time. Each lane stays FIFO and exactly-once, as
// the streams of the link layer are.
func (n *network) propagate(l *link, p *pipe, m *wireMsg) {
	if m.payload == nil {
		return // a duplicate's ghost: it only took wire time
	}
	rng := n.e.rng
	delay := n.cfg.Latency
	if n.cfg.Jitter > 0 {
		delay += time.Duration(rng.NormFloat64() * float64(n.cfg.Jitter))
		delay = max(delay, 0)
	}
	if n.cfg.Loss > 0 && rng.Float64() < n.cfg.Loss {
		// A reliable stream recovers a lost segment after about one
		// retransmission timeout; everything behind it on the lane waits.
		delay += max(3*n.cfg.Latency, 20*time.Millisecond)
	}
	if m.lane == laneControl && n.cfg.Reorder > 0 && rng.Float64() < n.cfg.Reorder {
		// Lanes are streams, so reordering happens between lanes only: the
		// control lane stalls and block bodies sent later overtake it.
		delay += time.Duration(rng.Int64N(int64(4*n.cfg.Latency + time.Millisecond)))
	}
	arrive := max(n.e.now+delay, p.lastArrive[m.lane])
	p.lastArrive[m.lane] = arrive
	if n.cfg.Dup > 0 && rng.Float64() < n.cfg.Dup {
		// A duplicated segment costs the wire its size again; the stream
		// below the lane discards it, so it is never delivered twice.
		p.queue[m.lane] = append(p.queue[m.lane], &wireMsg{lane: m.lane, size: m.size})
	}
	gen := l.gen
	n.e.at(arrive, evDeliver, int32(p.from), int32(p.to), uint64(m.size)<<8|uint64(m.lane), func() {
		if l.gen == gen && l.up {
			n.arrive(p, m)
		}
	})
}

// arrive hands a message to its receiver unless a one-way cut holds the
// direction; held messages keep their order and flow when the cut heals.
func (n *network) arrive(p *pipe, m *wireMsg) {
	if len(p.held) > 0 || n.held(p.from, p.to) {
		p.held = append(p.held, m)
		return
	}
	n.nodes[p.to].deliver(p.from, m)
}

// held reports whether a one-way cut in force stops messages from a to b.
func (n *network) held(a, b int) bool {
	for _, f := range n.holds {
		if slices.Contains(f.Groups[0], a) && slices.Contains(f.Groups[1], b) {
			return true
		}
	}
	return false
}

// allowed reports whether a link between a and b may be up.
func (n *network) allowed(a, b int) bool {
	return n.up[a] && n.up[b] && !n.cut(a, b) && !n.banned(a, b)
}

// cut reports whether a partition in force separates a and b.
func (n *network) cut(a, b int) bool {
	for _, f := range n.cuts {
		ga, gb := -1, -1
		for i, g := range f.Groups {
			if slices.Contains(g, a) {
				ga = i
			}
			if slices.Contains(g, b) {
				gb = i
			}
		}
		if ga >= 0 && gb >= 0 && ga != gb {
			return true
		}
	}
	return false
}

// reconcile brings every link in line with the node and partition state:
// links that should be down are closed at once (both ends see the
// disconnect, messages in flight are lost); links that may be up connect
// after one round trip, the handshake.
func (n *network) reconcile() {
	for _, k := range n.sortedLinks() {
		l := n.links[k]
		want := n.allowed(l.a, l.b)
		switch {
		case l.up && !want:
			n.close(l)
		case !l.up && want:
			n.dial(l)
		}
	}
	n.flushHeld()
}

func (n *network) close(l *link) {
	l.up = false
	l.gen++
	for _, p := range l.pipe {
		*p = pipe{from: p.from, to: p.to}
	}
	if n.up[l.a] {
		n.nodes[l.a].disconnected(l.b)
	}
	if n.up[l.b] {
		n.nodes[l.b].disconnected(l.a)
	}
}

// dial connects a link after a handshake round trip, if it should still be
// up by then. gen guards against a close and a second dial in between.
func (n *network) dial(l *link) {
	l.gen++
	gen := l.gen
	n.e.after(2*n.cfg.Latency, evConnect, int32(l.a), int32(l.b), 0, func() {
		if l.gen != gen || l.up || !n.allowed(l.a, l.b) {
			return
		}
		l.up = true
		n.nodes[l.a].connected(l.b)
		n.nodes[l.b].connected(l.a)
	})
}

// flushHeld delivers, in order, what one-way cuts that have healed held.
// It delivers at once rather than through events, so that no message that
// arrives at the very instant of the heal can overtake the held ones.
func (n *network) flushHeld() {
	for _, k := range n.sortedLinks() {
		l := n.links[k]
		for _, p := range l.pipe {
			if len(p.held) == 0 || n.held(p.from, p.to) {
				continue
			}
			held := p.held
			p.held = nil
			gen := l.gen
			for _, m := range held {
				if l.gen != gen || !l.up {
					break
				}
				n.e.mix(uint64(m.size)<<8 | uint64(m.lane))
				n.nodes[p.to].deliver(p.from, m)
			}
		}
	}
}

func (n *network) sortedLinks() [][2]int {
	keys := make([][2]int, 0, len(n.links))
	for k := range n.links {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [2]int) int {
		if x[0] != y[0] {
			return x[0] - y[0]
		}
		return x[1] - y[1]
	})
	return keys
}
