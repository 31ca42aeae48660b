package chain

import (
	"encoding/binary"
	"fmt"
)

// KVTxVersion is the first byte of every KV transaction.
const KVTxVersion = 1

// KV operation kinds, the first byte of each encoded operation.
const (
	KVSet    byte = 1
	KVDelete byte = 2
)

// KVOp is one operation of a KV transaction.
type KVOp struct {
	Kind  byte // KVSet or KVDelete
	Key   []byte
	Value []byte // KVSet only
}

// KVLimits bound what DecodeKVTx accepts; they are checked before any
// allocation.
type KVLimits struct {
	// MaxOps bounds the operations in one transaction (at least 1).
	MaxOps int
	// MaxKeyBytes bounds a key (keys are 1 to MaxKeyBytes bytes).
	MaxKeyBytes int
	// MaxValueBytes bounds a value (0 to MaxValueBytes bytes).
	MaxValueBytes int
}

// DefaultKVLimits suit a testnet's demo workload with room to spare.
func DefaultKVLimits() KVLimits {
	return KVLimits{MaxOps: 1024, MaxKeyBytes: 1024, MaxValueBytes: 64 << 10}
}

// AppendKVTx appends the canonical encoding of a transaction of ops to dst:
//
//	1 byte    version (KVTxVersion)
//	uvarint   operation count (>= 1)
//	per operation:
//	  1 byte  kind: 1 set, 2 delete
//	  uvarint key length (>= 1), key bytes
//	  set only: uvarint value length, value bytes
//
// Uvarints are minimal, and nothing may follow the last operation, so every
// transaction has exactly one encoding.
func AppendKVTx(dst []byte, ops ...KVOp) []byte {
	dst = append(dst, KVTxVersion)
	dst = binary.AppendUvarint(dst, uint64(len(ops)))
	for _, op := range ops {
		dst = append(dst, op.Kind)
		dst = binary.AppendUvarint(dst, uint64(len(op.Key)))
		dst = append(dst, op.Key...)
		if op.Kind == KVSet {
			dst = binary.AppendUvarint(dst, uint64(len(op.Value)))
			dst = append(dst, op.Value...)
		}
	}
	return dst
}

// DecodeKVTx parses a KV transaction strictly. Keys and values alias data.
// Errors are *TxError with reason "malformed" or "too-large".
func DecodeKVTx(data []byte, lim KVLimits) ([]KVOp, error) {
	r := txReader{buf: data}
	if v := r.byte(); r.err == nil && v != KVTxVersion {
		return nil, malformed(fmt.Sprintf("version %d", v))
	}
	n := r.count(lim.MaxOps, "operation count")
	if r.err == nil && n == 0 {
		return nil, malformed("no operations")
	}
	// Every operation takes at least 3 bytes (kind, length, key byte), which
	// count() already bounds by the bytes left, so this allocation is bounded
	// by the input size.
	ops := make([]KVOp, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		op := KVOp{Kind: r.byte()}
		if r.err == nil && op.Kind != KVSet && op.Kind != KVDelete {
			return nil, malformed(fmt.Sprintf("operation %d has kind %d", i, op.Kind))
		}
		op.Key = r.bytes(r.count(lim.MaxKeyBytes, "key length"))
		if r.err == nil && len(op.Key) == 0 {
			return nil, malformed(fmt.Sprintf("operation %d has an empty key", i))
		}
		if op.Kind == KVSet {
			op.Value = r.bytes(r.count(lim.MaxValueBytes, "value length"))
		}
		ops = append(ops, op)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.buf) != 0 {
		return nil, malformed(fmt.Sprintf("%d trailing bytes", len(r.buf)))
	}
	return ops, nil
}

func malformed(detail string) *TxError { return &TxError{Reason: "malformed", Detail: detail} }

// txReader parses with a sticky error, like chain/block's reader.
type txReader struct {
	buf []byte
	err error
}

func (r *txReader) fail(e *TxError) {
	if r.err == nil {
		r.err = e
	}
	r.buf = nil
}

func (r *txReader) byte() byte {
	b := r.bytes(1)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func (r *txReader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.buf) {
		r.fail(malformed(fmt.Sprintf("truncated: need %d bytes, have %d", n, len(r.buf))))
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

// count reads a minimal uvarint of at most limit and at most the bytes left.
func (r *txReader) count(limit int, what string) int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail(malformed("truncated " + what))
		return 0
	}
	if n != len(binary.AppendUvarint(nil, v)) {
		r.fail(malformed(what + " is not minimally encoded"))
		return 0
	}
	r.buf = r.buf[n:]
	if v > uint64(limit) {
		r.fail(&TxError{Reason: "too-large", Detail: fmt.Sprintf("%s %d, limit %d", what, v, limit)})
		return 0
	}
	if v > uint64(len(r.buf)) {
		r.fail(malformed(fmt.Sprintf("%s %d with %d bytes left", what, v, len(r.buf))))
		return 0
	}
	return int(v)
}
