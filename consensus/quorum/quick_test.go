package quorum

import (
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/require"
)

// TestBFTQuorumsIntersectInACorrectVoter checks the one property the BFT
// size exists for, against brute force for every n up to 100: two quorums
// overlap in at least f+1 voters, and no smaller size guarantees that.
func TestBFTQuorumsIntersectInACorrectVoter(t *testing.T) {
	for n := 1; n <= 100; n++ {
		q, f := BFT(n), MaxFaulty(n)
		require.LessOrEqual(t, q, n, "n=%d", n)
		require.GreaterOrEqual(t, 2*q-n, f+1, "n=%d: quorums must share a correct voter", n)
		require.GreaterOrEqual(t, n-f, q, "n=%d: the correct voters alone must form a quorum", n)
		if n%3 == 1 { // n = 3f+1: the size is also the smallest that works
			require.Less(t, 2*(q-1)-n, f+1, "n=%d: a smaller quorum would suffice", n)
		}
		require.Greater(t, 2*Majority(n), n, "n=%d: two majorities intersect", n)
	}
	require.Equal(t, []int{3, 5, 7, 9}, []int{BFT(4), BFT(7), BFT(10), BFT(13)})
}

// TestTallyMatchesANaiveSet: a Tally agrees with a map of distinct signers
// whatever the order and repetitions of Adds, and refuses outsiders.
func TestTallyMatchesANaiveSet(t *testing.T) {
	check := func(n8 uint8, adds []uint8) bool {
		n := int(n8%40) + 1
		tl := NewTally(Threshold(n, BFT(n)))
		naive := map[int]bool{}
		for _, a := range adds {
			i := int(a % 64)
			fresh := tl.Add(i)
			want := i < n && !naive[i]
			if fresh != want {
				return false
			}
			if i < n {
				naive[i] = true
			}
		}
		if tl.Count() != len(naive) || tl.Met() != (len(naive) >= BFT(n)) {
			return false
		}
		for i := range 64 {
			if tl.Has(i) != naive[i] {
				return false
			}
		}
		return len(tl.Signers().Indexes()) == len(naive)
	}
	require.NoError(t, quick.Check(check, &quick.Config{MaxCount: 2000}))
}

// TestJointRuleNeedsBothSets: a joint rule is met exactly when a naive count
// finds a quorum in the old set and a quorum in the new set.
func TestJointRuleNeedsBothSets(t *testing.T) {
	check := func(oldMask, newMask, signedMask uint16) bool {
		const space = 16
		groupOf := func(mask uint16) (Group, int) {
			m, k := NewBitmap(space), 0
			for i := range space {
				if mask&(1<<i) != 0 {
					m.Set(i)
					k++
				}
			}
			return Group{Members: m, Need: BFT(k)}, k
		}
		og, on := groupOf(oldMask)
		ng, nn := groupOf(newMask)
		r, err := Joint(Rule{og}, Rule{ng})
		if err != nil {
			return false
		}
		signed := NewBitmap(space)
		inOld, inNew := 0, 0
		for i := range space {
			if signedMask&(1<<i) != 0 {
				signed.Set(i)
				if oldMask&(1<<i) != 0 {
					inOld++
				}
				if newMask&(1<<i) != 0 {
					inNew++
				}
			}
		}
		want := on > 0 && nn > 0 && inOld >= BFT(on) && inNew >= BFT(nn)
		return r.Met(signed) == want
	}
	require.NoError(t, quick.Check(check, &quick.Config{MaxCount: 5000}))
}

func TestJointExamples(t *testing.T) {
	// Old set {0,1,2,3}, new set {2,3,4,5,6}: the three of the old set that
	// are enough alone are not enough jointly.
	old, nw := NewBitmap(7), NewBitmap(7)
	for _, i := range []int{0, 1, 2, 3} {
		old.Set(i)
	}
	for _, i := range []int{2, 3, 4, 5, 6} {
		nw.Set(i)
	}
	r, err := Joint(Rule{{Members: old, Need: BFT(4)}}, Rule{{Members: nw, Need: BFT(5)}})
	require.NoError(t, err)
	tl := NewTally(r)
	for _, i := range []int{0, 1, 2} {
		require.True(t, tl.Add(i))
	}
	require.False(t, tl.Met(), "old quorum alone")
	require.True(t, tl.Add(3))
	require.True(t, tl.Add(4))
	require.False(t, tl.Met(), "new set has 3 of 5, needs 4")
	require.True(t, tl.Add(5))
	require.True(t, tl.Met())
	require.False(t, tl.Add(9), "outside the index space")
	require.False(t, Rule{}.Met(NewBitmap(8)), "an empty rule never decides")

	_, err = Joint(Threshold(8, 6), Threshold(9, 7))
	require.Error(t, err, "different index spaces")
}

// TestParseBitmapIsCanonical: the wire form of a signer set is unique.
func TestParseBitmapIsCanonical(t *testing.T) {
	check := func(n8 uint8, raw []byte) bool {
		n := int(n8 % 70)
		m, err := ParseBitmap(raw, n)
		if len(raw) != (n+7)/8 {
			return err != nil
		}
		beyond := false
		for i := n; i < len(raw)*8; i++ {
			if raw[i/8]&(1<<(i%8)) != 0 {
				beyond = true
			}
		}
		if beyond {
			return err != nil
		}
		if err != nil {
			return false
		}
		back := NewBitmap(n)
		for _, i := range m.Indexes() {
			back.Set(i)
		}
		return string(back) == string(raw)
	}
	require.NoError(t, quick.Check(check, &quick.Config{MaxCount: 5000}))
	_, err := ParseBitmap([]byte{0x10}, 4)
	require.ErrorIs(t, err, ErrBitmap)
	require.Panics(t, func() { NewBitmap(4).Set(8) })
}

func FuzzParseBitmap(f *testing.F) {
	f.Add([]byte{0x0f}, 4)
	f.Add([]byte{0xff, 0x03}, 10)
	f.Fuzz(func(t *testing.T, raw []byte, n int) {
		n %= 1 << 12
		m, err := ParseBitmap(raw, n)
		if err != nil {
			return
		}
		for _, i := range m.Indexes() {
			require.Less(t, i, n)
		}
	})
}
