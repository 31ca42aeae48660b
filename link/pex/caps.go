package pex

import (
	"sort"
	"time"
)

// account counts an unverified learned entry against its group's cap and
// its source's.
func (b *Book) account(e *entry) {
	if e.counted || e.kind != KindLearned || e.verified {
		return
	}
	e.counted = true
	b.perGroup[e.group]++
	if e.source != "" {
		b.perSource[e.source]++
	}
}

// unaccount undoes account (the entry was verified, configured or dropped).
func (b *Book) unaccount(e *entry) {
	if !e.counted {
		return
	}
	e.counted = false
	if b.perGroup[e.group]--; b.perGroup[e.group] <= 0 {
		delete(b.perGroup, e.group)
	}
	if e.source != "" {
		if b.perSource[e.source]--; b.perSource[e.source] <= 0 {
			delete(b.perSource, e.source)
		}
	}
}

// admit decides whether a new unverified entry of group g from src ("":
// the peer itself) may enter the book, evicting the worst unverified
// entry when the book is full. It returns why not, or "".
func (b *Book) admit(now time.Time, g string, src PeerID) string {
	if src != "" && b.perSource[src] >= b.cfg.MaxPerSource {
		return DropSourceCap
	}
	if b.cfg.MaxPerGroup > 0 && b.perGroup[g] >= b.cfg.MaxPerGroup {
		return DropGroupCap
	}
	if len(b.entries) < b.cfg.MaxEntries {
		return ""
	}
	if victim := b.worst(); victim != nil {
		b.drop(now, victim, DropRoom)
		return ""
	}
	return DropBookFull
}

// worst is the unverified learned entry to evict first: not linked or
// being dialled; most failures, then oldest, then lowest id.
func (b *Book) worst() *entry {
	var w *entry
	for _, e := range b.entries {
		if e.kind != KindLearned || e.verified || e.dialing || e.probing || b.links[e.id] != nil {
			continue
		}
		if w == nil || e.failures > w.failures ||
			e.failures == w.failures && (e.added.Before(w.added) || e.added.Equal(w.added) && e.id < w.id) {
			w = e
		}
	}
	return w
}

// drop removes e and records why.
func (b *Book) drop(now time.Time, e *entry, reason string) {
	b.unaccount(e)
	delete(b.entries, e.id)
	if e.dialing {
		b.dialing--
	}
	b.record(Dropped{ID: e.id, Addrs: e.addrs, Source: e.source, Reason: reason, At: now})
}

func (b *Book) record(d Dropped) {
	if len(b.dropped) == MaxDropped {
		copy(b.dropped, b.dropped[1:])
		b.dropped = b.dropped[:MaxDropped-1]
	}
	b.dropped = append(b.dropped, d)
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
