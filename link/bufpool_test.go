package link

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGrowPoolClasses(t *testing.T) {
	for c, want := range map[int]int{
		firstAlloc: 0, 4 * firstAlloc: 1, 16 * firstAlloc: 2, firstAlloc << 40: 20,
		0: -1, firstAlloc - 1: -1, 2 * firstAlloc: -1, 3 * firstAlloc: -1, 8 * firstAlloc: -1,
		firstAlloc + 1: -1, firstAlloc << 42: -1,
	} {
		require.Equal(t, want, classOf(c), "classOf(%d)", c)
	}
	var p growPool
	b := p.get(10, 4*firstAlloc)
	require.Len(t, b, 10)
	require.Equal(t, 4*firstAlloc, cap(b))
	odd := p.get(10, 3*firstAlloc)
	require.Equal(t, 3*firstAlloc, cap(odd), "sizes outside the classes are plain allocations")
	p.put(odd) // ignored
}
