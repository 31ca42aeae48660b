package forkdb

import (
	"github.com/blockwire/blockwire/chain/block"
)

// SetIrreversible makes id the root. Every block that does not descend from
// id is removed and returned in pruned (blocks on losing forks; the new
// root's ancestors are dropped without being listed, since they are final
// and live on in the block log). The head is recomputed among id's
// descendants, which may switch forks. A pin that the new root passes or
// prunes is cleared. Setting the current root again is a no-op.
func (t *Tree) SetIrreversible(id block.ID) (pruned []block.ID, err error) {
	n := t.nodes[id]
	if n == nil {
		return nil, notFound(id)
	}
	// Walk the path from n up to the old root; drop each ancestor and every
	// sibling subtree hanging off the path.
	for child, p := n, n.parent; p != nil; child, p = p, p.parent {
		for _, sib := range p.children {
			if sib != child {
				pruned = t.removeSubtree(sib, pruned)
			}
		}
		delete(t.nodes, p.id)
		p.children = nil
	}
	n.parent = nil
	if i := n.height() - t.root.height(); i < uint64(len(t.best)) && t.best[i] == n {
		clear(t.best[:i]) // let the dropped ancestors go before the array does
		t.best = t.best[i:]
	} else {
		// The new root is off the old best chain, so the old head was
		// pruned or dropped; the head recomputation below calls setHead,
		// which rebuilds the index from the new root up.
		t.best = []*node{n}
	}
	t.root = n
	for bad := range t.invalid {
		if bad.Height() <= n.height() {
			delete(t.invalid, bad)
		}
	}
	if t.pin != nil && (t.pin.height() <= n.height() || t.nodes[t.pin.id] == nil) {
		// Either the root reached the pin (the pin is passed) or the pin sat
		// on a pruned fork; in both cases it no longer restricts anything,
		// and blocks it used to exclude may now win.
		t.pin = nil
		t.setHead(t.bestIn(t.root))
	} else if t.nodes[t.head.id] == nil {
		t.setHead(t.bestIn(t.viableRoot()))
	}
	return pruned, nil
}

// MarkInvalid removes id and its subtree and blacklists them, so that the
// same blocks or their descendants are refused later. The head moves to the
// best remaining block if it was removed; a pin inside the subtree is cleared.
func (t *Tree) MarkInvalid(id block.ID) (removed []block.ID, err error) {
	n := t.nodes[id]
	switch n {
	case nil:
		return nil, notFound(id)
	case t.root:
		return nil, ErrRoot
	}
	p := n.parent
	for i, c := range p.children {
		if c == n {
			p.children = append(p.children[:i:i], p.children[i+1:]...)
			break
		}
	}
	removed = t.removeSubtree(n, nil)
	for _, r := range removed {
		t.invalid[r] = struct{}{}
	}
	if t.pin != nil && t.nodes[t.pin.id] == nil {
		t.pin = nil
	}
	if t.nodes[t.head.id] == nil {
		// Removing blocks cannot make a surviving block better than the
		// head, so only a removed head needs a new choice.
		t.setHead(t.bestIn(t.viableRoot()))
	}
	return removed, nil
}

// Pin restricts fork choice to id and its descendants until Unpin or until
// irreversibility reaches or passes id.
func (t *Tree) Pin(id block.ID) error {
	n := t.nodes[id]
	if n == nil {
		return notFound(id)
	}
	t.pin = n
	t.setHead(t.bestIn(n))
	return nil
}

// Unpin lifts the pin; the head becomes the best block in the whole tree.
func (t *Tree) Unpin() {
	t.pin = nil
	t.setHead(t.bestIn(t.root))
}

// PinnedID returns the pinned block, if any.
func (t *Tree) PinnedID() (block.ID, bool) {
	if t.pin == nil {
		return block.ID{}, false
	}
	return t.pin.id, true
}

func (t *Tree) viableRoot() *node {
	if t.pin != nil {
		return t.pin
	}
	return t.root
}

// bestIn returns the best block in the subtree at n.
func (t *Tree) bestIn(n *node) *node {
	best := n
	stack := []*node{n}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if better(cur, best) {
			best = cur
		}
		stack = append(stack, cur.children...)
	}
	return best
}

// removeSubtree deletes n and its descendants from the index and appends
// their ids to out.
func (t *Tree) removeSubtree(n *node, out []block.ID) []block.ID {
	stack := []*node{n}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, cur.id)
		delete(t.nodes, cur.id)
		stack = append(stack, cur.children...)
		cur.children = nil
		cur.parent = nil
	}
	return out
}
