package link

import (
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// transportError classifies a failed read or write on a lane stream. A
// connection closed by a connection manager (libp2p's connmgr closes the
// connections it trims with the ConnGarbageCollected code, which both
// muxers carry to both ends) is ReasonTrimmed, Remote when it was the
// peer's; anything else is ReasonTransport.
func transportError(detail string, err error) *Error {
	if ce, ok := errors.AsType[*network.ConnError](err); ok && ce.ErrorCode == network.ConnGarbageCollected {
		return &Error{Reason: ReasonTrimmed, Remote: ce.Remote, Detail: detail, Err: err}
	}
	return &Error{Reason: ReasonTransport, Detail: detail, Err: err}
}

// laneFailed ends the session for lane l's failed stream with e, except
// that a transport error on the bulk connection while the link's main
// connection is closed leaves the reason to the main connection's lanes:
// a connection manager trims the main connection (the only one it knows),
// and the bulk connection then ends by the peer's teardown, a plain close
// (code 0) that says nothing of why. The main connection's readers fail
// at once with the trim's code; without the wait, whichever reader ran
// first decided between trimmed and transport (CI:
// TestTrimmedConnectionIsReportedAsTrimmed/quic, our own trim reported as
// "read sync: connection closed (remote): code: 0x0"). The wait is
// bounded by goAwayGrace in case the main lanes do not end the session.
func (s *session) laneFailed(l Lane, e *Error) {
	if e.Reason == ReasonTransport && l.bulk() && s.mainClosed != nil && s.mainClosed() && s.closedWithin(goAwayGrace) {
		return
	}
	s.fail(e)
}

// closedWithin waits up to d for the session to close (another lane
// deciding its reason) and says whether it did.
func (s *session) closedWithin(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.closing:
		return true
	case <-t.C:
		return false
	}
}
