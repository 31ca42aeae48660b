package link

import (
	"context"
	"crypto/rand"
	"testing"
	"testing/synctest"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// trimOrderSession connects two in-memory hosts and returns the dialer's
// session, posing as one with a bulk connection whose main connection is
// closed when mainClosed says so.
func trimOrderSession(t *testing.T, mainClosed bool) *session {
	t.Helper()
	n, err := NewMemNetwork(MemConfig{})
	require.NoError(t, err)
	var hosts [2]*MemHost
	for i := range hosts {
		key, _, err := crypto.GenerateEd25519Key(rand.Reader)
		require.NoError(t, err)
		id, err := peer.IDFromPrivateKey(key)
		require.NoError(t, err)
		hosts[i], err = n.NewHost(id, DefaultConnConfig(), nil, zerolog.Nop())
		require.NoError(t, err)
		t.Cleanup(func() { _ = hosts[i].Close() })
	}
	l, err := hosts[0].Connect(context.Background(), peer.AddrInfo{ID: hosts[1].ID()})
	require.NoError(t, err)
	s := l.(*session)
	s.mainClosed = func() bool { return mainClosed }
	return s
}

// The race behind TestTrimmedConnectionIsReportedAsTrimmed/quic, forced:
// our connection manager trimmed the link's main connection, and the
// peer's teardown closed the bulk connection (a plain close, code 0)
// before our main connection's readers reported the trim. The bulk lane's
// error waits for them: the link ends trimmed, not transport.
func TestBulkLaneErrorAfterATrimLeavesTheReasonToTheMainConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := trimOrderSession(t, true)
		go s.readFailed(LaneSync, &network.ConnError{Remote: true, ErrorCode: 0})
		synctest.Wait()
		select {
		case <-s.closing:
			t.Fatalf("the bulk lane ended the link first: %v", s.core.err)
		default:
		}
		go s.readFailed(LaneConsensus, &network.ConnError{ErrorCode: network.ConnGarbageCollected})
		<-s.Done()
		var e *Error
		require.ErrorAs(t, s.Err(), &e)
		require.Equal(t, ReasonTrimmed, e.Reason, "%v", e)
		require.False(t, e.Remote)
	})
}

// With the main connection open, a bulk lane's failure is the link's end
// at once: transport.
func TestBulkLaneErrorWithTheMainConnectionOpenIsTransport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := trimOrderSession(t, false)
		go s.readFailed(LaneSync, &network.ConnError{Remote: true, ErrorCode: 0})
		<-s.Done()
		require.Equal(t, ReasonTransport, ReasonOf(s.Err()))
	})
}
