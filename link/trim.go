package link

import (
	"errors"

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
