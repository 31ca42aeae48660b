package block

import (
	"bytes"
	"crypto/sha256"
	"slices"
)

const domainProducerSet = "blockwire/producer-set/v1"

// ProducerSetHash is the hash a header carries in ProducerSet: SHA-256 over
// a domain tag and the producers' keys in ascending byte order, so the same
// set hashes the same whatever order it is listed in. Duplicates count once.
func ProducerSetHash(keys []PublicKey) Hash {
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, func(a, b PublicKey) int { return bytes.Compare(a[:], b[:]) })
	sorted = slices.Compact(sorted)
	h := sha256.New()
	h.Write([]byte(domainProducerSet))
	for _, k := range sorted {
		h.Write(k[:])
	}
	var out Hash
	copy(out[:], h.Sum(nil))
	return out
}
