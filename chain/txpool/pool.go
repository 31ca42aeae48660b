package txpool

import (
	"crypto/sha256"

	"github.com/blockwire/blockwire/chain/block"
)

// Pool is the producer's FIFO of pending transactions, bounded by count
// and bytes, deduplicated by hash. It is not safe for concurrent use.
type Pool struct {
	maxTxs, maxBytes int
	q                [][]byte
	hashes           []block.Hash
	head             int
	bytes            int
	in               map[block.Hash]struct{}
}

// New returns a pool of at most maxTxs transactions and maxBytes bytes.
func New(maxTxs, maxBytes int) *Pool {
	return &Pool{maxTxs: maxTxs, maxBytes: maxBytes, in: map[block.Hash]struct{}{}}
}

// Hash is the hash a transaction is known by: SHA-256 over its bytes.
func Hash(tx []byte) block.Hash { return sha256.Sum256(tx) }

// Len is the number of transactions queued.
func (m *Pool) Len() int { return len(m.q) - m.head }

// Has reports whether h is queued.
func (m *Pool) Has(h block.Hash) bool {
	_, ok := m.in[h]
	return ok
}

// Add queues tx; false when the pool is full.
func (m *Pool) Add(h block.Hash, tx []byte) bool {
	if m.Has(h) {
		return true
	}
	if m.Len() >= m.maxTxs || m.bytes+len(tx) > m.maxBytes {
		return false
	}
	m.q = append(m.q, tx)
	m.hashes = append(m.hashes, h)
	m.in[h] = struct{}{}
	m.bytes += len(tx)
	return true
}

// Peek returns the oldest transaction if it fits in budget bytes.
func (m *Pool) Peek(budget int) ([]byte, block.Hash, bool) {
	if m.Len() == 0 || len(m.q[m.head]) > budget {
		return nil, block.Hash{}, false
	}
	return m.q[m.head], m.hashes[m.head], true
}

// Find returns the hash of the oldest transaction that match accepts.
func (m *Pool) Find(match func(tx []byte) bool) (block.Hash, bool) {
	for i := m.head; i < len(m.q); i++ {
		if match(m.q[i]) {
			return m.hashes[i], true
		}
	}
	return block.Hash{}, false
}

// Pop drops the oldest transaction.
func (m *Pool) Pop() {
	tx, h := m.q[m.head], m.hashes[m.head]
	m.q[m.head] = nil
	m.head++
	m.bytes -= len(tx)
	delete(m.in, h)
	// Compact once the consumed prefix dominates, so memory follows load.
	if m.head > 1024 && m.head*2 > len(m.q) {
		m.q = append([][]byte(nil), m.q[m.head:]...)
		m.hashes = append([]block.Hash(nil), m.hashes[m.head:]...)
		m.head = 0
	}
}
