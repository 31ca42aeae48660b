package relay

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1000, 0)

type rec struct {
	id       uint64
	via      int
	origin   int
	relayed  bool
	deadline time.Time
}

func newTable(t testing.TB, maxPer int) *Table[int, rec] {
	t.Helper()
	tb, err := New[int, rec](Config{MaxPerOrigin: maxPer, MaxHops: 3})
	require.NoError(t, err)
	return tb
}

// The table agrees with a naive map under random operations: the same
// submits expire, go with their link, and are answered; the deadline is
// the minimum; per-origin counts match.
func TestTableMatchesANaiveModel(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			tb := newTable(t, 1<<30)
			model := map[uint64]rec{}
			ids := func(rs []rec) []uint64 {
				out := make([]uint64, 0, len(rs))
				for _, r := range rs {
					out = append(out, r.id)
				}
				slices.Sort(out)
				return out
			}
			now := t0
			next := uint64(0)
			for range 2000 {
				switch rng.IntN(5) {
				case 0, 1:
					next++
					r := rec{id: next, via: rng.IntN(4), origin: rng.IntN(4), relayed: rng.IntN(2) == 0,
						deadline: now.Add(time.Duration(rng.IntN(100)) * time.Millisecond)}
					tb.Add(r.id, r.via, r.origin, r.relayed, r.deadline, r)
					model[r.id] = r
				case 2:
					id := uint64(rng.IntN(int(next) + 1))
					v, via, ok := tb.Take(id)
					m, mok := model[id]
					require.Equal(t, mok, ok)
					if ok {
						require.Equal(t, m, v)
						require.Equal(t, m.via, via)
					}
					delete(model, id)
				case 3:
					via := rng.IntN(4)
					var want []rec
					for id, m := range model {
						if m.via == via {
							want = append(want, m)
							delete(model, id)
						}
					}
					require.Equal(t, ids(want), ids(tb.TakeVia(via)))
				case 4:
					now = now.Add(time.Duration(rng.IntN(30)) * time.Millisecond)
					var want []rec
					for id, m := range model {
						if !m.deadline.After(now) {
							want = append(want, m)
							delete(model, id)
						}
					}
					got := tb.Expired(now)
					require.Equal(t, ids(want), ids(got))
					require.True(t, slices.IsSortedFunc(got, func(a, b rec) int { return a.deadline.Compare(b.deadline) }))
				}
				require.Equal(t, len(model), tb.Len())
				var min time.Time
				per := map[int]int{}
				for _, m := range model {
					if min.IsZero() || m.deadline.Before(min) {
						min = m.deadline
					}
					if m.relayed {
						per[m.origin]++
					}
				}
				require.Equal(t, min, tb.Deadline())
				for o := range 4 {
					require.Equal(t, per[o], tb.Relaying(o))
				}
			}
		})
	}
}

// A peer at MaxPerOrigin outstanding relays is refused, charged once per
// overflow; the overflow ends when its count falls to half the cap. Local
// submits (relayed false) never count.
func TestAdmitCapsRelaysPerOrigin(t *testing.T) {
	tb := newTable(t, 4)
	for i := range uint64(4) {
		ok, _ := tb.Admit(7)
		require.True(t, ok)
		tb.Add(i, 1, 7, true, t0.Add(time.Second), rec{id: i})
	}
	tb.Add(99, 1, 7, false, t0.Add(time.Second), rec{id: 99})
	ok, charge := tb.Admit(7)
	require.False(t, ok)
	require.True(t, charge, "the first refusal is charged")
	ok, charge = tb.Admit(7)
	require.False(t, ok)
	require.False(t, charge, "later refusals of the same overflow are not")
	ok, _ = tb.Admit(8)
	require.True(t, ok, "other peers are unaffected")

	tb.Take(0)
	ok, charge = tb.Admit(7)
	require.True(t, ok)
	require.False(t, charge)
	tb.Add(0, 1, 7, true, t0.Add(time.Second), rec{id: 0})
	ok, charge = tb.Admit(7)
	require.False(t, ok)
	require.False(t, charge, "still the same overflow: the count never fell to half")
	tb.Take(0)
	tb.Take(1)
	tb.Add(0, 1, 7, true, t0.Add(time.Second), rec{id: 0})
	tb.Add(1, 1, 7, true, t0.Add(time.Second), rec{id: 1})
	_, charge = tb.Admit(7)
	require.True(t, charge, "a new overflow is charged")
}

func TestClampHopsToTheLocalLimit(t *testing.T) {
	c := Config{MaxPerOrigin: 1, MaxHops: 3}
	for _, tc := range []struct {
		in, out uint8
		ok      bool
	}{{0, 0, false}, {1, 0, true}, {2, 1, true}, {3, 2, true}, {4, 2, true}, {255, 2, true}} {
		out, ok := c.ClampHops(tc.in)
		require.Equal(t, tc.ok, ok, "hops %d", tc.in)
		require.Equal(t, tc.out, out, "hops %d", tc.in)
	}
}

func TestLaterSubmitsComeDueInOrder(t *testing.T) {
	tb := newTable(t, 1)
	tb.Later(t0.Add(3*time.Millisecond), rec{id: 3})
	tb.Later(t0.Add(time.Millisecond), rec{id: 1})
	tb.Add(5, 0, 0, false, t0.Add(2*time.Millisecond), rec{id: 5})
	require.Equal(t, t0.Add(time.Millisecond), tb.Deadline())
	require.Empty(t, tb.Due(t0))
	require.Equal(t, []rec{{id: 1}}, tb.Due(t0.Add(2*time.Millisecond)))
	require.Equal(t, t0.Add(2*time.Millisecond), tb.Deadline())
	out, later := tb.All()
	require.Len(t, out, 1)
	require.Equal(t, []rec{{id: 3}}, later)
	require.True(t, tb.Deadline().IsZero())
}
