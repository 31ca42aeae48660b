package forkdb

import (
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
)

// node is one header in the tree.
type node struct {
	hdr block.SignedHeader
	id  block.ID
	// parent is nil for the root only.
	parent   *node
	children []*node
}

func (n *node) height() uint64 { return n.hdr.Height }

// better reports whether a beats b in fork choice: greater (Term, Height, ID).
func better(a, b *node) bool {
	if a.hdr.Term != b.hdr.Term {
		return a.hdr.Term > b.hdr.Term
	}
	if a.hdr.Height != b.hdr.Height {
		return a.hdr.Height > b.hdr.Height
	}
	return a.id.Compare(b.id) > 0
}

// Tree is the fork database. The zero value is not usable; call New.
type Tree struct {
	// nodes holds every block at or above the root.
	// Invariant: every node but root has its parent in nodes.
	nodes map[block.ID]*node
	// root is the irreversible block.
	root *node
	// head is the best viable block.
	// Invariant: head descends from root, and from pin when pin is set.
	head *node
	// best indexes the best chain by height: best[i] is the block at
	// height root.height()+i on the chain root..head, so BestAt and InBest
	// cost O(1) (block sync asks them for every block it streams).
	// Invariant: best[0] == root and best[len(best)-1] == head.
	best []*node
	// pin restricts fork choice to its subtree; nil when unpinned.
	pin *node
	// invalid blacklists blocks marked invalid and their known descendants.
	// Invariant: entries are above the root's height.
	invalid map[block.ID]struct{}
}

// New returns a tree whose root, head and irreversible block is root.
func New(root block.SignedHeader) *Tree {
	n := &node{hdr: root, id: root.ID()}
	return &Tree{
		nodes:   map[block.ID]*node{n.id: n},
		root:    n,
		head:    n,
		best:    []*node{n},
		invalid: map[block.ID]struct{}{},
	}
}

// setHead makes n the head and brings the best-chain index up to date: it
// walks back from n to the first block already indexed at its height, so a
// new block on the head costs O(1) and a fork switch the length of the new
// branch.
func (t *Tree) setHead(n *node) {
	t.head = n
	base := t.root.height()
	var path []*node
	cur := n
	for {
		i := cur.height() - base
		if i < uint64(len(t.best)) && t.best[i] == cur {
			t.best = t.best[:i+1]
			break
		}
		path = append(path, cur)
		cur = cur.parent
	}
	for i := len(path) - 1; i >= 0; i-- {
		t.best = append(t.best, path[i])
	}
}

// Insert adds a header whose signature the caller has checked. See Reason for
// what it refuses; on error the tree is unchanged (except that a block with an
// invalid ancestor is blacklisted too).
func (t *Tree) Insert(h block.SignedHeader) error {
	id := h.ID()
	reject := func(r Reason, detail string) error { return &Error{Reason: r, ID: id, Detail: detail} }
	switch {
	case t.nodes[id] != nil:
		return reject(ReasonDuplicate, "")
	case h.Height <= t.root.height():
		return reject(ReasonBelowIrreversible, fmt.Sprintf("irreversible height %d", t.root.height()))
	}
	if _, bad := t.invalid[id]; bad {
		return reject(ReasonInvalid, "")
	}
	if _, bad := t.invalid[h.Parent]; bad {
		t.invalid[id] = struct{}{}
		return reject(ReasonInvalidAncestor, "parent "+h.Parent.String())
	}
	parent := t.nodes[h.Parent]
	switch {
	case parent == nil:
		return reject(ReasonUnknownParent, "parent "+h.Parent.String())
	case h.Height != parent.height()+1:
		return reject(ReasonBadHeight, fmt.Sprintf("height %d, parent height %d", h.Height, parent.height()))
	case h.Term < parent.hdr.Term:
		return reject(ReasonBadTerm, fmt.Sprintf("term %d, parent term %d", h.Term, parent.hdr.Term))
	}
	n := &node{hdr: h, id: id, parent: parent}
	parent.children = append(parent.children, n)
	t.nodes[id] = n
	if better(n, t.head) && t.viable(n) {
		t.setHead(n)
	}
	return nil
}

// viable reports whether n may be chosen as head: it descends from the pin.
func (t *Tree) viable(n *node) bool {
	return t.pin == nil || ancestorAt(n, t.pin.height()) == t.pin
}

// ancestorAt walks from n to its ancestor at height h (n itself at its own
// height); nil when h is above n or below what the tree holds.
func ancestorAt(n *node, h uint64) *node {
	if h > n.height() {
		return nil
	}
	for n != nil && n.height() > h {
		n = n.parent
	}
	return n
}

// Head returns the best head.
func (t *Tree) Head() block.SignedHeader { return t.head.hdr }

// HeadID returns the best head's id.
func (t *Tree) HeadID() block.ID { return t.head.id }

// Root returns the irreversible block.
func (t *Tree) Root() block.SignedHeader { return t.root.hdr }

// RootID returns the irreversible block's id.
func (t *Tree) RootID() block.ID { return t.root.id }

// Len returns the number of blocks in the tree, the root included.
func (t *Tree) Len() int { return len(t.nodes) }

// Has reports whether the tree holds id.
func (t *Tree) Has(id block.ID) bool { return t.nodes[id] != nil }

// Get returns the header of a block in the tree.
func (t *Tree) Get(id block.ID) (block.SignedHeader, bool) {
	if n := t.nodes[id]; n != nil {
		return n.hdr, true
	}
	return block.SignedHeader{}, false
}

// Children returns the ids of id's children, in insertion order.
func (t *Tree) Children(id block.ID) []block.ID {
	n := t.nodes[id]
	if n == nil {
		return nil
	}
	ids := make([]block.ID, len(n.children))
	for i, c := range n.children {
		ids[i] = c.id
	}
	return ids
}

// IsInvalid reports whether id is blacklisted.
func (t *Tree) IsInvalid(id block.ID) bool {
	_, bad := t.invalid[id]
	return bad
}
