package route

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The signature-check rule (doc.go, "Signature checks"): a data message or
// reply is checked unless it comes straight from its signer over the
// authenticated link AND ends here. These tests pin both halves: what is
// skipped, and that nothing forged gets through.

// forgedData is a message claiming origin 0, addressed to dests, whose
// signature is garbage (no one signed it).
func forgedData(nt *tnet, dests ...int) *Data {
	m := &Data{Class: ClassApp, HopLimit: 4, Origin: nt.ids[0], Seq: uint64(nt.now.UnixMilli()) << 16,
		Remaining: make([]byte, bitmapLen(len(dests))), Payload: []byte("forged")}
	for i, d := range dests {
		m.Dests = append(m.Dests, nt.ids[d])
		m.Remaining[i/8] |= 1 << (i % 8)
	}
	m.Sig[0] = 1
	return m
}

func TestDataFromItsOriginEndingHereIsNotVerifiedAgain(t *testing.T) {
	nt := newNet(t, 2, nil)
	nt.connect(0, 1, 5*ms)
	nt.run(time.Second)
	before := nt.nodes[1].Stats().Verifications
	nt.send(0, 1, ClassApp, []byte("x"), 100*ms)
	require.Len(t, nt.delivered[1], 1)
	require.Equal(t, before, nt.nodes[1].Stats().Verifications, "the link authenticated the origin")
}

func TestForgedDataFromANonOriginNeighbourIsRefused(t *testing.T) {
	// 1 claims to relay a message from 0 that 0 never signed: 2 verifies
	// it (the neighbour is not the origin) and blames 1.
	nt := newLine(t, 3, nil)
	before := nt.nodes[2].Stats().Verifications
	require.NoError(t, nt.nodes[2].Step(nt.now, nt.ids[1], forgedData(nt, 2)))
	rd := nt.nodes[2].Ready()
	require.Empty(t, rd.Delivered)
	require.Len(t, rd.Penalties, 1)
	require.Equal(t, ReasonBadSignature, rd.Penalties[0].Err.Reason)
	require.Equal(t, nt.ids[1], rd.Penalties[0].Peer)
	require.Equal(t, before+1, nt.nodes[2].Stats().Verifications)
}

func TestRelayedDataIsVerifiedByTheDestination(t *testing.T) {
	// A genuine message from 0 reaching 2 through 1: both 1 (it forwards)
	// and 2 (its neighbour is not the origin) check it.
	nt := newLine(t, 3, nil)
	v1, v2 := nt.nodes[1].Stats().Verifications, nt.nodes[2].Stats().Verifications
	nt.send(0, 2, ClassApp, []byte("x"), 100*ms)
	require.Len(t, nt.delivered[2], 1)
	require.Equal(t, v1+1, nt.nodes[1].Stats().Verifications, "the first hop forwards, so it checks")
	require.Equal(t, v2+1, nt.nodes[2].Stats().Verifications, "the destination's neighbour is not the origin")
}

func TestTheFirstHopVerifiesBeforeForwarding(t *testing.T) {
	// The origin itself sends 1 a badly signed message for 2 (and for 1
	// and 2 together): 1 must forward it, so it checks, refuses it and
	// blames the origin, and 2 never sees it.
	for _, dests := range [][]int{{2}, {1, 2}} {
		nt := newLine(t, 3, nil)
		require.NoError(t, nt.nodes[1].Step(nt.now, nt.ids[0], forgedData(nt, dests...)))
		rd := nt.nodes[1].Ready()
		require.Empty(t, rd.Delivered)
		require.Empty(t, rd.Messages)
		require.Len(t, rd.Penalties, 1)
		require.Equal(t, ReasonBadSignature, rd.Penalties[0].Err.Reason)
		require.Equal(t, nt.ids[0], rd.Penalties[0].Peer)
	}
}

func TestRepliesAreVerifiedUnlessStraightFromTheReplier(t *testing.T) {
	// Line 0-1-2-3 (replyNet): 3 answers 0 through 2 and 1, which check
	// the reply, as does 0 (its neighbour 1 is not the replier). Then 2
	// submits to 3 directly: 3's answer reaches 2 unverified.
	nt := replyNet(t, nil)
	var replies []*Reply // what 3 sends
	nt.hook = func(from, _ int, b []byte) []byte {
		if from == 3 && Type(b[1]) == TypeReply {
			m, err := Decode(b, DefaultLimits())
			require.NoError(t, err)
			replies = append(replies, m.(*Reply))
		}
		return b
	}
	seq := nt.send(0, 3, ClassTransaction, []byte("tx"), 100*ms)
	require.Len(t, nt.delivered[3], 1)
	v := []uint64{nt.nodes[0].Stats().Verifications, nt.nodes[1].Stats().Verifications, nt.nodes[2].Stats().Verifications}
	require.NoError(t, nt.nodes[3].Reply(nt.now, nt.ids[0], seq, ClassTransaction, []byte("ok")))
	nt.flush(3)
	nt.run(100 * ms)
	require.Len(t, nt.replies[0], 1)
	for i := range 3 {
		require.Equal(t, v[i]+1, nt.nodes[i].Stats().Verifications, "node %d", i)
	}

	seq = nt.send(2, 3, ClassTransaction, []byte("tx2"), 100*ms)
	require.Len(t, nt.delivered[3], 2)
	v2 := nt.nodes[2].Stats().Verifications
	require.NoError(t, nt.nodes[3].Reply(nt.now, nt.ids[2], seq, ClassTransaction, []byte("ok")))
	nt.flush(3)
	nt.run(100 * ms)
	require.Len(t, nt.replies[2], 1)
	require.Equal(t, v2, nt.nodes[2].Stats().Verifications, "straight from the replier, ending here")
	require.Len(t, replies, 2)
	require.True(t, verifyReply(replies[0]), "relayed: signed")
	require.Equal(t, [sigLen]byte{}, replies[1].Sig, "straight to the origin: unsigned")
}

func TestAForgedReplyFromARelayIsRefused(t *testing.T) {
	// 1 forges 3's answer to 0's message: 0 verifies (1 is not the
	// replier) and blames 1.
	nt := replyNet(t, nil)
	seq := nt.send(0, 3, ClassTransaction, []byte("tx"), 100*ms)
	m := &Reply{Class: ClassTransaction, HopLimit: 4, Replier: nt.ids[3], To: nt.ids[0], Seq: seq, Payload: []byte("ok")}
	m.Sig[0] = 1
	require.NoError(t, nt.nodes[0].Step(nt.now, nt.ids[1], m))
	rd := nt.nodes[0].Ready()
	require.Empty(t, rd.Replies)
	require.Len(t, rd.Penalties, 1)
	require.Equal(t, ReasonBadSignature, rd.Penalties[0].Err.Reason)
	require.Equal(t, nt.ids[1], rd.Penalties[0].Peer)
}

func TestTheOriginSignsOnlyCopiesWithLaterHops(t *testing.T) {
	// Line 0-1-2. Every data frame 0 sends is decoded: a copy for 1 alone
	// goes unsigned (1 will not check it), a copy for 2 through 1, or for
	// 1 and 2, carries a valid signature.
	nt := newLine(t, 3, nil)
	var sent []*Data
	nt.hook = func(from, _ int, b []byte) []byte {
		if from == 0 && Type(b[1]) == TypeData {
			m, err := Decode(b, DefaultLimits())
			require.NoError(t, err)
			sent = append(sent, m.(*Data))
		}
		return b
	}
	for _, dests := range [][]NodeID{{nt.ids[1]}, {nt.ids[2]}, {nt.ids[1], nt.ids[2]}} {
		_, err := nt.nodes[0].Multicast(nt.now, dests, ClassApp, []byte("x"))
		require.NoError(t, err)
		nt.flush(0)
		nt.run(100 * ms)
	}
	require.Len(t, sent, 3)
	require.Equal(t, [sigLen]byte{}, sent[0].Sig, "straight to its only destination: unsigned")
	require.True(t, verifyData(sent[1]), "relayed: signed")
	require.True(t, verifyData(sent[2]), "1 forwards it to 2: signed")
	require.Len(t, nt.delivered[1], 2)
	require.Len(t, nt.delivered[2], 2)
	for i := range nt.penalties {
		require.Empty(t, nt.penalties[i], "node %d", i)
	}
}

func TestAnUnsignedCopyFromANonOriginIsRefused(t *testing.T) {
	// 1 captures 0's unsigned copy and hands it to 2 as if relaying it:
	// 2's neighbour is not the origin, so it checks, and blames 1.
	nt := newLine(t, 3, nil)
	var captured []byte
	nt.hook = func(from, _ int, b []byte) []byte {
		if from == 0 && Type(b[1]) == TypeData {
			captured = append([]byte(nil), b...)
		}
		return b
	}
	nt.send(0, 1, ClassApp, []byte("x"), 100*ms)
	m, err := Decode(captured, DefaultLimits())
	require.NoError(t, err)
	d := m.(*Data)
	d.Dests = []NodeID{nt.ids[2]}
	require.NoError(t, nt.nodes[2].Step(nt.now, nt.ids[1], d))
	rd := nt.nodes[2].Ready()
	require.Empty(t, rd.Delivered)
	require.Len(t, rd.Penalties, 1)
	require.Equal(t, ReasonBadSignature, rd.Penalties[0].Err.Reason)
	require.Equal(t, nt.ids[1], rd.Penalties[0].Peer)
}
