package sim

import (
	"crypto/ed25519"
	"encoding/binary"
	"math/rand/v2"

	"github.com/blockwire/blockwire/chain/block"
)

// keyring holds every node's ed25519 key, derived from the run's seed so a
// seed names one set of producers.
type keyring struct {
	priv []ed25519.PrivateKey
	pub  []block.PublicKey
}

func newKeyring(n int, rng *rand.Rand) *keyring {
	k := &keyring{priv: make([]ed25519.PrivateKey, n), pub: make([]block.PublicKey, n)}
	for i := range k.priv {
		var seed [ed25519.SeedSize]byte
		for j := 0; j < len(seed); j += 8 {
			binary.LittleEndian.PutUint64(seed[j:], rng.Uint64())
		}
		k.priv[i] = ed25519.NewKeyFromSeed(seed[:])
		copy(k.pub[i][:], k.priv[i].Public().(ed25519.PublicKey))
	}
	return k
}

// factory seals blocks. Every body shares one payload slice of the
// configured size (blocks are immutable, so sharing is safe) plus an 8-byte
// tag that makes each block's transaction root unique.
type factory struct {
	keys    *keyring
	payload []byte
}

func (f *factory) genesis() *block.Block {
	return f.seal(block.Header{Height: 1}, 0, f.payload[:0], 0)
}

// seal makes a block by producer over parent. tag distinguishes equivocating
// twins and fabricated blocks.
func (f *factory) seal(h block.Header, producer int, payload []byte, tag uint64) *block.Block {
	txs := [][]byte{binary.BigEndian.AppendUint64(nil, tag)}
	if len(payload) > 0 {
		txs = append(txs, payload)
	}
	b, err := block.Seal(h, txs, nil, f.keys.priv[producer])
	if err != nil {
		// Seal fails only for a malformed key, which newKeyring never makes.
		panic("sim: sealing with a generated key: " + err.Error())
	}
	return b
}

// child builds the block producer makes on top of parent in the given slot.
func (f *factory) child(parent *block.SignedHeader, producer int, term, slot uint64, irreversible block.ID, ts int64, twin uint64) *block.Block {
	h := block.Header{
		Height:       parent.Height + 1,
		Parent:       parent.ID(),
		Term:         term,
		Timestamp:    ts,
		Irreversible: irreversible,
	}
	return f.seal(h, producer, f.payload, slot<<1|twin)
}
