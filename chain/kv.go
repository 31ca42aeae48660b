package chain

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/blockwire/blockwire/chain/block"
)

// kvRootDomain separates KV state roots from every other hash in the system.
const kvRootDomain = "blockwire/kv/state/v1"

// KV is the embedded default App: a key-value store whose transactions are
// lists of set and delete operations (see AppendKVTx for the format). It lets
// a testnet do real work out of the box and is the reference App for tests.
//
// State root. The root after a block is
//
//	SHA-256(kvRootDomain || parent root || each net write of the block,
//	        sorted by key: kind byte, uvarint key length, key,
//	        and for a set uvarint value length, value)
//
// and equals the parent's root when the block writes nothing. It is a hash
// chain over the history of state changes, not a Merkle tree over the state:
// it costs O(w log w) for w writes per block and no extra storage, and two
// nodes that agree on a root agree on every write since genesis, hence on
// the state. What it cannot give is a proof of one key's value to a light
// client; a Merkle App can replace KV behind the same App interface when
// that is needed.
//
// KV is immutable after construction and safe to share.
type KV struct {
	limits KVLimits
}

var _ App = (*KV)(nil)

// NewKV returns a KV App that accepts transactions within lim.
func NewKV(lim KVLimits) *KV { return &KV{limits: lim} }

// StartBlock implements App.
func (k *KV) StartBlock(st *State, h *block.Header) (BlockExec, error) {
	return &kvExec{limits: k.limits, st: st, parent: h.StateRoot}, nil
}

// Get reads a key from a state view (Chain.HeadState, Chain.IrreversibleState
// or Chain.StateAt). The value must not be modified.
func (k *KV) Get(r StateReader, key []byte) ([]byte, bool, error) { return r.Get(key) }

type kvExec struct {
	limits KVLimits
	st     *State
	parent block.Hash
}

// ApplyTx decodes the whole transaction before writing anything, so a
// rejected transaction has no effect even without the chain's rollback.
func (e *kvExec) ApplyTx(tx []byte) error {
	ops, err := DecodeKVTx(tx, e.limits)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if op.Kind == KVSet {
			e.st.Set(op.Key, op.Value)
		} else {
			e.st.Delete(op.Key)
		}
	}
	return nil
}

func (e *kvExec) Finish() (block.Hash, error) {
	writes := e.st.Writes()
	if len(writes) == 0 {
		return e.parent, nil
	}
	h := sha256.New()
	h.Write([]byte(kvRootDomain))
	h.Write(e.parent[:])
	var buf []byte
	for _, w := range writes {
		buf = buf[:0]
		if w.Delete {
			buf = append(buf, KVDelete)
		} else {
			buf = append(buf, KVSet)
		}
		buf = binary.AppendUvarint(buf, uint64(len(w.Key)))
		buf = append(buf, w.Key...)
		if !w.Delete {
			buf = binary.AppendUvarint(buf, uint64(len(w.Value)))
			buf = append(buf, w.Value...)
		}
		h.Write(buf)
	}
	var root block.Hash
	copy(root[:], h.Sum(nil))
	return root, nil
}
