package link

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// idleSession is a session whose writers do not run, so that a test sees
// which of them each event wakes.
func idleSession(t *testing.T) *session {
	t.Helper()
	cfg := DefaultConnConfig()
	h := newHub(PeerID("local"), cfg, nil, zerolog.Nop())
	return &session{
		sessionParams: sessionParams{remote: PeerID("remote"), transport: "quic"},
		hub:           h,
		cfg:           &h.cfg,
		space:         make(chan struct{}),
		wake:          make(chan struct{}, 1),
		wakeBulk:      make(chan struct{}, 1),
		closing:       make(chan struct{}),
		core:          newSessCore(&h.cfg, h.cfg.QUICBulkWindow, 0, time.Now()),
	}
}

// woken reports and clears the pending wake-ups of both writers.
func woken(s *session) (prio, bulk bool) {
	select {
	case <-s.wake:
		prio = true
	default:
	}
	select {
	case <-s.wakeBulk:
		bulk = true
	default:
	}
	return prio, bulk
}

// TestWakeOnlyTheWriterWithWork checks that a vote, a PONG due and a
// credit grant to send wake the priority writer only, and that blocks
// queued or credit received wake the bulk writer only (issue 14). Before,
// every one of them woke both writers: on a vote the idle bulk writer,
// readied last, ran first and pushed the priority writer behind a flood's
// goroutines in the run queue.
func TestWakeOnlyTheWriterWithWork(t *testing.T) {
	s := idleSession(t)

	require.NoError(t, s.Send(LaneConsensus, []byte("vote")))
	prio, bulk := woken(s)
	require.True(t, prio, "a vote wakes the priority writer")
	require.False(t, bulk, "a vote must not wake the bulk writer")

	require.NoError(t, s.Send(LaneRouting, []byte("route")))
	prio, bulk = woken(s)
	require.True(t, prio)
	require.False(t, bulk, "a routing message must not wake the bulk writer")

	require.NoError(t, s.Send(LaneBlocks, []byte("block")))
	prio, bulk = woken(s)
	require.False(t, prio, "a block must not wake the priority writer")
	require.True(t, bulk)

	var nonce [8]byte
	require.NoError(t, s.control(framePing, nonce[:]))
	prio, bulk = woken(s)
	require.True(t, prio, "a PONG to send wakes the priority writer")
	require.False(t, bulk)

	credit := binary.AppendUvarint([]byte{byte(LaneBlocks)}, 64<<10) // a CREDIT frame's payload
	require.NoError(t, s.control(frameCredit, credit))
	prio, bulk = woken(s)
	require.False(t, prio, "credit received must not wake the priority writer")
	require.True(t, bulk, "credit received wakes the bulk writer")

	cons := &writeCounter{}
	s.streams[LaneConsensus] = cons
	s.grant(LaneBlocks, 64<<10) // consMu is free: written directly, no writer woken
	require.Len(t, cons.writes, 1)
	prio, bulk = woken(s)
	require.False(t, prio)
	require.False(t, bulk)
	s.consMu.Lock() // the writer holds the stream: the grant is queued for it
	s.grant(LaneBlocks, 64<<10)
	s.consMu.Unlock()
	prio, bulk = woken(s)
	require.True(t, prio, "a queued CREDIT frame wakes the priority writer")
	require.False(t, bulk)
}
