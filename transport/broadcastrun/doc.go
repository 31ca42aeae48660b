// Package broadcastrun is the driver of blockwire's broadcast core
// (transport/broadcast): it runs one broadcast.Engine over a node's links
// and its routing transport, so that an embedder can send its own messages
// to every node, to the producers, to one node or to its direct peers, and
// wait for a message by digest.
//
// Why its own package: the top-level transport package is the routing
// layer's driver, and broadcast is a consumer of it (routed unicast and
// multicast to producers carry ScopeRouted messages); keeping the two
// apart keeps each driver one lock, one goroutine and one timer.
//
// A Driver owns the Engine behind a lock, one goroutine and one timer (the
// Engine's deadline), like transport.Transport: inputs step the Engine on
// the caller's goroutine and never block on the network (link sends are
// queued by the link); deliveries are handed to the topic handlers on the
// driver's goroutine, in the order the Engine produced them; answers to
// Wait go to the waiting caller at once.
//
// # The owner's duties
//
//  1. New(cfg) with cfg.Engine.Key the node key (its public half is the
//     origin of our messages and our libp2p identity) and the topics every
//     node of the network registers alike (a relay validates what it
//     forwards and drops topics it does not know).
//  2. Start(router) with the node's routing transport (nil: no routed
//     recipients); the driver registers the handler of Config.Class on it.
//  3. On every link: AddLink when connected, RemoveLink when it closes,
//     and Receive for every frame of link.LaneRouting that IsFrame.
//  4. SetProducers when the producer set in force changes: producers are
//     the recipients of Producers() and stay eligible for the cache.
//  5. Close on shutdown.
//
// # Frames on the link
//
// Broadcast frames share link.LaneRouting with the routing layer: a frame
// is the tag byte FrameTag (0xBC) followed by a broadcast wire frame
// (transport/broadcast, version 1). A routing frame starts with its wire
// version (route.Version, 1), so the owner tells them apart by the first
// byte. The routing lane is the link's lane for application data: after
// consensus in priority, before blocks and sync, 4 MiB per message. Both
// of the core's lanes (control: IHave, Prune, Pull, Missing; bulk: bodies)
// ride it; a body dropped by a full link queue is repaired by the core's
// pull after GraftTimeout.
//
// Routed messages (Producers, and Node for a peer we have no link to) are
// the signed Push frame as the payload of route class Config.Class
// (ClassBroadcast by default) over the transport; the receiver hands it to
// the Engine's ReceiveRouted with the authenticated origin.
//
// # Eligibility
//
// The primary peer set the Engine caches for (seed 001's latest.primary)
// is ourselves, every linked peer and the producers: a peer whose link
// closes loses its deque at once (its entries go unless another deque
// holds them), so a cache holds nothing for peers we no longer hear from.
//
// # Errors and penalties
//
// Local calls return typed errors (ErrUnknownTopic, ErrTooLarge,
// ErrNoRecipients, ErrNoRoute, ErrTooManyWaiters, ErrWaitExpired,
// ErrClosed). A peer's fault (a frame that fails decoding, a bad
// signature, a rejected message, a pull flood, an announcement it does not
// serve) comes out of the Engine as a Penalty and is passed to
// Config.Penalize with link.ReasonInvalid and the core's reason in the
// detail, so the link's score (and in the end a ban) follows; the driver's
// own drops are counted by reason in Info().Drops.
package broadcastrun
