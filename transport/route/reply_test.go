package route

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// replyNet is a line 0 - 1 - 2 - 3 where only node 3 is routable (a leader
// at the end of a line of full nodes) and ClassTransaction expects replies.
func replyNet(t *testing.T, cfg func(c *Config)) *tnet {
	nt := newNet(t, 4, func(i int, c *Config) {
		c.Routable = i == 3
		c.ReplyClasses = []Class{ClassTransaction}
		if cfg != nil {
			cfg(c)
		}
	})
	for i := 0; i < 3; i++ {
		nt.connect(i, i+1, 5*ms)
	}
	nt.run(time.Second)
	return nt
}

func TestReplyFollowsTheReversePathToAnUnroutableOrigin(t *testing.T) {
	nt := replyNet(t, nil)
	_, ok := nt.nodes[3].NextHop(nt.ids[0])
	require.False(t, ok, "the origin is not routable")
	seq := nt.send(0, 3, ClassTransaction, []byte("tx"), 100*ms)
	require.Len(t, nt.delivered[3], 1)
	d := nt.delivered[3][0]

	require.NoError(t, nt.nodes[3].Reply(nt.now, d.Origin, d.Seq, d.Class, []byte("accepted")))
	nt.flush(3)
	nt.run(100 * ms)
	require.Equal(t, []ReplyDelivery{{Replier: nt.ids[3], Class: ClassTransaction, Seq: seq, Payload: []byte("accepted")}}, nt.replies[0])
	require.EqualValues(t, 2, nt.nodes[1].Stats().RepliesForwarded+nt.nodes[2].Stats().RepliesForwarded)

	// One answer per message: the entries are consumed.
	err := nt.nodes[3].Reply(nt.now, d.Origin, d.Seq, d.Class, []byte("again"))
	require.ErrorIs(t, err, ErrPeer)
	require.ErrorContains(t, err, string(ReasonNoReversePath))
	for i := range nt.nodes {
		require.Empty(t, nt.nodes[i].paths, "node %d holds no entry after the reply", i)
	}
}

func TestReplyNeedsALiveEntryOfAReplyClass(t *testing.T) {
	nt := replyNet(t, func(c *Config) { c.ReplyTTL = 500 * ms })
	// A class without replies leaves no path.
	nt.send(0, 3, ClassApp, []byte("app"), 100*ms)
	d := nt.delivered[3][0]
	require.ErrorIs(t, nt.nodes[3].Reply(nt.now, d.Origin, d.Seq, d.Class, nil), ErrPeer)

	// An entry expires after ReplyTTL.
	nt.send(0, 3, ClassTransaction, []byte("tx"), time.Second)
	d = nt.delivered[3][1]
	err := nt.nodes[3].Reply(nt.now, d.Origin, d.Seq, d.Class, []byte("late"))
	require.ErrorContains(t, err, string(ReasonNoReversePath))
	for i := range nt.nodes {
		require.Empty(t, nt.nodes[i].paths, "node %d dropped its expired entry", i)
	}
}

func TestForgedRepliesAreDroppedOrPenalized(t *testing.T) {
	nt := replyNet(t, nil)
	seq := nt.send(0, 3, ClassTransaction, []byte("tx"), 100*ms)

	// Relay 1 answers in its own name: signed, but not by the destination.
	forged := &Reply{Class: ClassTransaction, HopLimit: 8, Replier: nt.ids[1], To: nt.ids[0], Seq: seq, Payload: []byte("accepted")}
	signReply(nt.keys[1], forged)
	require.NoError(t, nt.nodes[0].Step(nt.now, nt.ids[1], forged))
	rd := nt.nodes[0].Ready()
	require.Empty(t, rd.Replies)
	require.Equal(t, ReasonNoReversePath, rd.Dropped[0].Reason)
	nt.nodes[0].Advance()

	// Relay 1 claims the destination's answer with a payload it chose: the
	// signature fails and the relay pays.
	altered := &Reply{Class: ClassTransaction, HopLimit: 8, Replier: nt.ids[3], To: nt.ids[0], Seq: seq, Payload: []byte("rejected")}
	signReply(nt.keys[1], altered)
	require.NoError(t, nt.nodes[0].Step(nt.now, nt.ids[1], altered))
	rd = nt.nodes[0].Ready()
	require.Empty(t, rd.Replies)
	require.Equal(t, ReasonBadSignature, rd.Penalties[0].Err.Reason)
	require.Equal(t, nt.ids[1], rd.Penalties[0].Peer)
	nt.nodes[0].Advance()

	// The destination's own answer still gets through: the entries were
	// kept for it.
	d := nt.delivered[3][0]
	require.NoError(t, nt.nodes[3].Reply(nt.now, d.Origin, d.Seq, d.Class, []byte("accepted")))
	nt.flush(3)
	nt.run(100 * ms)
	require.Len(t, nt.replies[0], 1)

	// A reply to a message nobody sent is dropped with the reason.
	unknown := &Reply{Class: ClassTransaction, HopLimit: 8, Replier: nt.ids[3], To: nt.ids[0], Seq: seq + 1}
	signReply(nt.keys[3], unknown)
	require.NoError(t, nt.nodes[2].Step(nt.now, nt.ids[3], unknown))
	rd = nt.nodes[2].Ready()
	require.Empty(t, rd.Messages)
	require.Equal(t, ReasonNoReversePath, rd.Dropped[0].Reason)
}

func TestReplyPathsAreBoundedInCount(t *testing.T) {
	nt := replyNet(t, func(c *Config) { c.MaxReplyPaths = 2 })
	for i := 0; i < 3; i++ {
		_, err := nt.nodes[0].Send(nt.now, nt.ids[3], ClassTransaction, []byte{byte(i)})
		require.NoError(t, err)
		nt.flush(0)
	}
	nt.run(100 * ms)
	require.Len(t, nt.delivered[3], 3)
	for i := range nt.nodes {
		require.LessOrEqual(t, len(nt.nodes[i].paths), 2)
	}
	require.EqualValues(t, 1, nt.nodes[0].Stats().ReplyPathsEvicted)
	// The oldest is gone, the newest answers.
	d0, d2 := nt.delivered[3][0], nt.delivered[3][2]
	require.Error(t, nt.nodes[3].Reply(nt.now, d0.Origin, d0.Seq, d0.Class, nil))
	require.NoError(t, nt.nodes[3].Reply(nt.now, d2.Origin, d2.Seq, d2.Class, nil))
	nt.flush(3)
	nt.run(100 * ms)
	require.Len(t, nt.replies[0], 1)
}

func TestSetRoutableAnnouncesAndRetracts(t *testing.T) {
	admit := map[NodeID]bool{}
	nt := newLine(t, 3, func(i int, c *Config) {
		c.Routable = false
		c.Admit = func(id NodeID) bool { return admit[id] }
	})
	require.Equal(t, -1, nt.nextHop(0, 2))

	admit[nt.ids[2]] = true
	nt.nodes[2].SetRoutable(nt.now, true)
	nt.flush(2)
	nt.run(100 * ms)
	require.Equal(t, []int{0, 1, 2}, nt.path(0, 2))

	nt.nodes[2].SetRoutable(nt.now, false)
	nt.flush(2)
	nt.run(100 * ms)
	require.Equal(t, -1, nt.nextHop(0, 2), "retracted at once, not after the route expiry")

	// Admit refuses a destination that still announces itself: Readmit
	// drops its routes without waiting for the expiry.
	nt.nodes[2].SetRoutable(nt.now, true)
	nt.flush(2)
	nt.run(100 * ms)
	require.Equal(t, 1, nt.nextHop(0, 2))
	admit[nt.ids[2]] = false
	nt.nodes[0].Readmit(nt.now)
	nt.flush(0)
	require.Equal(t, -1, nt.nextHop(0, 2))
}

func TestReplyClassDestinationAnswersInsteadOfValidating(t *testing.T) {
	nt := replyNet(t, nil)
	for i := range nt.nodes {
		nt.nodes[i].SetValidator(ClassTransaction, func(NodeID, Class, []byte) Verdict { return Reject })
	}
	// From the destination's neighbour: delivered (the consumer answers).
	nt.send(2, 3, ClassTransaction, []byte("bad"), 100*ms)
	require.Len(t, nt.delivered[3], 1)
	require.Empty(t, nt.penalties[3])
	// Through a relay: the relay validates and refuses.
	nt.send(0, 3, ClassTransaction, []byte("bad"), 100*ms)
	require.Len(t, nt.delivered[3], 1)
	require.Equal(t, ReasonRejected, nt.penalties[1][0].Err.Reason)
}
