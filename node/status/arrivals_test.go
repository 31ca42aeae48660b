package status

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func TestPropagationTableEvictsOldest(t *testing.T) {
	var p Arrivals
	for h := range uint64(ArrivalsKept + 10) {
		p.Duplicate(testBlockID(h+1), 1)
	}
	require.Len(t, p.blocks, ArrivalsKept)
	_, ok := p.blocks[testBlockID(1)]
	require.False(t, ok, "the oldest is evicted first")
	p.Duplicate(testBlockID(ArrivalsKept+10), 2)
	require.Equal(t, 3, p.blocks[testBlockID(ArrivalsKept+10)].Copies)
}

// The first copy fixes First, Relay and where it came from; later
// copies only count; Since returns copies sorted by height.
func TestArrivalsRecordTheFirstCopy(t *testing.T) {
	var p Arrivals
	t0 := time.Unix(100, 0)
	b2 := &block.Block{SignedHeader: block.SignedHeader{Header: block.Header{Height: 2, Timestamp: t0.UnixNano()}}}
	b1 := &block.Block{SignedHeader: block.SignedHeader{Header: block.Header{Height: 1, Timestamp: t0.UnixNano()}}}
	p.First(b2, t0.Add(time.Second), false, false, "blocksync")
	p.Via(b2.ID(), "peerA", t0.Add(900*time.Millisecond), 1500*time.Microsecond)
	p.First(b2, t0.Add(2*time.Second), false, true, "gossipsub")
	p.Via(b2.ID(), "peerB", t0.Add(2*time.Second), time.Millisecond)
	p.First(b1, t0.Add(3*time.Second), true, false, "")
	for range maxForwards + 2 {
		p.Forwarded(b1.ID(), "peerC", t0.Add(4*time.Second))
	}
	p.Sent(b1.ID(), t0.Add(5*time.Second))
	p.Irreversible(b1.ID(), t0.Add(6*time.Second))
	p.Irreversible(b1.ID(), t0.Add(7*time.Second))
	p.Duplicate(block.ID{}, 3)

	out := p.Since(0)
	require.Len(t, out, 2)
	a1, a2 := out[0], out[1]
	require.Equal(t, b1.ID(), a1.ID)
	require.True(t, a1.Produced)
	require.Zero(t, a1.Copies, "the producer's own block is no copy")
	require.Len(t, a1.Forwards, maxForwards)
	require.Equal(t, t0.Add(5*time.Second), a1.Sent)
	require.Equal(t, t0.Add(6*time.Second), a1.Irreversible, "the first irreversibility counts")

	require.Equal(t, 2, a2.Copies)
	require.Equal(t, t0.Add(time.Second), a2.First)
	require.Equal(t, "blocksync", a2.Relay)
	require.False(t, a2.CatchingUp)
	require.Equal(t, "peerA", a2.From)
	require.Equal(t, 1.5, a2.AddMs)
	require.Equal(t, t0.UTC(), a2.Timestamp)
	require.Equal(t, b2.EncodedSize(), a2.Size)

	require.Len(t, p.Since(2), 1)
	out[0].Forwards[0].To = "changed"
	require.Equal(t, "peerC", p.Since(0)[0].Forwards[0].To, "Since returns copies")
}

func testBlockID(h uint64) block.ID {
	var id block.ID
	binary.BigEndian.PutUint64(id[:8], h)
	id[31] = 1
	return id
}
