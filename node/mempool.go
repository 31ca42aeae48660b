package node

import (
	"crypto/sha256"

	"github.com/blockwire/blockwire/chain/block"
)

// mempool is the producer's FIFO of pending transactions, bounded by count
// and bytes, deduplicated by hash. It belongs to the loop.
type mempool struct {
	maxTxs, maxBytes int
	q                [][]byte
	hashes           []block.Hash
	head             int
	bytes            int
	in               map[block.Hash]struct{}
}

func newMempool(maxTxs, maxBytes int) *mempool {
	return &mempool{maxTxs: maxTxs, maxBytes: maxBytes, in: map[block.Hash]struct{}{}}
}

func txHash(tx []byte) block.Hash { return sha256.Sum256(tx) }

func (m *mempool) len() int { return len(m.q) - m.head }

func (m *mempool) has(h block.Hash) bool {
	_, ok := m.in[h]
	return ok
}

// add queues tx; false when the pool is full.
func (m *mempool) add(h block.Hash, tx []byte) bool {
	if m.has(h) {
		return true
	}
	if m.len() >= m.maxTxs || m.bytes+len(tx) > m.maxBytes {
		return false
	}
	m.q = append(m.q, tx)
	m.hashes = append(m.hashes, h)
	m.in[h] = struct{}{}
	m.bytes += len(tx)
	return true
}

// peek returns the oldest transaction if it fits in budget bytes.
func (m *mempool) peek(budget int) ([]byte, block.Hash, bool) {
	if m.len() == 0 || len(m.q[m.head]) > budget {
		return nil, block.Hash{}, false
	}
	return m.q[m.head], m.hashes[m.head], true
}

// find returns the hash of the oldest transaction that match accepts.
func (m *mempool) find(match func(tx []byte) bool) (block.Hash, bool) {
	for i := m.head; i < len(m.q); i++ {
		if match(m.q[i]) {
			return m.hashes[i], true
		}
	}
	return block.Hash{}, false
}

func (m *mempool) pop() {
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
