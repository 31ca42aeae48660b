package route

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Check does the ed25519 work outside the Router (precheck.go); these
// tests pin that the Router still judges: a forgery checked outside is
// refused and blamed like one checked inside, a verdict never travels with
// a forwarded copy, and prepared messages are signed when relayed.

func TestCheckedForgeryIsRefusedAndItsSenderBlamed(t *testing.T) {
	nt := newLine(t, 3, nil)
	before := nt.nodes[2].Stats().Verifications
	c := Check(nt.ids[2], nt.ids[1], DefaultLimits(), forgedData(nt, 2).AppendTo(nil))
	require.NoError(t, nt.nodes[2].StepChecked(nt.now, nt.ids[1], c))
	rd := nt.nodes[2].Ready()
	require.Empty(t, rd.Delivered)
	require.Len(t, rd.Penalties, 1)
	require.Equal(t, ReasonBadSignature, rd.Penalties[0].Err.Reason)
	require.Equal(t, nt.ids[1], rd.Penalties[0].Peer)
	require.Equal(t, before+1, nt.nodes[2].Stats().Verifications, "counted like a check inside")
}

func TestCheckedGarbageCostsScore(t *testing.T) {
	nt := newNet(t, 2, nil)
	nt.connect(0, 1, 5*ms)
	nt.run(time.Second)
	c := Check(nt.ids[1], nt.ids[0], DefaultLimits(), []byte{Version, 99, 1, 2})
	err := nt.nodes[1].StepChecked(nt.now, nt.ids[0], c)
	var e *Error
	require.ErrorAs(t, err, &e)
	rd := nt.nodes[1].Ready()
	require.Len(t, rd.Penalties, 1)
	require.Equal(t, nt.ids[0], rd.Penalties[0].Peer)
}

func TestACheckedVerdictIsNotForwarded(t *testing.T) {
	// 1 relays a genuine message from 0 to 2: its copy for 2 carries no
	// verdict, so 2 (stepping the object, not the bytes) verifies again.
	nt := newLine(t, 3, nil)
	p, err := nt.nodes[0].Prepare(nt.now, []NodeID{nt.ids[2]}, ClassApp, []byte("x"))
	require.NoError(t, err)
	require.True(t, p.Relayed)
	p.Sign(nt.keys[0])
	c := Check(nt.ids[1], nt.ids[0], DefaultLimits(), p.m.AppendTo(nil))
	require.Equal(t, sigGood, c.msg.(*Data).sig)
	require.NoError(t, nt.nodes[1].StepChecked(nt.now, nt.ids[0], c))
	rd := nt.nodes[1].Ready()
	require.Len(t, rd.Messages, 1)
	fwd := rd.Messages[0].Msg.(*Data)
	require.Equal(t, sigUnchecked, fwd.sig, "the relay's verdict stays with the relay")
	nt.nodes[1].Advance()
	// Tamper with the forwarded object: 2 must catch it itself.
	fwd.Payload = []byte("y")
	require.NoError(t, nt.nodes[2].Step(nt.now, nt.ids[1], fwd))
	rd2 := nt.nodes[2].Ready()
	require.Empty(t, rd2.Delivered)
	require.Len(t, rd2.Penalties, 1)
}

func TestPreparedMessagesAreSignedOnlyWhenRelayed(t *testing.T) {
	nt := newLine(t, 3, nil)
	near, err := nt.nodes[0].Prepare(nt.now, []NodeID{nt.ids[1]}, ClassApp, []byte("n"))
	require.NoError(t, err)
	require.False(t, near.Relayed, "a neighbour needs no signature")
	near.Sign(nt.keys[0])
	require.Equal(t, [sigLen]byte{}, near.m.Sig)
	far, err := nt.nodes[0].Prepare(nt.now, []NodeID{nt.ids[2]}, ClassApp, []byte("f"))
	require.NoError(t, err)
	require.True(t, far.Relayed)
	far.Sign(nt.keys[0])
	require.True(t, verifyData(far.m))
	for _, p := range []*Prepared{near, far} {
		nt.nodes[0].SendPrepared(nt.now, p)
	}
	nt.flush(0)
	nt.run(200 * ms)
	require.Len(t, nt.delivered[1], 1)
	require.Len(t, nt.delivered[2], 1)
	require.Empty(t, nt.penalties[1])
	require.Empty(t, nt.penalties[2])
}

func TestAnUnsignedPreparedMessageIsSignedWhenItMustBeRelayed(t *testing.T) {
	// The route changed between Prepare and SendPrepared (or the driver
	// skipped Sign): forward signs lazily, as Multicast always did.
	nt := newLine(t, 3, nil)
	p, err := nt.nodes[0].Prepare(nt.now, []NodeID{nt.ids[2]}, ClassApp, []byte("f"))
	require.NoError(t, err)
	nt.nodes[0].SendPrepared(nt.now, p)
	nt.flush(0)
	nt.run(200 * ms)
	require.Len(t, nt.delivered[2], 1)
	require.Empty(t, nt.penalties[1])
}
