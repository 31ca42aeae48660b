package route

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// checkInvariants asserts the Invariant: lines of the Router's types.
func checkInvariants(t *testing.T, r *Router) {
	t.Helper()
	require.LessOrEqual(t, len(r.dests), r.cfg.MaxDestinations)
	require.Len(t, r.destOrder, len(r.dests))
	require.Len(t, r.neighOrder, len(r.neigh))
	queued := 0
	for _, id := range r.destOrder {
		d := r.dests[id]
		if d.sel != nil {
			require.Same(t, d.routes[d.sel.peer], d.sel, "selected route is one of the routes")
			m, ok := r.usable(d, d.sel)
			require.True(t, ok, "selected route to %s is usable (feasible, finite, link up)", id)
			// Link cost drifts below SwitchMin do not reselect (setUp).
			require.InDelta(t, int(m), int(d.selM), float64(2*r.cfg.SwitchMin), "installed metric of %s", id)
		}
		require.LessOrEqual(t, len(d.queue), r.cfg.QueueMessages)
		require.LessOrEqual(t, d.qlen, r.cfg.QueueBytes)
		if len(d.queue) > 0 {
			queued++
		}
	}
	require.Equal(t, queued, r.queued)
	require.LessOrEqual(t, r.deferBytes, r.cfg.DeferBytes)
	require.LessOrEqual(t, len(r.paths), r.cfg.MaxReplyPaths)
	for k, p := range r.paths {
		require.Equal(t, r.replyClass[p.class], true, "path %v of a reply class", k)
	}
	require.LessOrEqual(t, len(r.windows), r.cfg.MaxOrigins)
	for _, w := range r.windows {
		require.LessOrEqual(t, len(w.seen), windowSize)
		for i, s := range w.seen {
			require.Greater(t, s, w.floor)
			if i > 0 {
				require.Greater(t, s, w.seen[i-1])
			}
		}
	}
	for _, n := range r.neigh {
		require.False(t, n.up && !n.sampled, "a link is up only once measured")
	}
}

// FuzzRouterSequence drives a 4-node network with sequences of operations
// read from the fuzz input (time passing, link cuts, closes and connects,
// crashes and restarts, sends, and raw or mutated frames injected as if
// from a neighbour) and checks every router's invariants after each, and
// that no forwarding loop exists while no forged frame was injected.
func FuzzRouterSequence(f *testing.F) {
	f.Add([]byte{0, 200, 7, 1, 2, 0, 100, 3, 0, 1, 0, 255, 6, 2, 0, 255, 6, 2, 0, 90})
	f.Add([]byte{0, 255, 1, 0, 1, 5, 1, 2, 3, 4, 5, 0, 50, 2, 1, 0, 30, 0, 255})
	f.Add([]byte{0, 120, 4, 0, 2, 0, 255, 5, 0, 1, 0, 255, 7, 3, 0, 0, 40})
	f.Fuzz(func(t *testing.T, ops []byte) {
		nt := newNet(t, 4, func(_ int, c *Config) {
			c.QueueMessages, c.MaxOrigins = 8, 4
			c.ReplyClasses, c.MaxReplyPaths = []Class{0, 1, 2}, 3
		})
		for _, e := range [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 0}} {
			nt.connect(e[0], e[1], time.Duration(2+e[0])*ms)
		}
		var frames [][]byte
		nt.hook = func(_, _ int, b []byte) []byte {
			if len(frames) < 32 {
				frames = append(frames, append([]byte(nil), b...))
			}
			return b
		}
		forged := false
		next := func() int {
			if len(ops) == 0 {
				return 0
			}
			b := ops[0]
			ops = ops[1:]
			return int(b)
		}
		for steps := 0; len(ops) > 0 && steps < 64; steps++ {
			a, b := next()%4, next()%4
			switch next() % 8 {
			case 0:
				nt.run(time.Duration(next()) * 10 * ms)
				// Destinations answer what they got (reverse-path replies).
				for i, ds := range nt.delivered {
					if len(ds) > 0 && !nt.dead[i] {
						d := ds[len(ds)-1]
						_ = nt.nodes[i].Reply(nt.now, d.Origin, d.Seq, d.Class, []byte{byte(i)})
						nt.flush(i)
					}
				}
			case 1:
				n := next() % 16
				raw := make([]byte, 0, n)
				for range n {
					raw = append(raw, byte(next()))
				}
				forged = forged || injectFrom(nt, a, b, raw)
			case 2:
				if len(frames) > 0 {
					fr := append([]byte(nil), frames[next()%len(frames)]...)
					fr[next()%len(fr)] ^= byte(next() | 1)
					forged = forged || injectFrom(nt, a, b, fr)
				}
			case 3:
				nt.cut(a, b)
			case 4:
				if a != b {
					nt.connect(a, b, time.Duration(1+next()%20)*ms)
				}
			case 5:
				if _, ok := nt.lat[key(a, b)]; ok && a != b {
					nt.close(a, b)
				}
			case 6:
				if nt.dead[a] {
					nt.restart(a)
				} else {
					nt.crash(a)
				}
			case 7:
				if !nt.dead[a] {
					if c := Class(next()); c%2 == 0 {
						_, _ = nt.nodes[a].Send(nt.now, nt.ids[b], c%4, []byte{byte(a)})
					} else {
						_, _ = nt.nodes[a].Multicast(nt.now, []NodeID{nt.ids[b], nt.ids[(b+1)%4]}, c, []byte{byte(a)})
					}
					nt.flush(a)
				}
			}
			for i, r := range nt.nodes {
				if !nt.dead[i] {
					checkInvariants(t, r)
				}
			}
			if !forged {
				for i := range nt.nodes {
					for j := range nt.nodes {
						if !nt.dead[i] && i != j {
							nt.path(i, j) // fails on a loop
						}
					}
				}
			}
		}
	})
}

// injectFrom feeds raw to node to as if neighbour from sent it; it
// reports whether the frame was a valid message (a forgery the routing
// may act on).
func injectFrom(nt *tnet, from, to int, raw []byte) bool {
	if nt.dead[to] || from == to || nt.nodes[to].neigh[nt.ids[from]] == nil {
		return false
	}
	err := nt.nodes[to].Receive(nt.now, nt.ids[from], raw)
	nt.flush(to)
	return err == nil
}
