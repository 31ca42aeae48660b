package block

import "crypto/sha256"

// TxRoot is the Merkle root over transactions: leaves are
// SHA-256(0x00 || tx), inner nodes SHA-256(0x01 || left || right), an odd
// node is carried up unchanged, and the root of no transactions is
// SHA-256(0x02). The prefixes keep leaves, inner nodes and the empty root
// from ever colliding (second-preimage safety).
func TxRoot(txs [][]byte) Hash {
	if len(txs) == 0 {
		return sha256.Sum256([]byte{2})
	}
	level := make([]Hash, len(txs))
	buf := make([]byte, 0, 1+2*len(Hash{}))
	for i, tx := range txs {
		h := sha256.New()
		h.Write([]byte{0})
		h.Write(tx)
		copy(level[i][:], h.Sum(nil))
	}
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			buf = append(buf[:0], 1)
			buf = append(buf, level[i][:]...)
			buf = append(buf, level[i+1][:]...)
			next = append(next, sha256.Sum256(buf))
		}
		level = next
	}
	return level[0]
}
