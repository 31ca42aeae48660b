package netview

import (
	"cmp"
	"maps"
	"slices"
)

// addArrivals records each reporter's arrivals not seen before. Reporters
// repeat their recent arrivals in every report; seen deduplicates them.
func (v *View) addArrivals(reports []Report) {
	for _, r := range reports {
		for _, a := range r.Arrivals {
			if a.Height <= v.waveFloor || a.Block == "" {
				continue
			}
			w := v.waves[a.Block]
			if w == nil {
				w = &wave{Wave: Wave{Block: a.Block, Height: a.Height}, seen: map[string]bool{}}
				v.waves[a.Block] = w
				v.evictWaves()
				if v.waves[a.Block] == nil {
					continue // the new block was the oldest
				}
			}
			if w.Producer == "" {
				w.Producer = a.Producer
			}
			if w.seen[r.Node.ID] {
				continue
			}
			w.seen[r.Node.ID] = true
			wa := WaveArrival{Node: r.Node.ID, AtUs: a.AtUs, Produced: a.Produced, Copies: a.Copies}
			w.Arrivals = append(w.Arrivals, wa)
			w.pending = append(w.pending, wa)
		}
	}
}

// evictWaves forgets the lowest blocks beyond WaveMemory and raises the
// floor so that reporters repeating them do not bring them back.
func (v *View) evictWaves() {
	for len(v.waves) > v.cfg.WaveMemory {
		var low *wave
		for _, w := range v.waves {
			if low == nil || w.Height < low.Height || w.Height == low.Height && w.Block < low.Block {
				low = w
			}
		}
		delete(v.waves, low.Block)
		v.waveFloor = max(v.waveFloor, low.Height)
	}
}

// flushWaves puts the newest MaxWaves blocks with unsent arrivals into f
// and counts the others as dropped.
func (v *View) flushWaves(f *Frame) {
	var pending []*wave
	for _, w := range v.waves {
		if len(w.pending) > 0 {
			pending = append(pending, w)
		}
	}
	slices.SortFunc(pending, byHeightDesc)
	for i, w := range pending {
		if i < v.cfg.MaxWaves {
			out := w.Wave
			out.Arrivals = w.pending
			f.Waves = append(f.Waves, out)
		} else {
			v.wavesDropped++
		}
		w.pending = nil
	}
}

// recentWaves are the latest RecentWaves blocks with every arrival.
func (v *View) recentWaves() []Wave {
	all := slices.SortedFunc(maps.Values(v.waves), byHeightDesc)
	var out []Wave
	for _, w := range all[:min(len(all), v.cfg.RecentWaves)] {
		if len(w.pending) == len(w.Arrivals) {
			continue // nothing of it was sent yet: the next delta carries it
		}
		sent := w.Wave
		sent.Arrivals = slices.Clone(w.Arrivals[:len(w.Arrivals)-len(w.pending)])
		out = append(out, sent)
	}
	return out
}

func byHeightDesc(a, b *wave) int {
	return cmp.Or(cmp.Compare(b.Height, a.Height), cmp.Compare(a.Block, b.Block))
}
