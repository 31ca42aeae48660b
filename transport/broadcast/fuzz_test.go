package broadcast

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func fuzzDecoder(f *testing.F, t Type, seeds ...Frame) {
	for _, s := range seeds {
		f.Add(s.AppendTo(nil)[2:])
	}
	f.Fuzz(func(tt *testing.T, body []byte) {
		data := append([]byte{Version, byte(t)}, body...)
		fr, err := Decode(data, DefaultLimits())
		if err != nil {
			require.ErrorIs(tt, err, ErrPeer)
			return
		}
		require.Equal(tt, data, fr.AppendTo(nil), "decode then encode is the identity")
		require.Equal(tt, len(data), fr.Size())
	})
}

func samplePush() *Push {
	m := &Message{Topic: 3, Origin: NodeID{1}, Seq: 77, Payload: []byte("payload")}
	return &Push{Reply: true, Scope: ScopeDirect, Msg: m}
}

func FuzzDecodePush(f *testing.F) { fuzzDecoder(f, TypePush, samplePush()) }
func FuzzDecodeIHave(f *testing.F) {
	fuzzDecoder(f, TypeIHave, &IHave{Items: []Announce{{Origin: NodeID{1}, Digest: Digest{2}}}})
}
func FuzzDecodePrune(f *testing.F) { fuzzDecoder(f, TypePrune, &Prune{Origin: NodeID{3}}) }
func FuzzDecodePull(f *testing.F) {
	fuzzDecoder(f, TypePull, &Pull{Graft: true, Origin: NodeID{4}, Digest: Digest{5}})
}
func FuzzDecodeMissing(f *testing.F) { fuzzDecoder(f, TypeMissing, &Missing{Digest: Digest{6}}) }

// opsEngine drives one engine (node 0 of 4 linked peers) with operations
// read from data, checking every invariant (budgets, refcounts, bounds)
// after every step. Peers send real signed messages, garbage, duplicates,
// announcements, pulls and replies; time moves forward.
func opsEngine(t require.TestingT, data []byte) {
	keys := []int{0, 1, 2, 3}
	var ids []NodeID
	for _, k := range keys {
		ids = append(ids, idOf(testKey(k)))
	}
	c := testConfig(0)
	c.DequeSize = 4
	c.PeerBytes = 600
	c.CacheBytes = 1000
	c.MaxFetches, c.MaxAnnouncedPerPeer, c.MaxInflightPerPeer = 8, 5, 2
	c.MaxWaiters, c.MaxDeferred, c.DeferBytes = 6, 3, 700
	c.Limits.MaxPayload = 512
	c.Topics = map[Topic]TopicConfig{testTopic: {MaxSize: 256, Validator: func(_ NodeID, _ Topic, p []byte) Verdict {
		if len(p) == 0 {
			return Accept
		}
		return Verdict(p[0] % 4)
	}}}
	c.ServeBurst = 4 * (pushFixedLen + 512)
	now := epoch
	e, err := New(c, now)
	require.NoError(t, err)
	for _, id := range ids[1:] {
		e.AddLink(now, id)
	}
	e.SetPrimary(now, ids)
	var msgs []*Message
	var digests []Digest
	next := func(n int) []byte {
		if len(data) < n {
			data = nil
			return make([]byte, n)
		}
		b := data[:n]
		data = data[n:]
		return b
	}
	for len(data) > 0 {
		op := next(3)
		peer := ids[1+int(op[1])%3]
		pick := func() Digest {
			if len(digests) == 0 {
				return Digest{op[2]}
			}
			return digests[int(op[2])%len(digests)]
		}
		switch op[0] % 12 {
		case 0: // a peer originates a signed message
			size := int(op[2]) % 300
			m := &Message{Topic: testTopic, Origin: peer, Seq: uint64(now.UnixMilli())<<16 + uint64(len(msgs)), Payload: make([]byte, size)}
			if size > 0 {
				m.Payload[0] = op[1]
			}
			m.Sign(testKey(1 + int(op[1])%3))
			msgs = append(msgs, m)
			digests = append(digests, m.Digest())
			_ = e.Step(now, peer, &Push{Msg: m})
		case 1: // a peer relays a known message (duplicate or first copy)
			if len(msgs) > 0 {
				_ = e.Step(now, peer, &Push{Msg: msgs[int(op[2])%len(msgs)]})
			}
		case 2:
			_ = e.Receive(now, peer, next(int(op[2])%64))
		case 3:
			_ = e.Step(now, peer, &IHave{Items: []Announce{{Origin: peer, Digest: pick()}}})
		case 4:
			_ = e.Step(now, peer, &Pull{Graft: op[2]%2 == 0, Origin: peer, Digest: pick()})
		case 5:
			if len(msgs) > 0 {
				_ = e.Step(now, peer, &Push{Reply: true, Msg: msgs[int(op[2])%len(msgs)]})
			}
		case 6:
			_ = e.Step(now, peer, &Missing{Digest: pick()})
		case 7:
			id, err := e.Subscribe(now, pick())
			if err == nil && op[2]%2 == 0 {
				e.Cancel(id)
			}
		case 8:
			d, _, err := e.Broadcast(now, testTopic, make([]byte, int(op[2])), All())
			if err == nil {
				digests = append(digests, d)
			}
		case 9:
			now = now.Add(time.Duration(binary.BigEndian.Uint16(next(2))) * time.Millisecond)
			e.Tick(now)
		case 10:
			var set []NodeID
			for i, id := range ids {
				if op[2]&(1<<i) != 0 {
					set = append(set, id)
				}
			}
			e.SetPrimary(now, set)
		case 11:
			e.Revalidate(now)
			if op[2]%4 == 0 {
				e.RemoveLink(now, peer)
				e.AddLink(now, peer)
			}
		}
		require.NoError(t, e.check())
		require.LessOrEqual(t, e.cache.bytes, c.CacheBytes)
		if e.HasReady() {
			rd := e.Ready()
			for _, m := range rd.Messages {
				require.NotEqual(t, e.ID(), m.To)
			}
			e.Advance()
		}
	}
}

// FuzzEngineSequence: random message sequences never panic and never
// break an invariant.
func FuzzEngineSequence(f *testing.F) {
	f.Add([]byte{0, 0, 10, 1, 1, 0, 3, 2, 5, 9, 0, 0, 1, 0, 250, 4, 1, 0})
	f.Add([]byte{8, 0, 100, 7, 0, 0, 3, 1, 1, 9, 0, 0, 3, 0, 200, 9, 2, 0})
	f.Fuzz(func(t *testing.T, data []byte) { opsEngine(t, data) })
}

// TestEngineOperationsKeepInvariants is the same operation sequences drawn
// by rapid (so `go test` runs many without -fuzz).
func TestEngineOperationsKeepInvariants(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		opsEngine(rt, rapid.SliceOfN(rapid.Byte(), 3, 600).Draw(rt, "ops"))
	})
}

func TestWireRoundTrip(t *testing.T) {
	for _, f := range []Frame{samplePush(), &Push{Msg: &Message{Payload: []byte{}}},
		&IHave{Items: []Announce{{Origin: NodeID{1}, Digest: Digest{2}}, {Origin: NodeID{3}, Digest: Digest{4}}}},
		&Prune{Origin: NodeID{3}}, &Pull{Origin: NodeID{4}, Digest: Digest{5}}, &Missing{Digest: Digest{6}}} {
		b := f.AppendTo(nil)
		require.Len(t, b, f.Size())
		got, err := Decode(b, DefaultLimits())
		require.NoError(t, err, "%T", f)
		require.Equal(t, b, got.AppendTo(nil))
		_, err = Decode(append(b, 0), DefaultLimits())
		require.ErrorIs(t, err, ErrPeer, "%T with a trailing byte", f)
		_, err = Decode(b[:len(b)-1], DefaultLimits())
		require.ErrorIs(t, err, ErrPeer, "%T truncated", f)
	}
	bad := [][]byte{nil, {2, 1}, {1, 0}, {1, 99},
		append([]byte{1, 1, 0x80}, make([]byte, pushFixedLen-3)...), // unknown flag
		append([]byte{1, 1, 0x06}, make([]byte, pushFixedLen-3)...), // scope 3
		{1, 2, 0, 0}, // empty ihave
		append([]byte{1, 4, 2}, make([]byte, pullLen-3)...), // unknown pull flag
	}
	for i, b := range bad {
		_, err := Decode(b, DefaultLimits())
		require.ErrorIs(t, err, ErrPeer, "case %d", i)
	}
	big := (&Push{Msg: &Message{Payload: make([]byte, 100)}}).AppendTo(nil)
	_, err := Decode(big, Limits{MaxPayload: 99, MaxAnnounce: 1})
	var pe *Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, ReasonOversized, pe.Reason)
}
