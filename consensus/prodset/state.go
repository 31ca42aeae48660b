package prodset

import (
	"encoding/binary"
	"fmt"
)

// Reserved state keys. Every key starting with ReservedPrefix belongs to
// the node; an App must not let transactions write it (the node's wrapper
// refuses such writes by the embedded KV App with reason "reserved-key").
var (
	// ReservedPrefix starts every state key the node writes.
	ReservedPrefix = []byte("\x00blockwire/")
	// SetKey holds the producer set (Set.Encode) after every block that
	// changed it; absent, the genesis set is in force.
	SetKey = []byte("\x00blockwire/producer-set")
	// NonceKey holds the nonce of the last applied change (8 bytes,
	// big-endian); absent, no change was applied (0).
	NonceKey = []byte("\x00blockwire/producer-change-nonce")
)

// ReadSet returns the producer set recorded in st, genesis when none is.
func ReadSet(st State, genesis *Set) (*Set, error) {
	v, ok, err := st.Get(SetKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		return genesis, nil
	}
	return DecodeSet(v)
}

// ReadNonce returns the nonce of the last change applied in st (0: none).
func ReadNonce(st State) (uint64, error) {
	v, ok, err := st.Get(NonceKey)
	if err != nil || !ok {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("prodset: change nonce record of %d bytes", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// EncodeNonce is NonceKey's value for nonce.
func EncodeNonce(nonce uint64) []byte { return binary.BigEndian.AppendUint64(nil, nonce) }
