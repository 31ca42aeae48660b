package link

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Link is a message-oriented connection to one peer, with NumLanes
// independent lanes. It is what blocksync, transport and consensus drivers
// hold. Implementations: the libp2p Host and the in-memory MemNetwork.
//
// Concurrency: every method is safe for concurrent use.
//
// Ownership: Send and SendWait take ownership of msg; the caller must not
// modify it afterwards (the link writes it out without copying). Messages
// passed to Handler.Receive belong to the handler.
//
// Errors: once the link ends, Send returns a *Error (errors.Is(err,
// net.ErrClosed) holds) carrying the Reason, and Done is closed. Order:
// messages on one lane are delivered in the order sent, intact; there is no
// order across lanes. A message is either delivered whole or not at all.
type Link interface {
	// Peer is the authenticated identity of the remote node.
	Peer() PeerID
	// Direction says whether we dialed the underlying connection.
	Direction() Direction

	// Send queues msg on lane and returns without blocking. Errors:
	// ErrUnknownLane, ErrTooLarge, ErrModeOff (LaneBlocks in ModeOff),
	// ErrQueueFull (non-consensus lanes; counted as a drop), or the link's
	// *Error once closed. On LaneConsensus it never drops and never blocks:
	// beyond ConsensusQueueBytes the link is closed (ReasonConsensusBacklog).
	Send(lane Lane, msg []byte) error
	// SendWait is Send that waits for queue space instead of failing with
	// ErrQueueFull; it returns ctx.Err() (wrapped) if ctx ends first.
	SendWait(ctx context.Context, lane Lane, msg []byte) error

	// Mode and SetMode hold the block-sending state used by blocksync.
	Mode() Mode
	SetMode(Mode)

	// Stats is a snapshot of the link's counters.
	Stats() Stats

	// Close ends the link, telling the peer why: a nil cause sends
	// ReasonLocalClose, otherwise ReasonApplication with cause's text.
	// Queued messages are dropped (DropClosed). Close does not wait for the
	// teardown; use Done.
	Close(cause error)
	// Done is closed after the link ended and Handler.Disconnected returned.
	Done() <-chan struct{}
	// Err is the reason the link ended (a *Error), or nil while it is up.
	Err() error
}

// Handler receives a host's link events. Calls for one link are ordered:
// Connected, then Receive calls, then Disconnected after the last Receive.
// Receive calls for one (link, lane) are sequential; different links and
// lanes are called concurrently.
//
// Why a callback and not a channel: a slow consumer of one lane back-
// pressures exactly that lane of that peer. On consensus and routing the
// lane's reader calls Receive directly, with no buffer or goroutine hop
// between the socket and the driver; on blocks and sync a delivery
// goroutine calls it while the reader keeps draining the connection, and
// flow-control credits hold the peer to one window (credit.go).
// Drivers that want a select loop forward into their own channel from
// Receive. A handler must not block long on LaneConsensus: it stalls only
// that peer's consensus lane, but the peer's votes then wait.
type Handler interface {
	// Connected reports a new link; Send may be called from inside it.
	Connected(l Link)
	// Receive delivers one message; msg is owned by the handler.
	Receive(l Link, lane Lane, msg []byte)
	// Disconnected reports the end of l with its *Error.
	Disconnected(l Link, err error)
}

// HandlerFuncs adapts functions to Handler; nil fields are no-ops.
type HandlerFuncs struct {
	OnConnected    func(l Link)
	OnReceive      func(l Link, lane Lane, msg []byte)
	OnDisconnected func(l Link, err error)
}

var _ Handler = HandlerFuncs{}

// Connected calls OnConnected.
func (h HandlerFuncs) Connected(l Link) {
	if h.OnConnected != nil {
		h.OnConnected(l)
	}
}

// Receive calls OnReceive.
func (h HandlerFuncs) Receive(l Link, lane Lane, msg []byte) {
	if h.OnReceive != nil {
		h.OnReceive(l, lane, msg)
	}
}

// Disconnected calls OnDisconnected.
func (h HandlerFuncs) Disconnected(l Link, err error) {
	if h.OnDisconnected != nil {
		h.OnDisconnected(l, err)
	}
}

// Network is one node's view of its peers: the part of a host that node/
// and tests use, implemented by *Host and *MemHost. At most one Link per
// peer is up at a time; duplicate connections are pruned (see doc.go).
// All methods are safe for concurrent use.
type Network interface {
	// ID is our own identity.
	ID() PeerID
	// Connect dials the peer (if no link is up) and waits until a link is
	// up, the context ends, or the dial fails. For the in-memory network
	// only info.ID matters.
	Connect(ctx context.Context, info peer.AddrInfo) (Link, error)
	// Link returns the live link to p, or nil.
	Link(p PeerID) Link
	// Links returns all live links.
	Links() []Link
	// Peers reports every peer we know: live stats, score, ban, last
	// disconnect reason.
	Peers() []PeerInfo
	// Ban disconnects p and refuses it until the ban expires.
	Ban(p PeerID, d time.Duration, reason string)
	// Unban lifts a ban and resets the peer's score.
	Unban(p PeerID)
	// Penalize charges p's score for a fault the caller found in what p
	// sent (ReasonInvalid for an invalid block or sync message; the
	// reason sets the cost, see ScoreConfig) and reports whether that
	// banned p. A ban's reason names r and detail; p's links end with
	// ReasonBanned. It does not close a link by itself otherwise.
	Penalize(p PeerID, r Reason, detail string) bool
	// Close ends all links (ReasonHostClosed) and stops the host.
	Close() error
}
