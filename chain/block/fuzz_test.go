package block_test

import (
	"bytes"
	"testing"

	"github.com/blockwire/blockwire/chain/block"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// re-encodes to exactly the same bytes (one canonical encoding).
func FuzzDecode(f *testing.F) {
	f.Add(sealed(f, block.ZeroID, []byte("a"), []byte("bc")).Encode())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := block.Decode(data, block.DefaultLimits())
		if err != nil {
			if block.ReasonOf(err) == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(b.Encode(), data) {
			t.Fatalf("re-encoding differs")
		}
		_ = b.Check()
	})
}

// FuzzDecodeSignedHeader checks the header decoder the same way.
func FuzzDecodeSignedHeader(f *testing.F) {
	f.Add(sealed(f, block.ZeroID).SignedHeader.AppendEncoding(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := block.DecodeSignedHeader(data)
		if err != nil {
			return
		}
		if !bytes.Equal(s.AppendEncoding(nil), data) {
			t.Fatalf("re-encoding differs")
		}
	})
}
