package broadcast

import "time"

// Outgoing is a frame to send to a direct peer on a lane.
type Outgoing struct {
	To    NodeID
	Lane  Lane
	Frame Frame
}

// RoutedSend is a message for the routing layer: the driver encodes Frame
// and sends it with route.Send (one destination) or route.Multicast to
// Dests; each destination hands it to ReceiveRouted.
type RoutedSend struct {
	Dests []NodeID
	Frame *Push
}

// Delivery is a message accepted by its topic's validator (or a topic
// without one): hand it to the topic's subscribers. From is the peer it
// came from (the origin for routed messages). Msg is shared: never modify
// it.
type Delivery struct {
	From NodeID
	Msg  *Message
}

// WaiterID names one Subscribe.
type WaiterID uint64

// Answer fulfils a Subscribe: the message has arrived (or was cached).
type Answer struct {
	Waiter WaiterID
	Msg    *Message
}

// Penalty blames a peer for a frame that failed decoding, a signature or a
// validator, a pull flood, an announcement it did not serve, or a reply we
// never asked for. The driver scores the peer; the link layer bans on
// repeated faults.
type Penalty struct {
	Peer NodeID
	Err  *Error
}

// Ready is a batch of outputs. The driver handles every field, in this
// order, then calls Advance:
//
//  1. Answers: fulfil each waiter; Expired: tell each waiter it timed out.
//  2. Delivered: hand each message, in order, to its topic's subscribers.
//  3. Messages: send each frame to its peer on its lane, in order;
//     Routed: send each through the routing layer.
//  4. Penalties: score the peers.
//  5. Deadline: arm the one timer; call Tick at or after it.
//
// Nothing needs persisting: the cache is memory only (as seed 001's).
type Ready struct {
	Answers   []Answer
	Expired   []WaiterID
	Delivered []Delivery
	Messages  []Outgoing
	Routed    []RoutedSend
	Penalties []Penalty
	Deadline  time.Time
}

func (r *Ready) empty() bool {
	return len(r.Answers) == 0 && len(r.Expired) == 0 && len(r.Delivered) == 0 &&
		len(r.Messages) == 0 && len(r.Routed) == 0 && len(r.Penalties) == 0
}

// Stats are an Engine's counters since it was created (seed 001's metrics
// plus the pull, tree and budget counters). Drops counts frames dropped or
// refused, by reason.
type Stats struct {
	Received      uint64 // messages accepted and cached (seed: receive{Success})
	Duplicates    uint64 // copies of messages already seen (seed: receive{Dropped})
	Ineligible    uint64 // accepted from peers outside the primary set: not cached
	Uncacheable   uint64 // accepted but larger than PeerBytes: not cached
	Invalid       uint64 // frames that failed to decode (seed: receive{Invalid})
	Delivered     uint64 // messages handed to the application
	Pushed        uint64 // message bodies sent (eager, direct, replies)
	Announced     uint64 // digests announced (lazy push)
	PrunesSent    uint64
	GraftsSent    uint64 // pulls with the graft flag
	PullsSent     uint64
	PullsServed   uint64
	PullsMissing  uint64 // pulls answered with Missing
	PullsFailed   uint64 // digests given up after MaxPullTries or no announcer left
	PullsRefused  uint64 // pulls over MaxServes or the serve budget
	SubscribeHit  uint64 // answered at once from the cache
	SubscribeWait uint64 // answered later, on arrival
	SubscribeGone uint64 // cancelled by the requester or expired
	GetHit        uint64
	GetMiss       uint64
	Deferred      uint64
	Evictions     map[EvictReason]uint64
	Drops         map[Reason]uint64
}

// DequeInfo is one peer's deque in a Snapshot.
type DequeInfo struct {
	Peer    NodeID
	Digests int
	Bytes   int
}

// Snapshot is the cache's state for operators (the admin API's
// GET /broadcast).
type Snapshot struct {
	CacheBytes int
	Entries    int
	Waiters    int
	Deferred   int
	Seen       int
	Fetches    int
	Deques     []DequeInfo // sorted by peer
}
