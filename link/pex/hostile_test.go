package pex

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// junkAnswer is a hostile peer's answer: MaxPerAnswer fresh ids at
// addresses nobody listens on, many in one /24.
func junkAnswer(round int) []byte {
	var es []Entry
	for i := range MaxWireEntries / 2 {
		es = append(es, Entry{ID: PeerID(fmt.Sprintf("junk-%d-%d", round, i)), Addrs: []string{fmt.Sprintf("/ip4/10.66.%d.%d/tcp/9", round%200, 1+i)}})
	}
	return Msg{Type: TypeAddrs, Entries: es}.AppendTo(nil)
}

// A peer that answers every request with junk cannot fill the book: its
// unverified entries are capped per source, the failed dials get it
// penalized, and its entries leave the book with the reason shown.
func TestJunkAnswersAreCappedAndPenalized(t *testing.T) {
	now := time.Unix(0, 0)
	cfg := testConfig("me", 7)
	cfg.MaxPerSource, cfg.MaxPerAnswer, cfg.MaxPerGroup = 16, MaxWireEntries/2, 8
	b, err := New(cfg, []string{nodeAddr("10.0.0.1")}, now)
	require.NoError(t, err)
	b.Connected(now, "evil", false, false, "10.6.6.6")
	var penalties []Penalty
	for round := range 40 {
		rd := b.Ready()
		penalties = append(penalties, rd.Penalties...)
		asked := false
		for _, m := range rd.Messages {
			asked = asked || m.To == "evil" && m.Msg[2] == byte(TypeRequest)
		}
		b.Advance()
		for _, d := range rd.Dials {
			b.DialDone(now, d.ID, "connection refused") // junk never answers
		}
		if asked {
			require.NoError(t, b.Receive(now, "evil", junkAnswer(round)))
		}
		require.LessOrEqual(t, len(b.Entries()), cfg.MaxPerSource+1, "round %d", round)
		now = now.Add(cfg.RequestInterval)
		b.Tick(now)
	}
	penalties = append(penalties, b.Ready().Penalties...)
	reasons := map[PenaltyReason]int{}
	for _, p := range penalties {
		require.Equal(t, PeerID("evil"), p.Peer)
		reasons[p.Reason]++
	}
	require.Positive(t, reasons[PenaltyJunk], "junk answers were penalized: %v", reasons)
	var junkDrops, capDrops int
	for _, d := range b.Dropped() {
		switch {
		case d.Reason == DropJunkSource:
			junkDrops++
		case d.Source == "evil" && (containsStr(d.Reason, DropGroupCap) || containsStr(d.Reason, DropSourceCap)):
			capDrops++
		}
	}
	require.Positive(t, junkDrops+capDrops, "operators see why the junk went")
}

// Requests faster than MinRequestGap are refused and charged as floods;
// answers nobody asked for are charged as protocol faults; a second Hello
// on one link too.
func TestFloodAndUnsolicited(t *testing.T) {
	now := time.Unix(0, 0)
	cfg := testConfig("me", 3)
	b, err := New(cfg, []string{nodeAddr("10.0.0.1")}, now)
	require.NoError(t, err)
	require.NoError(t, b.AddConfigured("s1", []string{nodeAddr("10.0.0.2")}, KindStatic, now))
	b.Connected(now, "s1", false, true, "10.0.0.2")
	b.Connected(now, "flooder", true, false, "10.0.0.9")
	b.Advance()
	req := Msg{Type: TypeRequest}.AppendTo(nil)
	for range 50 {
		require.NoError(t, b.Receive(now, "flooder", req))
	}
	rd := b.Ready()
	answers := 0
	for _, m := range rd.Messages {
		if m.To == "flooder" && m.Msg[2] == byte(TypeAddrs) {
			answers++
		}
	}
	require.Equal(t, 1, answers, "one answer per MinRequestGap")
	require.Len(t, rd.Penalties, 49)
	require.Equal(t, PenaltyFlood, rd.Penalties[0].Reason)
	b.Advance()

	// After the gap a request is answered again, unpenalized.
	require.NoError(t, b.Receive(now.Add(cfg.MinRequestGap), "flooder", req))
	require.Empty(t, b.Ready().Penalties)
	b.Advance()
	// Bunched up by a slow path, not charged (only ignored).
	require.NoError(t, b.Receive(now.Add(cfg.MinRequestGap*3/2), "flooder", req))
	require.Empty(t, b.Ready().Penalties)
	b.Advance()

	// The book asked the new peer for addresses: one answer is welcome,
	// the second was not asked for.
	require.NoError(t, b.Receive(now, "flooder", Msg{Type: TypeAddrs}.AppendTo(nil)))
	require.Empty(t, b.Ready().Penalties)
	require.NoError(t, b.Receive(now, "flooder", Msg{Type: TypeAddrs}.AppendTo(nil)))
	require.Equal(t, PenaltyUnsolicited, b.Ready().Penalties[0].Reason)
	b.Advance()
	hello := Msg{Type: TypeHello, Addrs: []string{nodeAddr("10.0.0.9")}}.AppendTo(nil)
	require.NoError(t, b.Receive(now, "flooder", hello))
	require.NoError(t, b.Receive(now, "flooder", hello))
	require.Equal(t, PenaltyUnsolicited, b.Ready().Penalties[0].Reason)
	b.Advance()
	require.Error(t, b.Receive(now, "flooder", []byte{Marker, 1, 3, 1, 0}))
	require.Equal(t, PenaltyMalformed, b.Ready().Penalties[0].Reason)
}

// Many ids in one /24 are capped, and the book never exceeds MaxEntries:
// unverified entries are evicted for room, verified ones never.
func TestBookBounded(t *testing.T) {
	now := time.Unix(0, 0)
	cfg := testConfig("me", 5)
	cfg.MaxEntries, cfg.MaxPerSource, cfg.MaxPerGroup, cfg.MaxPerAnswer = 20, 1000, 0, MaxWireEntries/2
	cfg.TargetPeers, cfg.MaxPeers = 1, 100
	b, err := New(cfg, nil, now)
	require.NoError(t, err)
	for i := range 10 {
		id := nodeID(i)
		require.NoError(t, b.AddConfigured(id, []string{nodeAddr(nodeIP(i))}, KindStatic, now))
		b.Connected(now, id, false, true, nodeIP(i))
	}
	for round := range 10 {
		for i := range 10 {
			id := nodeID(i)
			b.Tick(now)
			_ = b.Receive(now, id, junkAnswer(round*10+i))
		}
		now = now.Add(cfg.RequestInterval)
	}
	require.LessOrEqual(t, len(b.Entries()), 20)
	for i := range 10 {
		require.Contains(t, idsOf(b.Entries()), nodeID(i), "configured entries are never evicted")
	}
	require.Positive(t, b.Status().Stats.EntriesLearned)
}

func containsStr(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }
