package link

import (
	"errors"
	"fmt"
	"net"
)

// Sentinel errors. Errors that end a link are *Error values; they unwrap to
// net.ErrClosed so callers can test errors.Is(err, net.ErrClosed).
var (
	// ErrQueueFull: the peer's send queue (bytes, non-consensus lanes) is full;
	// the message was dropped and counted as DropQueueFull.
	ErrQueueFull = errors.New("link: send queue full")
	// ErrTooLarge: the message exceeds the lane's maximum size.
	ErrTooLarge = errors.New("link: message too large")
	// ErrUnknownLane: the lane id is not one of the NumLanes lanes.
	ErrUnknownLane = errors.New("link: unknown lane")
	// ErrModeOff: a block was sent on a link in ModeOff.
	ErrModeOff = errors.New("link: blocks lane is off for this link")
	// ErrBanned: the peer is banned.
	ErrBanned = errors.New("link: peer banned")
	// ErrHostClosed: the host was closed.
	ErrHostClosed = fmt.Errorf("link: host closed: %w", net.ErrClosed)
	// ErrNoLink: no link to the peer came up.
	ErrNoLink = errors.New("link: no link to peer")
)

// Reason says why a link ended or why a peer was penalised. Reasons are
// stable strings shown to operators and sent to the peer in GOAWAY frames.
type Reason string

// Link-ending reasons. The first group is ours; the second is a peer fault
// that also costs the peer score.
const (
	ReasonLocalClose       Reason = "local_close"       // Link.Close by us
	ReasonRemoteClose      Reason = "remote_close"      // the peer closed without a GOAWAY
	ReasonApplication      Reason = "application"       // Link.Close with a cause by the application
	ReasonDuplicate        Reason = "duplicate"         // pruned: another link to the same peer won
	ReasonBanned           Reason = "banned"            // the peer is banned
	ReasonHostClosed       Reason = "host_closed"       // the host shut down
	ReasonTimeout          Reason = "timeout"           // ping or write deadline exceeded
	ReasonTransport        Reason = "transport"         // the connection or a stream failed
	ReasonConsensusBacklog Reason = "consensus_backlog" // our consensus queue exceeded its bound
	ReasonResource         Reason = "resource"          // the resource manager refused memory for a large message
	ReasonTrimmed          Reason = "trimmed"           // the connection manager closed the connection (ours, or the peer's if Remote)

	ReasonDecode      Reason = "decode_error"       // malformed frame or preamble
	ReasonOversize    Reason = "oversized_frame"    // a frame above the lane's maximum
	ReasonUnknownLane Reason = "unknown_lane"       // a stream for a lane id we do not know
	ReasonProtocol    Reason = "protocol_violation" // credit overrun, duplicate lane, bad version...
	ReasonFlood       Reason = "flood"              // inbound rate limit exceeded
	ReasonInvalid     Reason = "invalid_message"    // the application found a message invalid (Network.Penalize)
	ReasonStalled     Reason = "stalled"            // a partial message or a bulk lane's credit made no progress (stall.go)
	ReasonWrongChain  Reason = "wrong_chain"        // the peer's chain id differs from ours (chainid.go); refused at setup
	// ReasonUnauthorized: the peer spoke a protocol its role does not allow
	// (raft from a peer outside the producer set, or naming another
	// sender); charged by the application through Network.Penalize.
	ReasonUnauthorized Reason = "unauthorized"
)

// reasonCodes maps reasons to their GOAWAY wire code. Codes are append-only.
var reasonCodes = []Reason{
	0: "", 1: ReasonLocalClose, 2: ReasonRemoteClose, 3: ReasonApplication,
	4: ReasonDuplicate, 5: ReasonBanned, 6: ReasonHostClosed, 7: ReasonTimeout,
	8: ReasonTransport, 9: ReasonConsensusBacklog, 10: "conn_limit", // reserved
	11: ReasonDecode, 12: ReasonOversize, 13: ReasonUnknownLane,
	14: ReasonProtocol, 15: ReasonFlood, 16: ReasonResource, 17: ReasonTrimmed,
	18: ReasonInvalid, 19: ReasonStalled, 20: ReasonWrongChain, 21: ReasonUnauthorized,
}

func reasonCode(r Reason) byte {
	for i, x := range reasonCodes {
		if x == r {
			return byte(i)
		}
	}
	return 0
}

func reasonFromCode(c byte) Reason {
	if int(c) < len(reasonCodes) && c != 0 {
		return reasonCodes[c]
	}
	return ReasonRemoteClose
}

// Error ends a link. Remote is true when the peer told us the reason in a
// GOAWAY frame. It unwraps to net.ErrClosed and to the underlying cause.
type Error struct {
	Reason Reason
	Remote bool
	Detail string
	Err    error
}

func (e *Error) Error() string {
	s := "link: closed: " + string(e.Reason)
	if e.Remote {
		s = "link: closed by peer: " + string(e.Reason)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap lets errors.Is find net.ErrClosed and the cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{net.ErrClosed, e.Err}
	}
	return []error{net.ErrClosed}
}

// ReasonOf extracts the Reason from a link error, or "" if err is not one.
func ReasonOf(err error) Reason {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	return ""
}

// peerFault is returned by the decoders: a peer violated the protocol.
type peerFault struct {
	reason Reason
	detail string
}

func (f *peerFault) Error() string { return "link: peer fault: " + string(f.reason) + ": " + f.detail }

func fault(r Reason, format string, args ...any) error { return faultf(r, format, args...) }

func faultf(r Reason, format string, args ...any) *peerFault {
	return &peerFault{reason: r, detail: fmt.Sprintf(format, args...)}
}
