package blocksync

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// locatorOf returns the hellos of a fresh Conn on chain.
func locatorOf(t *testing.T, cfg Config, chain *testChain) []Msg {
	t.Helper()
	c, err := New(cfg, chain, time0)
	require.NoError(t, err)
	var out []Msg
	for _, m := range c.Ready().Messages {
		out = append(out, m.Msg)
	}
	// The peer's answer to our locator: none of our blocks (tests that
	// need more step a Have or hello).
	return append(out, &Hello{Common: true})
}

func stepAll(t *testing.T, c *Conn, lane Lane, msgs []Msg) {
	t.Helper()
	for _, m := range msgs {
		require.NoError(t, c.Step(time0, lane, m))
	}
}

func bodyBytes(rd Ready) (n int, blocks int) {
	for _, m := range rd.Messages {
		if m.Lane == LaneBlocks {
			n += m.Msg.Size()
			blocks++
		}
	}
	return n, blocks
}

// The sender starts a body while less than its allowance is in flight, and
// a cumulative ack reopens it: no per-block round trip. A fresh connection
// starts at SlowStartBytes (slow start, issue 11 attack 4); each
// acknowledged byte raises the allowance by one, up to the window.
func TestWindowBoundsBytesInFlight(t *testing.T) {
	m := &maker{bodySize: 100_000}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	m.extend(t, g, 100, 1, 0, a)
	cfg := DefaultConfig()
	cfg.Window = 1 << 20
	ca, err := New(cfg, a, time0)
	require.NoError(t, err)
	ca.Advance()
	stepAll(t, ca, LaneSync, locatorOf(t, cfg, b))
	rd := ca.Ready()
	n, blocks := bodyBytes(rd)
	t.Logf("first burst: %d blocks, %d bytes, slow start %d, window %d", blocks, n, SlowStartBytes, cfg.Window)
	require.Equal(t, uint64(n), ca.InFlight())
	require.LessOrEqual(t, n, SlowStartBytes, "bodies that fit in the allowance")
	require.Greater(t, n, SlowStartBytes-100_200)
	ca.Advance()
	require.NoError(t, ca.Step(time0, LaneSync, &Ack{Bytes: uint64(n / 2)}))
	n2, _ := bodyBytes(ca.Ready())
	require.Greater(t, n2, 0, "the ack reopened the window")
	// The allowance grew by the n/2 acknowledged bytes.
	require.Greater(t, uint64(n+n2)-uint64(n/2), uint64(SlowStartBytes+n/2-100_200))
	require.LessOrEqual(t, uint64(n+n2)-uint64(n/2), uint64(SlowStartBytes+n/2))
	ca.Advance()
	// Acking everything, round after round, grows the allowance to the
	// window and never past it.
	sent := uint64(n + n2)
	var peak uint64
	for range 10 {
		require.NoError(t, ca.Step(time0, LaneSync, &Ack{Bytes: sent}))
		k, _ := bodyBytes(ca.Ready())
		ca.Advance()
		sent += uint64(k)
		require.Equal(t, uint64(k), ca.InFlight())
		require.Less(t, k, cfg.Window+100_200)
		peak = max(peak, uint64(k))
	}
	require.Greater(t, peak, uint64(cfg.Window-100_200), "the allowance reached the window")
	require.LessOrEqual(t, peak, uint64(cfg.Window))
	// Acking more than was sent is a fault.
	require.NoError(t, ca.Step(time0, LaneSync, &Ack{Bytes: 1 << 40}))
	require.Equal(t, ReasonAckOverrun, ca.Ready().Disconnect.Reason)
}

// Issue 11, attack 4, "queue by credit, not by promise": a peer that
// advertises a huge window and never acknowledges holds at most
// SlowStartBytes plus one body of ours, however long the chain and however
// often it grows. Fails on the code before slow start: the first burst was
// the whole (clamped) 8 MiB window.
func TestSlowStartPeerThatNeverAcks(t *testing.T) {
	m := &maker{bodySize: 100_000}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	blocks := m.extend(t, g, 200, 1, 0, a) // 20 MB, well above the window
	cfg := DefaultConfig()                 // 8 MiB window
	ca, err := New(cfg, a, time0)
	require.NoError(t, err)
	ca.Advance()
	hostile := locatorOf(t, cfg, b)
	for _, msg := range hostile {
		if h, ok := msg.(*Hello); ok {
			h.Window = 1<<32 - 1
		}
	}
	stepAll(t, ca, LaneSync, hostile)
	queued, _ := bodyBytes(ca.Ready())
	ca.Advance()
	// The chain grows and time passes; nothing the peer does not
	// acknowledge reopens the window.
	more := m.extend(t, blocks[len(blocks)-1], 50, 1, 0, a)
	require.NotEmpty(t, more)
	for i := range 10 {
		now := time0.Add(time.Duration(i) * time.Second)
		require.NoError(t, ca.ChainChanged(now))
		require.NoError(t, ca.Tick(now))
		k, _ := bodyBytes(ca.Ready())
		ca.Advance()
		queued += k
	}
	t.Logf("queued for a peer that advertised 4 GiB and never acked: %d bytes (slow start %d, window %d)", queued, SlowStartBytes, cfg.Window)
	require.Equal(t, uint64(queued), ca.InFlight())
	require.Less(t, queued, SlowStartBytes+100_200, "more than the initial allowance plus one body")
}

// The receiver's first ack comes after a quarter of the sender's initial
// allowance, not a quarter window: otherwise a fresh sender, stopped at
// SlowStartBytes, would wait forever for an ack due at Window/4.
func TestFirstAckAtQuarterOfSlowStart(t *testing.T) {
	m := &maker{bodySize: 10_000}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	blocks := m.extend(t, g, 40, 1, 0, a)
	cfg := DefaultConfig() // 8 MiB window: a quarter is 2 MiB
	cb, err := New(cfg, b, time0)
	require.NoError(t, err)
	cb.Advance()
	stepAll(t, cb, LaneSync, locatorOf(t, cfg, a))
	cb.Advance()
	var received int
	for _, blk := range blocks {
		body := NewBlock(blk)
		received += body.Size()
		require.NoError(t, cb.Step(time0, LaneBlocks, body))
		rd := cb.Ready()
		for _, bl := range rd.Blocks {
			require.NoError(t, b.add(bl))
		}
		cb.Advance()
		for _, msg := range rd.Messages {
			if ack, ok := msg.Msg.(*Ack); ok {
				t.Logf("first ack after %d bytes", ack.Bytes)
				require.Equal(t, uint64(received), ack.Bytes)
				require.GreaterOrEqual(t, received, SlowStartBytes/4)
				require.Less(t, received, SlowStartBytes/4+body.Size()+1)
				return
			}
		}
		require.NoError(t, cb.ChainChanged(time0))
		cb.Advance()
	}
	t.Fatalf("no ack after %d bytes", received)
}

// The receiver acknowledges cumulatively, every quarter window.
func TestAcksAreCumulative(t *testing.T) {
	m := &maker{bodySize: 100_000}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	blocks := m.extend(t, g, 40, 1, 0, a)
	cfg := DefaultConfig()
	cfg.Window = 1 << 20
	cb, err := New(cfg, b, time0)
	require.NoError(t, err)
	cb.Advance()
	stepAll(t, cb, LaneSync, locatorOf(t, cfg, a))
	cb.Advance()
	acks := 0
	for _, blk := range blocks {
		require.NoError(t, cb.Step(time0, LaneBlocks, NewBlock(blk)))
		rd := cb.Ready()
		for _, bl := range rd.Blocks {
			require.NoError(t, b.add(bl))
		}
		for _, msg := range rd.Messages {
			if _, ok := msg.Msg.(*Ack); ok {
				acks++
			}
		}
		cb.Advance()
		require.NoError(t, cb.ChainChanged(time0))
		cb.Advance()
	}
	t.Logf("%d acks for %d blocks", acks, len(blocks))
	require.Equal(t, b.Head(), a.Head())
	require.Less(t, acks, len(blocks)/2)
	require.Greater(t, acks, 0)
}

// event is a message in flight on a simulated link.
type event struct {
	at   time.Duration
	to   *Conn
	lane Lane
	msg  Msg
}

// A catching-up node receives at the link's bandwidth: with a window above
// the bandwidth-delay product, the blocks lane never idles.
func TestWindowKeepsLaneFull(t *testing.T) {
	const (
		bandwidth = 100e6 / 8 // bytes per second (100 Mbit/s)
		latency   = 50 * time.Millisecond
		bodySize  = 256 << 10
		nBlocks   = 400
	)
	m := &maker{bodySize: bodySize}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	m.extend(t, g, nBlocks, 1, 0, a)
	cfg := DefaultConfig()
	cfg.Window = 4 << 20 // BDP is 1.25 MB round trip
	start := time.Unix(0, 0)
	ca, err := New(cfg, a, start)
	require.NoError(t, err)
	cb, err := New(cfg, b, start)
	require.NoError(t, err)
	var queue []event
	var busy [2]time.Duration // per direction: blocks lane serialization
	var total int
	emit := func(now time.Duration, from, to *Conn, dir int, chain *testChain) {
		rd := from.Ready()
		for _, bl := range rd.Blocks {
			require.NoError(t, chain.add(bl))
		}
		for _, msg := range rd.Messages {
			at := now + latency
			if msg.Lane == LaneBlocks {
				busy[dir] = max(busy[dir], now) + time.Duration(float64(msg.Msg.Size())/bandwidth*float64(time.Second))
				at = busy[dir] + latency
				total += msg.Msg.Size()
			}
			queue = append(queue, event{at: at, to: to, lane: msg.Lane, msg: msg.Msg})
		}
		from.Advance()
		if len(rd.Blocks) > 0 {
			require.NoError(t, from.ChainChanged(start.Add(now)))
		}
	}
	emit(0, ca, cb, 0, a)
	emit(0, cb, ca, 1, b)
	var now time.Duration
	for len(queue) > 0 {
		slices.SortStableFunc(queue, func(x, y event) int { return int(x.at - y.at) })
		e := queue[0]
		queue = queue[1:]
		now = e.at
		require.NoError(t, e.to.Step(start.Add(now), e.lane, e.msg))
		for range 2 { // a received block makes a second Ready (the Have)
			if e.to == ca {
				emit(now, ca, cb, 0, a)
			} else {
				emit(now, cb, ca, 1, b)
			}
		}
	}
	require.Equal(t, a.Head(), b.Head())
	ideal := time.Duration(float64(total)/bandwidth*float64(time.Second)) + 2*latency
	eff := float64(ideal) / float64(now)
	t.Logf("%d blocks of %d KiB in %v; at full bandwidth %v: %.1f%% of the link", nBlocks, bodySize>>10, now, ideal, 100*eff)
	require.Greater(t, eff, 0.95)
}

// Issue 11, attack 4: a peer that advertises a huge window (here 4 GiB)
// and never acknowledges gets at most our own window plus one body: the
// window a peer advertises is clamped to ours. On the old code the first
// burst was the whole chain (every body queued at once).
func TestAdvertisedWindowIsClampedToOurs(t *testing.T) {
	m := &maker{bodySize: 100_000}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	m.extend(t, g, 100, 1, 0, a)
	cfg := DefaultConfig()
	cfg.Window = 1 << 20
	ca, err := New(cfg, a, time0)
	require.NoError(t, err)
	ca.Advance()
	hostile := locatorOf(t, cfg, b)
	for _, msg := range hostile {
		if h, ok := msg.(*Hello); ok {
			h.Window = 1<<32 - 1
		}
	}
	stepAll(t, ca, LaneSync, hostile)
	n, blocks := bodyBytes(ca.Ready())
	t.Logf("burst to a peer advertising 4 GiB: %d blocks, %d bytes, our window %d", blocks, n, cfg.Window)
	require.Less(t, n, cfg.Window+100_200, "more than our window plus one body in flight")
	require.Equal(t, uint64(n), ca.InFlight())
}

// A body that does not fit in the allowance waits for acks once a quarter
// allowance is in flight, so a peer that never acknowledges holds at most
// the allowance, not the allowance plus the next big block (on real
// processes the 2 MiB block after the first 256 KiB of small ones doubled
// what 50 such peers held). An acknowledging peer still gets the big block.
func TestSlowStartBigBlockWaitsForAcks(t *testing.T) {
	m := &maker{bodySize: 1_000}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	small := m.extend(t, g, 100, 1, 0, a) // ~100 KB: the big block comes within the allowance
	m.bodySize = 2 << 20
	m.extend(t, small[len(small)-1], 1, 1, 0, a)
	cfg := DefaultConfig()
	ca, err := New(cfg, a, time0)
	require.NoError(t, err)
	ca.Advance()
	stepAll(t, ca, LaneSync, locatorOf(t, cfg, b))
	n, blocks := bodyBytes(ca.Ready())
	ca.Advance()
	t.Logf("never-acking peer: %d blocks, %d bytes", blocks, n)
	require.LessOrEqual(t, n, SlowStartBytes)
	// The waiting big block is not read again on every chain change (on
	// real processes: 40 GB of block reads in 75 s for 50 such peers).
	reads := a.blockReads
	for i := range 10 {
		require.NoError(t, ca.ChainChanged(time0.Add(time.Duration(i)*time.Second)))
		k, _ := bodyBytes(ca.Ready())
		ca.Advance()
		require.Zero(t, k)
	}
	require.Equal(t, reads, a.blockReads, "block reads for a body that cannot go")
	// Acking everything lets the rest through, the big block included.
	sent := uint64(n)
	var big bool
	for range 20 {
		require.NoError(t, ca.Step(time0, LaneSync, &Ack{Bytes: sent}))
		rd := ca.Ready()
		ca.Advance()
		for _, msg := range rd.Messages {
			if msg.Lane == LaneBlocks {
				sent += uint64(msg.Msg.Size())
				big = big || msg.Msg.Size() > 2<<20
			}
		}
	}
	require.True(t, big, "the big block went out once acks came")
}
