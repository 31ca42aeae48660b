package broadcast

import "time"

// originTree is our end of one origin's tree: the links we only announce
// to. Every other link is eager (new origins flood, then prune).
type originTree struct {
	lazy map[NodeID]bool
	used time.Time
}

// trees holds the per-origin trees, the least recently used forgotten
// beyond max.
//
// Invariant: len(m) <= max.
type trees struct {
	max int
	m   map[NodeID]*originTree
}

func newTrees(max int) *trees { return &trees{max: max, m: map[NodeID]*originTree{}} }

// eager reports whether bodies of origin's messages go to peer.
func (t *trees) eager(origin, peer NodeID) bool {
	o := t.m[origin]
	return o == nil || !o.lazy[peer]
}

func (t *trees) get(now time.Time, origin NodeID) *originTree {
	o := t.m[origin]
	if o == nil {
		if len(t.m) >= t.max {
			t.evict()
		}
		o = &originTree{lazy: map[NodeID]bool{}}
		t.m[origin] = o
	}
	o.used = now
	return o
}

func (t *trees) setLazy(now time.Time, origin, peer NodeID) { t.get(now, origin).lazy[peer] = true }

// prune is a peer's Prune: honoured only for origins we keep a tree for
// (we forwarded or received their messages), so a peer cannot push the
// origins we use out of the bounded map by pruning made-up ones.
func (t *trees) prune(now time.Time, origin, peer NodeID) {
	if o := t.m[origin]; o != nil {
		o.lazy[peer] = true
		o.used = now
	}
}

func (t *trees) setEager(now time.Time, origin, peer NodeID) {
	if o := t.m[origin]; o != nil {
		delete(o.lazy, peer)
		o.used = now
	}
}

// dropPeer forgets a link in every tree (a new link to the same peer starts
// eager).
func (t *trees) dropPeer(peer NodeID) {
	for _, o := range t.m {
		delete(o.lazy, peer)
	}
}

func (t *trees) evict() {
	var oldest NodeID
	var ot *originTree
	for id, o := range t.m {
		if ot == nil || o.used.Before(ot.used) || o.used.Equal(ot.used) && id.Less(oldest) {
			oldest, ot = id, o
		}
	}
	delete(t.m, oldest)
}
