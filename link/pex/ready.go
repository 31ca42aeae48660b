package pex

import "time"

// Message is an encoded PEX frame for a peer's routing lane.
type Message struct {
	To  PeerID
	Msg []byte
}

// Dial asks the driver to connect to a peer at its addresses (then call
// DialDone), or, in Ready.Probes, to check that the peer's own announced
// address accepts connections (then call ProbeDone).
type Dial struct {
	ID    PeerID
	Addrs []string
}

// Close asks the driver to end a link, telling the peer Reason.
type Close struct {
	Peer   PeerID
	Reason string
}

// PenaltyReason says what a peer did wrong; the driver maps it to the
// link layer's scoring.
type PenaltyReason string

// Penalty reasons.
const (
	// PenaltyMalformed: a frame failed Decode or Config.CheckID.
	PenaltyMalformed PenaltyReason = "malformed"
	// PenaltyUnsolicited: an answer we did not ask for, or a second Hello
	// on one link (a protocol violation).
	PenaltyUnsolicited PenaltyReason = "unsolicited"
	// PenaltyFlood: a request sooner than Config.MinRequestGap after the
	// last one (ignored).
	PenaltyFlood PenaltyReason = "flood"
	// PenaltyJunk: most addresses the peer gave us failed their dial.
	PenaltyJunk PenaltyReason = "junk"
)

// Penalty blames a peer for a fault.
type Penalty struct {
	Peer   PeerID
	Reason PenaltyReason
	Detail string
}

// Ready is a batch of outputs. The driver handles every field, then calls
// Advance:
//
//  1. Messages: send each on the peer's routing lane (a dropped one is
//     harmless: requests are retried, answers are only advice).
//  2. Closes: end each link with its reason.
//  3. Dials, Probes: start each (asynchronously); report each outcome
//     with DialDone or ProbeDone.
//  4. Penalties: charge the peer's score.
//  5. Deadline: arm the one timer; call Tick at or after it.
//
// Nothing needs persisting: a restarted node starts again from its seeds
// and static peers.
type Ready struct {
	Messages  []Message
	Closes    []Close
	Dials     []Dial
	Probes    []Dial
	Penalties []Penalty
	Deadline  time.Time
}

func (r *Ready) empty() bool {
	return len(r.Messages) == 0 && len(r.Closes) == 0 && len(r.Dials) == 0 &&
		len(r.Probes) == 0 && len(r.Penalties) == 0
}
