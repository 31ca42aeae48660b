package broadcast

import (
	"errors"

	"github.com/blockwire/blockwire/internal/reason"
)

// Reason says why a message was refused, dropped or blamed on a peer.
// Reasons are stable strings: operators and metrics use them as labels.
type Reason string

// Reasons.
const (
	// ReasonMalformed: a frame failed to decode (Error.Detail says how).
	ReasonMalformed Reason = "malformed"
	// ReasonVersion: a frame carried an unknown wire version.
	ReasonVersion Reason = "unknown-version"
	// ReasonOversized: a payload above its topic's MaxSize or a frame above
	// Limits.
	ReasonOversized Reason = "oversized"
	// ReasonUnknownTopic: a message of a topic not in Config.Topics (not
	// the sender's fault if networks differ: no penalty).
	ReasonUnknownTopic Reason = "unknown-topic"
	// ReasonBadSignature: a message's signature does not verify under its
	// origin.
	ReasonBadSignature Reason = "bad-signature"
	// ReasonStale: a message's sequence time lies outside [now − MaxAge,
	// now + MaxSkew]; the seen-set may have forgotten it, so it is refused.
	ReasonStale Reason = "stale"
	// ReasonRejected: the topic's validator rejected the message (or a peer
	// sent again one we had rejected).
	ReasonRejected Reason = "rejected"
	// ReasonIgnored: the topic's validator ignored the message.
	ReasonIgnored Reason = "ignored"
	// ReasonDeferExpired: a deferred message was still undecided after
	// Config.DeferTTL.
	ReasonDeferExpired Reason = "defer-expired"
	// ReasonDeferFull: the defer queue was at its count or byte limit.
	ReasonDeferFull Reason = "defer-full"
	// ReasonUnsolicited: a pull reply (or a miss) we never asked for.
	ReasonUnsolicited Reason = "unsolicited"
	// ReasonBrokenPromise: a peer announced a digest and neither served it
	// nor said it was missing within Config.PullTimeout.
	ReasonBrokenPromise Reason = "broken-promise"
	// ReasonPullFlood: a peer pulled one message more than Config.MaxServes
	// times, or beyond its serve byte budget.
	ReasonPullFlood Reason = "pull-flood"
	// ReasonAnnounceFlood: a peer has more than Config.MaxAnnouncedPerPeer
	// announced digests pending with us.
	ReasonAnnounceFlood Reason = "announce-flood"
	// ReasonSelfOrigin: a peer sent us a message claiming our own origin
	// that we never sent (a replay of an old one, or a forgery).
	ReasonSelfOrigin Reason = "self-origin"
	// ReasonUnknownLink: a frame from a peer we have no link to.
	ReasonUnknownLink Reason = "unknown-link"
)

// Error is a refused or dropped frame with a reason; it reads
// "broadcast: <reason>[: <detail>]". errors.Is(err, ErrPeer) matches
// every *Error.
type Error = reason.Error[Reason]

// ErrPeer matches every *Error.
var ErrPeer = errors.New("broadcast: peer fault")

// Scope gives *Error its message prefix and sentinel (internal/reason).
func (Reason) Scope() (string, error) { return "broadcast", ErrPeer }

// fault returns an *Error with r and a formatted detail.
var fault = reason.New[Reason]

// Errors of local calls.
var (
	// ErrUnknownTopic: Broadcast on a topic not in Config.Topics.
	ErrUnknownTopic = errors.New("broadcast: unknown topic")
	// ErrTooLarge: Broadcast of a payload above its topic's MaxSize.
	ErrTooLarge = errors.New("broadcast: payload above the topic's MaxSize")
	// ErrNoRecipients: a direct or routed Broadcast with no recipients.
	ErrNoRecipients = errors.New("broadcast: no recipients")
	// ErrTooManyWaiters: Subscribe beyond Config.MaxWaiters or
	// MaxWaitersPerDigest.
	ErrTooManyWaiters = errors.New("broadcast: too many waiters")
)
