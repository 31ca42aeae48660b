package quorum

import (
	"errors"
	"fmt"
	"math/bits"
)

// Bitmap is a set of signer indexes 0..n−1, bit i%8 of byte i/8 for index
// i. Its length is fixed at ⌈n/8⌉ by NewBitmap; it is the wire form a
// certificate carries.
type Bitmap []byte

// ErrBitmap is wrapped by every ParseBitmap failure.
var ErrBitmap = errors.New("quorum: bad signer bitmap")

// NewBitmap returns an empty bitmap for n signers.
func NewBitmap(n int) Bitmap { return make(Bitmap, (n+7)/8) }

// ParseBitmap checks that b is the bitmap of a subset of 0..n−1: exactly
// ⌈n/8⌉ bytes and no bit set at index n or above. It does not copy b.
func ParseBitmap(b []byte, n int) (Bitmap, error) {
	if n < 0 || len(b) != (n+7)/8 {
		return nil, fmt.Errorf("%w: %d bytes for %d signers, want %d", ErrBitmap, len(b), n, (n+7)/8)
	}
	if r := n % 8; r != 0 && b[len(b)-1]>>r != 0 {
		return nil, fmt.Errorf("%w: bit set beyond signer %d", ErrBitmap, n-1)
	}
	return Bitmap(b), nil
}

// Has reports whether index i is in the set; out-of-range indexes are not.
func (m Bitmap) Has(i int) bool {
	return i >= 0 && i/8 < len(m) && m[i/8]&(1<<(i%8)) != 0
}

// Set adds index i and reports whether it was absent. It panics if i is out
// of range: callers check indexes against their set before counting.
func (m Bitmap) Set(i int) bool {
	if i < 0 || i/8 >= len(m) {
		panic(fmt.Sprintf("quorum: index %d outside a bitmap of %d bytes", i, len(m)))
	}
	if m.Has(i) {
		return false
	}
	m[i/8] |= 1 << (i % 8)
	return true
}

// Count returns the number of indexes in the set.
func (m Bitmap) Count() int {
	n := 0
	for _, b := range m {
		n += bits.OnesCount8(b)
	}
	return n
}

// Indexes lists the set's indexes in ascending order.
func (m Bitmap) Indexes() []int {
	out := make([]int, 0, m.Count())
	for i := 0; i < len(m)*8; i++ {
		if m.Has(i) {
			out = append(out, i)
		}
	}
	return out
}

// countIn returns |m ∩ g| for two bitmaps of one index space.
func (m Bitmap) countIn(g Bitmap) int {
	n := 0
	for i := range m {
		if i < len(g) {
			n += bits.OnesCount8(m[i] & g[i])
		}
	}
	return n
}
