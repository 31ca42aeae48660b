package forkdb

import "github.com/blockwire/blockwire/chain/block"

// Ancestor returns the block at height on the branch ending at id. It fails
// when id is unknown or height is outside [root height, id's height].
func (t *Tree) Ancestor(id block.ID, height uint64) (block.ID, bool) {
	n := t.nodes[id]
	if n == nil || height < t.root.height() {
		return block.ID{}, false
	}
	if a := ancestorAt(n, height); a != nil {
		return a.id, true
	}
	return block.ID{}, false
}

// BestAt returns the block at height on the best chain, root to head, in
// constant time.
func (t *Tree) BestAt(height uint64) (block.ID, bool) {
	base := t.root.height()
	if height < base || height-base >= uint64(len(t.best)) {
		return block.ID{}, false
	}
	return t.best[height-base].id, true
}

// InBest reports whether id is on the best chain, root to head.
func (t *Tree) InBest(id block.ID) bool {
	best, ok := t.BestAt(id.Height())
	return ok && best == id
}

// CommonAncestor returns the newest block that both a and b descend from (a
// block descends from itself).
func (t *Tree) CommonAncestor(a, b block.ID) (block.ID, bool) {
	na, nb := t.nodes[a], t.nodes[b]
	if na == nil || nb == nil {
		return block.ID{}, false
	}
	c := commonAncestor(na, nb)
	return c.id, true
}

func commonAncestor(a, b *node) *node {
	for a.height() > b.height() {
		a = a.parent
	}
	for b.height() > a.height() {
		b = b.parent
	}
	for a != b {
		a, b = a.parent, b.parent
	}
	return a
}

// Diff returns what a fork switch from one block to another removes (from
// back to the common ancestor, exclusive, newest first) and adds (after the
// common ancestor up to to, oldest first).
func (t *Tree) Diff(from, to block.ID) (removed, added []block.ID, err error) {
	nf, nt := t.nodes[from], t.nodes[to]
	if nf == nil {
		return nil, nil, notFound(from)
	}
	if nt == nil {
		return nil, nil, notFound(to)
	}
	c := commonAncestor(nf, nt)
	for n := nf; n != c; n = n.parent {
		removed = append(removed, n.id)
	}
	for n := nt; n != c; n = n.parent {
		added = append(added, n.id)
	}
	for i, j := 0, len(added)-1; i < j; i, j = i+1, j-1 {
		added[i], added[j] = added[j], added[i]
	}
	return removed, added, nil
}
