package link

import (
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// Issue 11 review: what a host remembers about peers is bounded. 10,000
// identities that each connected once and were charged once leave at most
// maxPeerRecords records and scores; a ban is kept however old. On the old
// code both maps held all 10,000.
func TestPeerRecordsAndScoresArePruned(t *testing.T) {
	h := newHub("self", DefaultConnConfig(), nil, zerolog.Nop())
	h.Ban("banned-early", time.Hour, "operator")
	for i := range 10_000 {
		p := PeerID(fmt.Sprintf("peer-%05d", i))
		h.Penalize(p, ReasonDecode, "garbage")
		h.mu.Lock()
		h.recordLocked(p, ReasonDecode, nil)
		h.mu.Unlock()
	}
	h.mu.Lock()
	records, scored := len(h.records), len(h.scores.score)
	_, banned := h.scores.bans["banned-early"]
	_, newest := h.records["peer-09999"]
	h.mu.Unlock()
	require.LessOrEqual(t, records, maxPeerRecords)
	require.LessOrEqual(t, scored, maxPeerRecords)
	require.True(t, banned, "pruning never lifts a ban")
	require.True(t, newest, "the oldest records go first")
	require.LessOrEqual(t, len(h.Peers()), maxPeerRecords+1)
}

// A peer that grants credit past 2^40 outstanding commits a protocol
// fault; the old code added it to an int64 that could overflow.
func TestCreditOverflowIsAFault(t *testing.T) {
	var s sched
	require.NoError(t, s.addCredit(LaneBlocks, 1<<40))
	err := s.addCredit(LaneBlocks, 1)
	require.Error(t, err)
	require.Equal(t, int64(1<<40), s.credit[LaneBlocks])
}

// One PONG at most is owed: a PING flood from a peer that never reads
// replaces the pending nonce instead of growing the control queue.
func TestPongsCoalesce(t *testing.T) {
	var s sched
	for i := range uint64(1000) {
		s.pong, s.pongDue = i, true
	}
	w, ok := s.next(nil, 64<<10)
	require.True(t, ok)
	require.Len(t, w.buf, 2+8, "one PONG frame")
	require.Equal(t, uint64(999), beUint64(w.buf[2:]))
	_, ok = s.next(nil, 64<<10)
	require.False(t, ok)
}
