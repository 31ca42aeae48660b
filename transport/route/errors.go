package route

import (
	"errors"
	"fmt"

	"github.com/blockwire/blockwire/internal/reason"
)

// Reason says why a message was refused, dropped or blamed on a neighbour.
// Reasons are stable strings: operators and metrics use them as labels.
type Reason string

// Reasons.
const (
	// ReasonMalformed: a message failed to decode (Error.Detail says how).
	ReasonMalformed Reason = "malformed"
	// ReasonVersion: a message carried an unknown wire version.
	ReasonVersion Reason = "unknown-version"
	// ReasonBadSignature: an announcement or a data message failed its
	// signature check (a forged seqno, an altered payload).
	ReasonBadSignature Reason = "bad-signature"
	// ReasonImpossibleMetric: a neighbour advertised metric 0 for a
	// destination other than itself (only a destination is at distance 0).
	ReasonImpossibleMetric Reason = "impossible-metric"
	// ReasonNotRoutable: an update for a destination Config.Admit refuses.
	ReasonNotRoutable Reason = "not-routable"
	// ReasonTableFull: an update for a new destination beyond
	// Config.MaxDestinations (not the sender's fault; no penalty).
	ReasonTableFull Reason = "table-full"
	// ReasonRejected: a validator rejected a data message.
	ReasonRejected Reason = "rejected"
	// ReasonIgnored: a validator ignored a data message.
	ReasonIgnored Reason = "ignored"
	// ReasonDeferExpired: a deferred message was still undecided after
	// Config.DeferTTL, or the deferred queue was full.
	ReasonDeferExpired Reason = "defer-expired"
	// ReasonNoRoute: a message waited Config.QueueTTL for a route to its
	// destination and none appeared.
	ReasonNoRoute Reason = "no-route"
	// ReasonQueueFull: the destination's no-route queue was at its byte or
	// message limit.
	ReasonQueueFull Reason = "queue-full"
	// ReasonHopLimit: a data message arrived with no hops left.
	ReasonHopLimit Reason = "hop-limit"
	// ReasonReplay: a data message's (origin, seq) was already delivered,
	// or is older than the origin's replay window.
	ReasonReplay Reason = "replay"
	// ReasonStale: a data message's sequence number is outside
	// [now − MaxAge, now + MaxSkew].
	ReasonStale Reason = "stale"
	// ReasonOriginsFull: a data message from a new origin while
	// Config.MaxOrigins replay windows, all younger than MaxAge, are held.
	ReasonOriginsFull Reason = "origins-full"
	// ReasonOriginFlood: a relay dropped a data message over its origin's
	// flood limit (Config.FloodUnicast, FloodMulticast).
	ReasonOriginFlood Reason = "origin-flood"
	// ReasonLoop: a data message we originated came back to us.
	ReasonLoop Reason = "loop"
	// ReasonNoReversePath: a reply (or Router.Reply) found no entry for the
	// message it answers: expired (Config.ReplyTTL), evicted
	// (Config.MaxReplyPaths), answered already, or never seen here.
	ReasonNoReversePath Reason = "no-reverse-path"
	// ReasonUnknownLink: a message arrived from a peer we have no link to.
	ReasonUnknownLink Reason = "unknown-link"
)

// Error is a refused or dropped message (or a decode failure) with a
// reason; it reads "route: <reason>[: <detail>]". errors.Is(err, ErrPeer)
// matches every *Error.
type Error = reason.Error[Reason]

// ErrPeer matches every *Error.
var ErrPeer = errors.New("route: peer fault")

// Scope gives *Error its message prefix and sentinel (internal/reason).
func (Reason) Scope() (string, error) { return "route", ErrPeer }

// ErrNoDestinations is returned by Multicast with an empty or oversized
// destination set.
var ErrNoDestinations = errors.New("route: destination set empty or above Limits.MaxDests")

// ErrPayloadTooLarge is returned by Send and Multicast for a payload above
// Limits.MaxPayload.
var ErrPayloadTooLarge = errors.New("route: payload above Limits.MaxPayload")

// fault returns an *Error with r and a formatted detail.
var fault = reason.New[Reason]

// SendError reports that a message we originated did not reach a
// destination: it waited for a route until Config.QueueTTL (ReasonNoRoute)
// or found the queue full (ReasonQueueFull). It is never silent.
type SendError struct {
	Dest   NodeID
	Seq    uint64
	Class  Class
	Reason Reason
}

func (e *SendError) Error() string {
	return fmt.Sprintf("route: message %d (class %d) to %s: %s", e.Seq, e.Class, e.Dest, e.Reason)
}

// Is makes a *SendError match ErrPeer's sibling ErrUndeliverable.
func (e *SendError) Is(target error) bool { return target == ErrUndeliverable }

// ErrUndeliverable matches every *SendError.
var ErrUndeliverable = errors.New("route: undeliverable")
