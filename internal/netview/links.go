package netview

import (
	"cmp"
	"maps"
	"slices"
)

// currentLinks is every directed link the reporters name, with byte rates
// over dt seconds and statistics quantized. A node that did not answer
// keeps its links as last sent.
func (v *View) currentLinks(reports []Report, dt float64) map[string]Link {
	out := map[string]Link{}
	seen := map[string]bool{}
	for _, r := range reports {
		if r.Node.Down {
			for k, l := range v.links {
				if l.From == r.Node.ID {
					out[k], seen[k] = l, true
				}
			}
			continue
		}
		for _, p := range r.Peers {
			l := v.link(r.Node.ID, p, dt)
			out[l.Key()], seen[l.Key()] = l, true
		}
	}
	for k := range v.counters {
		if !seen[k] {
			delete(v.counters, k)
		}
	}
	return out
}

// link is p as reported by from, with rates against the previous counters.
func (v *View) link(from string, p Peer, dt float64) Link {
	l := Link{From: from, To: p.ID, Connected: p.Connected, Producer: p.Producer, Direction: p.Direction,
		Mode: p.Mode, Tree: p.Tree, RTTMs: tenth(p.RTTMs), Reason: p.Reason}
	if len(l.Tree) == 0 {
		l.Tree = nil
	}
	k := l.Key()
	prev := v.counters[k]
	for i, ln := range p.Lanes {
		lr := LaneRate{Name: ln.Name, Queued: int64(sig2(float64(ln.Queued)))}
		if i < len(prev) && prev[i].Name == ln.Name {
			lr.InBps, lr.OutBps = rate(ln.BytesIn, prev[i].BytesIn, dt), rate(ln.BytesOut, prev[i].BytesOut, dt)
		}
		l.Lanes = append(l.Lanes, lr)
		l.Queued += ln.Queued
		l.InBps += lr.InBps
		l.OutBps += lr.OutBps
	}
	l.Queued = int64(sig2(float64(l.Queued)))
	l.InBps, l.OutBps = sig2(l.InBps), sig2(l.OutBps)
	v.counters[k] = slices.Clone(p.Lanes)
	return l
}

// diffLinks sends the links that changed, at most MaxLinks: structural
// changes (connected, mode, tree) first, then the longest unsent; a link
// whose statistics alone changed waits StatsEvery Steps since it was last
// sent.
func (v *View) diffLinks(f *Frame, cur map[string]Link) {
	var changed []string
	for k, l := range cur {
		prev, ok := v.links[k]
		if ok && linkEqual(prev, l) {
			continue
		}
		if ok && !v.structural(k, l) && v.seq-v.linkSentAt[k] < uint64(v.cfg.StatsEvery) {
			continue // statistics only, sent recently: they wait
		}
		changed = append(changed, k)
	}
	slices.SortFunc(changed, func(a, b string) int {
		pa, pb := v.structural(a, cur[a]), v.structural(b, cur[b])
		if pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(v.linkSentAt[a], v.linkSentAt[b]), cmp.Compare(a, b))
	})
	changed = v.spreadStats(changed, cur)
	if len(changed) > v.cfg.MaxLinks {
		f.LinksDeferred = len(changed) - v.cfg.MaxLinks
		changed = changed[:v.cfg.MaxLinks]
	}
	slices.Sort(changed)
	for _, k := range changed {
		f.Links = append(f.Links, cur[k])
		v.links[k], v.linkSentAt[k] = cur[k], v.seq
	}
	for _, k := range slices.Sorted(maps.Keys(v.links)) {
		if _, ok := cur[k]; !ok {
			f.LinksGone = append(f.LinksGone, k)
			delete(v.links, k)
			delete(v.linkSentAt, k)
		}
	}
}

// spreadStats keeps every structural change and, of the statistics-only
// ones (sorted after them, longest unsent first), about len(cur)/StatsEvery:
// links first sent together would otherwise all refresh in the same frame.
func (v *View) spreadStats(changed []string, cur map[string]Link) []string {
	budget := len(cur)/v.cfg.StatsEvery + 1
	out := changed[:0]
	for _, k := range changed {
		if v.structural(k, cur[k]) {
			out = append(out, k)
		} else if budget > 0 {
			out = append(out, k)
			budget--
		}
	}
	return out
}

// structural reports whether the link k is new or changed what it carries.
func (v *View) structural(k string, l Link) bool {
	prev, ok := v.links[k]
	return !ok || prev.Connected != l.Connected || prev.Mode != l.Mode || !maps.Equal(prev.Tree, l.Tree)
}

func linkEqual(a, b Link) bool {
	return a.From == b.From && a.To == b.To && a.Connected == b.Connected && a.Producer == b.Producer &&
		a.Direction == b.Direction && a.Mode == b.Mode && maps.Equal(a.Tree, b.Tree) && a.RTTMs == b.RTTMs &&
		a.Queued == b.Queued && a.InBps == b.InBps && a.OutBps == b.OutBps && slices.Equal(a.Lanes, b.Lanes) &&
		a.Reason == b.Reason
}
