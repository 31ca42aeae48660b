// Package transport is the driver of blockwire's routing layer: it runs
// one route.Router (the pure core, transport/route) over a node's links,
// so that a message reaches a producer however many hops away, a multicast
// crosses each link once, and an answer finds its way back to a node that
// is not routable.
//
// A Transport owns the Router behind a lock, a timer goroutine (the
// Router's deadline: hellos, expiry) and two handler goroutines. Inputs
// step the Router on the caller's goroutine and never block on the
// network (link sends are queued by the link); signatures are verified
// and made outside the lock (route.Check, route.Prepared), so a starved
// goroutine never holds every other input up through an ed25519
// operation. Outputs for consumers (deliveries, replies, send failures)
// are handed to the handlers registered per class, in the order the
// Router produced them per class: consensus-lane classes (raft) on one
// goroutine, every other class on the other, and the timer goroutine runs
// no handler. A slow transaction handler then delays neither raft nor our
// hellos (with one goroutine for all three, a node loop with a full input
// queue stopped hellos, neighbours dropped their links to the node, and
// seven producers on a ring lost their leader: docs/benchmarks.md, issue
// 13).
//
// # The owner's duties
//
//  1. New(cfg) with cfg.Route.Key the node key (its public half is the
//     routing id, which is also the libp2p identity: NodeIDOf, PeerIDOf),
//     Routable true on producers (and nodes that opt in), Admit reading
//     the producer set in force, and Penalize scoring peers on the link.
//  2. On every link: AddLink when connected, RemoveLink when it closes,
//     and Receive for every frame of link.LaneConsensus and
//     link.LaneRouting. The routing core's lanes map to the link's:
//     route.LaneControl (hellos, updates, requests, consensus-class data)
//     rides link.LaneConsensus, drained first and never behind a block;
//     route.LaneRouting (every other class) rides link.LaneRouting.
//  3. When the producer set changes: SetRoutable on a node that joined or
//     left it, Readmit everywhere (routes to removed producers go at once).
//  4. Close on shutdown.
//
// Consumers register Handle, HandleReplies and HandleFailures per class and
// call Send, Multicast and Reply; SetValidator installs a check that runs
// at every hop before a message is delivered or forwarded (Reject
// penalizes the neighbour that forwarded it, with a reason the operator
// sees in the link's score and the log). Messenger adapts one class to the
// message-pipe interface consensus/cft's raft transport uses.
//
// # Errors
//
// Nothing is dropped silently. Our own message that finds no route within
// route.Config.QueueTTL, or a full queue, comes back as a
// *route.SendError to the class's failure handler; messages dropped at
// this node (relayed or received) are counted by route.Reason in
// Stats().Route.Drops and logged at debug; the driver's own drops (a link
// that closed under a send, a full link queue, a slow handler) are counted
// in Stats().Drops by reason.
package transport
