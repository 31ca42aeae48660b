package route

import "time"

// Message is a routing message to send to a neighbour on a lane.
type Message struct {
	To   NodeID
	Lane Lane
	Msg  Msg
}

// Delivery is a data message addressed to us, authenticated (its origin's
// signature verified), validated, and not a replay. Payload is shared with
// the copies being forwarded in the same Ready: read it, never modify it.
type Delivery struct {
	Origin  NodeID
	Class   Class
	Seq     uint64
	Payload []byte
}

// Penalty blames a neighbour for a message that failed decoding or a
// signature check, advertised an impossible metric, or that a validator
// rejected. The driver scores the peer (the link layer bans on repeated
// faults).
type Penalty struct {
	Peer NodeID
	Err  *Error
}

// Drop is a relayed (or received) data message that was not delivered or
// forwarded, with the reason; Failed covers the messages we originated.
type Drop struct {
	From   NodeID // the neighbour it came from
	Origin NodeID
	Dest   NodeID // zero when the whole message was dropped
	Seq    uint64
	Class  Class
	Reason Reason
}

// ReplyDelivery is a reply to a unicast message we originated (Seq is the
// sequence number Send returned), authenticated: Replier signed it and was
// the message's destination.
type ReplyDelivery struct {
	Replier NodeID
	Class   Class
	Seq     uint64
	Payload []byte
}

// RouteChange reports a change of the selected next hop for a
// destination. The simulator checks for forwarding loops after each; a
// node can log or export them.
type RouteChange struct {
	Dest      NodeID
	NextHop   NodeID
	Reachable bool
	Metric    Metric
}

// Ready is a batch of outputs. The driver handles every field, in this
// order, then calls Advance:
//
//  1. Delivered, Replies: hand each message, in order, to its class's
//     consumer.
//  2. Messages: send each to its neighbour on its lane, in order.
//  3. Failed, Dropped, Penalties: report (metrics, logs) and score peers.
//  4. Changes: export the routing table changes (and check invariants).
//  5. Deadline: arm the one timer; call Tick at or after it.
//
// Nothing needs persisting: a restarted node comes back with a fresh
// Router and a new RouterID.
type Ready struct {
	Messages  []Message
	Delivered []Delivery
	Replies   []ReplyDelivery
	Failed    []*SendError
	Dropped   []Drop
	Penalties []Penalty
	Changes   []RouteChange
	// Deadline is when Tick must next be called; reported in every Ready.
	Deadline time.Time
}

// Stats are a Router's counters since it was created.
type Stats struct {
	HellosSent, HellosReceived     uint64
	UpdatesSent, UpdatesReceived   uint64
	SignedSent                     uint64
	RequestsSent, RequestsReceived uint64 // seqno and route requests
	RequestsForwarded              uint64
	Bumps                          uint64 // our own seqno increments
	Verifications                  uint64 // ed25519 checks done (cache misses)
	DataSent, DataForwarded        uint64
	Delivered                      uint64
	Queued                         uint64
	ControlBytes                   uint64 // encoded bytes of routing control messages sent
	Switches                       uint64 // selected route changes
	RepliesSent, RepliesForwarded  uint64
	RepliesDelivered               uint64
	ReplyPathsEvicted              uint64 // reverse-path entries dropped early (table full)
	Drops                          map[Reason]uint64
}
