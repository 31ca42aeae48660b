package broadcast

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// modelCache is the naive oracle: per-peer lists of digests, nothing else.
// Items, refcounts and byte totals are recomputed from the lists at every
// check, and eviction follows the documented policy written as plainly as
// possible.
type modelCache struct {
	dequeSize, peerBytes, cacheBytes int
	primary                          map[NodeID]bool
	lists                            map[NodeID][]*Message // newest first
}

func (m *modelCache) sizeOf(p NodeID) int {
	s := 0
	for _, x := range m.lists[p] {
		s += x.Size()
	}
	return s
}

func (m *modelCache) items() map[Digest]int {
	out := map[Digest]int{}
	for _, l := range m.lists {
		for _, x := range l {
			out[x.Digest()] = x.Size()
		}
	}
	return out
}

func (m *modelCache) total() int {
	s := 0
	for _, v := range m.items() {
		s += v
	}
	return s
}

func (m *modelCache) insert(p NodeID, x *Message) insertResult {
	if !m.primary[p] {
		return ineligible
	}
	if x.Size() > m.peerBytes {
		return tooLarge
	}
	l := m.lists[p]
	for i, y := range l {
		if y.Digest() == x.Digest() {
			m.lists[p] = append([]*Message{y}, append(l[:i:i], l[i+1:]...)...)
			return duplicate
		}
	}
	m.lists[p] = append([]*Message{x}, l...)
	for len(m.lists[p]) > m.dequeSize || m.sizeOf(p) > m.peerBytes {
		m.lists[p] = m.lists[p][:len(m.lists[p])-1]
	}
	for m.total() > m.cacheBytes {
		var victim NodeID
		best := -1
		for q, l := range m.lists {
			if len(l) == 0 {
				continue
			}
			if s := m.sizeOf(q); s > best || s == best && q.Less(victim) {
				victim, best = q, s
			}
		}
		m.lists[victim] = m.lists[victim][:len(m.lists[victim])-1]
	}
	return inserted
}

func (m *modelCache) setPrimary(ps []NodeID) {
	m.primary = map[NodeID]bool{}
	for _, p := range ps {
		m.primary[p] = true
	}
	for p := range m.lists {
		if !m.primary[p] {
			delete(m.lists, p)
		}
	}
}

// TestCacheAgainstModel drives random inserts and peer-set changes
// against the naive model and checks, after every step, the contents of
// every deque, the refcounts, the byte totals and every budget.
func TestCacheAgainstModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		peers := []NodeID{idOf(testKey(1)), idOf(testKey(2)), idOf(testKey(3)), idOf(testKey(4))}
		msgs := make([]*Message, 12)
		for i := range msgs {
			msgs[i] = testMsg(uint64(i), rapid.IntRange(0, 300).Draw(rt, "size"))
		}
		unit := testMsg(0, 0).Size()
		dq := rapid.IntRange(1, 6).Draw(rt, "deque")
		pb := rapid.IntRange(unit, 6*unit+600).Draw(rt, "peerBytes")
		cb := rapid.IntRange(pb, 3*pb).Draw(rt, "cacheBytes")
		c := newCache(dq, pb, cb)
		m := &modelCache{dequeSize: dq, peerBytes: pb, cacheBytes: cb, primary: map[NodeID]bool{}, lists: map[NodeID][]*Message{}}
		all := append([]NodeID(nil), peers...)
		c.setPrimary(all)
		m.setPrimary(all)
		steps := rapid.IntRange(1, 200).Draw(rt, "steps")
		for s := 0; s < steps; s++ {
			if rapid.IntRange(0, 9).Draw(rt, "op") == 0 {
				var set []NodeID
				for _, p := range peers {
					if rapid.Bool().Draw(rt, "in") {
						set = append(set, p)
					}
				}
				c.setPrimary(set)
				m.setPrimary(set)
			} else {
				p := peers[rapid.IntRange(0, len(peers)-1).Draw(rt, "peer")]
				x := msgs[rapid.IntRange(0, len(msgs)-1).Draw(rt, "msg")]
				require.Equal(rt, m.insert(p, x), c.insert(p, x))
			}
			require.NoError(rt, c.check())
			require.LessOrEqual(rt, c.bytes, cb)
			require.Equal(rt, m.total(), c.bytes)
			items := m.items()
			require.Len(rt, c.items, len(items))
			for p, l := range m.lists {
				var want []Digest
				for _, x := range l {
					want = append(want, x.Digest())
				}
				var got []Digest
				if q := c.deques[p]; q != nil {
					got = slices.Clone(q.digests)
				}
				require.Equal(rt, want, got, "deque of %s", p)
			}
		}
	})
}
