package attest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// naiveRanked is the selection rule written the obvious way: sort the
// qualifying verifiers by rendezvous score, then take each operator's
// first before anyone's second.
func naiveRanked(ms []Member, lv *Level, id block.ID) []block.PublicKey {
	var q []Member
	for _, m := range ms {
		if m.matches(lv) {
			q = append(q, m)
		}
	}
	slices.SortFunc(q, func(a, b Member) int {
		sa, sb := rendezvous(id, lv.Number, a.Key), rendezvous(id, lv.Number, b.Key)
		return -bytes.Compare(sa[:], sb[:])
	})
	var first, rest []block.PublicKey
	used := map[string]bool{}
	for _, m := range q {
		if used[m.Operator] {
			rest = append(rest, m.Key)
		} else {
			used[m.Operator] = true
			first = append(first, m.Key)
		}
	}
	return append(first, rest...)
}

func randomMembers(r *rand.Rand, n int) []Member {
	var ms []Member
	for i := 0; i < n; i++ {
		var k block.PublicKey
		for j := range k {
			k[j] = byte(r.Uint32())
		}
		m := Member{Key: k, Level: uint8(2 + r.IntN(2)), Operator: fmt.Sprintf("op%d", r.IntN(4))}
		if r.IntN(2) == 0 {
			m.Labels = map[string]string{"region": []string{"eu", "us"}[r.IntN(2)]}
		}
		ms = append(ms, m)
	}
	return ms
}

// Ranked agrees with the naive rule, whatever order the directory was
// built in, and puts distinct operators first.
func TestRankedMatchesNaiveRule(t *testing.T) {
	f := func(seed uint64, h uint8, withLabel bool) bool {
		r := rand.New(rand.NewPCG(seed, 1))
		ms := randomMembers(r, 1+r.IntN(30))
		lv := Level{Number: 2, Required: 1}
		if withLabel {
			lv.Labels = map[string]string{"region": "eu"}
		}
		d, err := NewDirectory(ms)
		if err != nil {
			return true // a duplicate random key: vanishingly rare
		}
		r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		d2, _ := NewDirectory(ms)
		id := bid(uint64(h), byte(seed))
		got := d.Ranked(&lv, id)
		return slices.Equal(got, naiveRanked(ms, &lv, id)) && slices.Equal(got, d2.Ranked(&lv, id))
	}
	require.NoError(t, quick.Check(f, nil))
}

// Rendezvous hashing: removing a verifier changes the top choices only of
// the blocks that had chosen it.
func TestRankedRemovalMovesOnlyItsBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	ms := randomMembers(r, 20)
	for i := range ms {
		ms[i].Level, ms[i].Labels, ms[i].Operator = 2, nil, fmt.Sprintf("op%d", i) // all distinct operators
	}
	lv := Level{Number: 2, Required: 3}
	d, err := NewDirectory(ms)
	require.NoError(t, err)
	d2, err := NewDirectory(ms[1:])
	require.NoError(t, err)
	moved := 0
	for h := 0; h < 200; h++ {
		id := bid(uint64(h), 3)
		a, b := d.Ranked(&lv, id)[:3], d2.Ranked(&lv, id)[:3]
		if slices.Contains(a, ms[0].Key) {
			moved++
			continue
		}
		require.Equal(t, a, b, "block %d did not choose the removed verifier", h)
	}
	require.Positive(t, moved)
	_, err = NewDirectory([]Member{ms[0], ms[0]})
	require.Error(t, err)
}
