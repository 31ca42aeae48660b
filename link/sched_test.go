package link

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSchedPriorityAndCredit(t *testing.T) {
	var s sched
	block := newOutMsg(make([]byte, 100))
	s.push(LaneBlocks, block)
	_, ok := s.next(nil, 16)
	require.False(t, ok, "a bulk lane without credit must not write")

	s.credit[LaneBlocks] = 40
	w, ok := s.next(nil, 16)
	require.True(t, ok)
	require.Equal(t, LaneBlocks, w.lane)
	require.Len(t, w.buf, 16)
	require.Nil(t, w.tail)

	// A consensus message and a control frame arrive mid-block: they go
	// next, the control frame first, and the block resumes after.
	s.push(LaneConsensus, newOutMsg([]byte("vote")))
	s.ctrl = appendPing(s.ctrl, framePong, 1)
	w, _ = s.next(nil, 16)
	require.True(t, w.ctrl)
	w, _ = s.next(nil, 16)
	require.Equal(t, LaneConsensus, w.lane)
	require.Equal(t, 1, w.msgsDone)
	s.push(LaneRouting, newOutMsg([]byte("route")))
	w, _ = s.next(nil, 16)
	require.Equal(t, LaneRouting, w.lane)

	w, _ = s.next(nil, 16)
	require.Equal(t, LaneBlocks, w.lane)
	w, _ = s.next(nil, 16) // 8 bytes of credit left
	require.Len(t, w.buf, 8)
	require.Nil(t, w.tail)
	require.Zero(t, s.credit[LaneBlocks])
	_, ok = s.next(nil, 16)
	require.False(t, ok)
	require.EqualValues(t, block.remaining(), s.queued[LaneBlocks])
}

func TestSchedControlNeverInsideMessage(t *testing.T) {
	var s sched
	s.push(LaneConsensus, newOutMsg(make([]byte, 40)))
	w, _ := s.next(nil, 16)
	require.False(t, w.ctrl)
	s.ctrl = appendPing(s.ctrl, framePing, 1)
	for s.q[LaneConsensus].len() > 0 {
		w, _ = s.next(nil, 16)
		require.False(t, w.ctrl, "control frame written inside a message")
	}
	w, _ = s.next(nil, 16)
	require.True(t, w.ctrl)
}

func TestSchedZeroCopyTail(t *testing.T) {
	var s sched
	data := make([]byte, 3*zeroCopyMin)
	s.push(LaneRouting, newOutMsg(data))
	s.push(LaneRouting, newOutMsg([]byte("next")))
	hdr := len(appendHeader(nil, frameMsg, len(data)))
	w, _ := s.next(nil, 2*zeroCopyMin)
	require.Len(t, w.buf, hdr, "the header is copied")
	require.Len(t, w.tail, 2*zeroCopyMin-hdr)
	require.Same(t, &data[0], &w.tail[0], "the payload is not copied")
	w, _ = s.next(nil, 2*zeroCopyMin)
	require.Len(t, w.tail, zeroCopyMin+hdr)
	require.Equal(t, 1, w.msgsDone, "nothing is packed after a tail")
	w, _ = s.next(nil, 2*zeroCopyMin)
	require.Equal(t, "next", string(w.buf[2:]))
	require.Nil(t, w.tail)
}

func TestSchedBulkRoundRobinAndPacking(t *testing.T) {
	var s sched
	s.credit[LaneBlocks], s.credit[LaneSync] = 1000, 1000
	s.push(LaneBlocks, newOutMsg(make([]byte, 100)))
	s.push(LaneSync, newOutMsg(make([]byte, 100)))
	a, _ := s.next(nil, 32)
	b, _ := s.next(nil, 32)
	require.NotEqual(t, a.lane, b.lane, "bulk lanes alternate per chunk")

	var r sched
	for range 5 {
		r.push(LaneRouting, newOutMsg([]byte("x")))
	}
	w, _ := r.next(nil, 64)
	require.Equal(t, 5, w.msgsDone, "small messages are packed into one write")
	require.Zero(t, r.queued[LaneRouting])
	require.Equal(t, [NumLanes]int{0, 0, 0, 0}, r.clear())
}
