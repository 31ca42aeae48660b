package forkdb_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

// model is the naive reference: it keeps every header ever accepted and
// recomputes everything by brute force from parent links.
type model struct {
	hdrs    map[block.ID]block.SignedHeader
	root    block.ID
	pin     *block.ID
	invalid map[block.ID]bool
}

func newModel(g block.SignedHeader) *model {
	return &model{hdrs: map[block.ID]block.SignedHeader{g.ID(): g}, root: g.ID(), invalid: map[block.ID]bool{}}
}

// descends reports whether id descends from anc (or is anc), following
// recorded parents.
func (m *model) descends(id, anc block.ID) bool {
	for {
		if id == anc {
			return true
		}
		h, ok := m.hdrs[id]
		if !ok || h.Height <= anc.Height() {
			return false
		}
		id = h.Parent
	}
}

func (m *model) alive(id block.ID) bool {
	_, known := m.hdrs[id]
	return known && !m.invalid[id] && m.descends(id, m.root)
}

func (m *model) aliveIDs() []block.ID {
	var out []block.ID
	for id := range m.hdrs {
		if m.alive(id) {
			out = append(out, id)
		}
	}
	return out
}

func betterHdr(a, b block.SignedHeader) bool {
	if a.Term != b.Term {
		return a.Term > b.Term
	}
	if a.Height != b.Height {
		return a.Height > b.Height
	}
	return a.ID().Compare(b.ID()) > 0
}

func (m *model) head() block.ID {
	best := m.root
	if m.pin != nil {
		best = *m.pin
	}
	for _, id := range m.aliveIDs() {
		if m.pin != nil && !m.descends(id, *m.pin) {
			continue
		}
		if betterHdr(m.hdrs[id], m.hdrs[best]) {
			best = id
		}
	}
	return best
}

func (m *model) insert(h block.SignedHeader) bool {
	id := h.ID()
	if m.alive(id) || h.Height <= m.root.Height() || m.invalid[id] {
		return false
	}
	if m.invalid[h.Parent] {
		m.invalid[id] = true
		return false
	}
	p, ok := m.hdrs[h.Parent]
	if !ok || !m.alive(h.Parent) || h.Height != p.Height+1 || h.Term < p.Term {
		return false
	}
	m.hdrs[id] = h
	return true
}

func (m *model) setIrreversible(id block.ID) {
	m.root = id
	for bad := range m.invalid {
		if bad.Height() <= id.Height() {
			delete(m.invalid, bad)
		}
	}
	if m.pin != nil && (m.pin.Height() <= id.Height() || !m.alive(*m.pin)) {
		m.pin = nil
	}
}

func (m *model) markInvalid(id block.ID) {
	for _, a := range m.aliveIDs() {
		if m.descends(a, id) {
			m.invalid[a] = true
		}
	}
	if m.pin != nil && !m.alive(*m.pin) {
		m.pin = nil
	}
}

func (m *model) commonAncestor(a, b block.ID) block.ID {
	for !m.descends(b, a) {
		a = m.hdrs[a].Parent
	}
	return a
}

// TestTreeMatchesNaiveModel drives random insert / set-irreversible / pin /
// unpin / mark-invalid sequences and compares head, root, size, best-chain
// membership and common ancestors with the model after every step.
func TestTreeMatchesNaiveModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := genesis()
		tree, m := forkdb.New(g), newModel(g)
		var c chainBuilder
		pick := func(label string) block.ID {
			alive := m.aliveIDs()
			sortIDs(alive)
			return alive[rapid.IntRange(0, len(alive)-1).Draw(rt, label)]
		}
		for step := range rapid.IntRange(1, 80).Draw(rt, "steps") {
			switch op := rapid.IntRange(0, 9).Draw(rt, "op"); {
			case op < 6: // insert a child of a live block, sometimes with a new term
				parent := m.hdrs[pick("parent")]
				h := c.child(parent, parent.Term+uint64(rapid.IntRange(0, 1).Draw(rt, "termBump")))
				require.Equal(rt, m.insert(h), tree.Insert(h) == nil, "step %d insert", step)
			case op == 6:
				id := pick("irreversible")
				if id.Height() >= m.root.Height() {
					_, err := tree.SetIrreversible(id)
					require.NoError(rt, err)
					m.setIrreversible(id)
				}
			case op == 7:
				id := pick("pin")
				require.NoError(rt, tree.Pin(id))
				m.pin = &id
			case op == 8:
				tree.Unpin()
				m.pin = nil
			default:
				if id := pick("invalid"); id != m.root {
					_, err := tree.MarkInvalid(id)
					require.NoError(rt, err)
					m.markInvalid(id)
				}
			}
			require.Equal(rt, m.root, tree.RootID(), "step %d root", step)
			require.Equal(rt, m.head(), tree.HeadID(), "step %d head", step)
			alive := m.aliveIDs()
			require.Equal(rt, len(alive), tree.Len(), "step %d size", step)
			for _, id := range alive {
				require.Equal(rt, m.descends(m.head(), id), tree.InBest(id), "step %d in-best %s", step, id)
			}
			a, b := pick("a"), pick("b")
			ca, ok := tree.CommonAncestor(a, b)
			require.True(rt, ok)
			require.Equal(rt, m.commonAncestor(a, b), ca, "step %d common ancestor", step)
		}
	})
}

func sortIDs(ids []block.ID) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j].Compare(ids[j-1]) < 0; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// TestBestAtMatchesTheModel checks the best-chain index against a walk of
// the model's head back to its root, after random operations.
func TestBestAtMatchesTheModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := genesis()
		tree, m := forkdb.New(g), newModel(g)
		var c chainBuilder
		for range rapid.IntRange(1, 60).Draw(rt, "steps") {
			alive := m.aliveIDs()
			sortIDs(alive)
			id := alive[rapid.IntRange(0, len(alive)-1).Draw(rt, "id")]
			switch rapid.IntRange(0, 5).Draw(rt, "op") {
			case 0:
				if id.Height() >= m.root.Height() {
					_, err := tree.SetIrreversible(id)
					require.NoError(rt, err)
					m.setIrreversible(id)
				}
			case 1:
				if id != m.root {
					_, err := tree.MarkInvalid(id)
					require.NoError(rt, err)
					m.markInvalid(id)
				}
			default:
				parent := m.hdrs[id]
				h := c.child(parent, parent.Term+uint64(rapid.IntRange(0, 1).Draw(rt, "termBump")))
				require.Equal(rt, m.insert(h), tree.Insert(h) == nil)
			}
			head := m.head()
			for id := head; ; id = m.hdrs[id].Parent {
				got, ok := tree.BestAt(id.Height())
				require.True(rt, ok)
				require.Equal(rt, id, got, "best at %d", id.Height())
				if id == m.root {
					break
				}
			}
			_, ok := tree.BestAt(head.Height() + 1)
			require.False(rt, ok, "nothing above the head")
			_, ok = tree.BestAt(m.root.Height() - 1)
			require.False(rt, ok, "nothing below the root")
		}
	})
}
