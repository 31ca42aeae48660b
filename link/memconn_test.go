package link

import (
	"errors"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMemConnBreaksAtOnce: when the in-memory network cuts a connection,
// a peer that reacts to the first broken stream by closing its own (as a
// link's teardown does) must not make ours read an orderly EOF: every
// stream of the connection reads as broken (ReasonTransport), never as a
// half-close (ReasonRemoteClose). This is the rare TestMemDisconnect
// failure; the reaction here runs as soon as the peer's reader wakes, but
// the old lane-by-lane break lost the race only when the breaking
// goroutine was descheduled, so this test cannot force it: it checks the
// rule over many cuts.
func TestMemConnBreaksAtOnce(t *testing.T) {
	for range 200 {
		c, mine, theirs := newMemConn(MemConfig{})
		reacted := make(chan struct{})
		go func() {
			var b [1]byte
			_, err := theirs[LaneConsensus].Read(b[:])
			if errors.Is(err, net.ErrClosed) {
				for _, st := range theirs {
					_ = st.Close() // the peer's teardown: half-close, then close
				}
			}
			close(reacted)
		}()
		c.breakAll()
		<-reacted
		for l, st := range mine {
			var b [1]byte
			_, err := st.Read(b[:])
			require.ErrorIs(t, err, net.ErrClosed, "lane %d", l)
			require.NotErrorIs(t, err, io.EOF, "lane %d", l)
		}
	}
}
