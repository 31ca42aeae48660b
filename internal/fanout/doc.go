// Package fanout hands every published value to each subscriber's own
// buffered channel, and never blocks the publisher: when a subscriber's
// channel is full the value is dropped for that subscriber and counted,
// on the subscription and on the hub. A slow subscriber loses values; the
// publisher (a node's event loop, a runner's delivery path) keeps its
// liveness.
//
// It is the one implementation of that pattern: node.Subscription (head,
// irreversible and peer events) and rbcrun.Subscription (reliable
// broadcast deliveries) are fanout.Sub values. node/webui's Hub is not:
// it empties a slow client's queue and resends a snapshot, because a
// client that misses one delta cannot apply the next.
//
// # Usage
//
//	var h fanout.Hub[Event]           // the zero value is ready
//	s := h.Subscribe(64)              // consumer side
//	go func() { for e := range s.C() { ... } }()
//	h.Publish(e)                      // producer side, never blocks
//	s.Close()                         // or h.Close() when the producer stops
//
// Every method is safe for concurrent use. Publish holds the hub's lock
// while it offers the value to every subscriber, so each subscriber sees
// values in the order Publish was called.
package fanout
