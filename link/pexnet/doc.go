// Package pexnet drives a pex.Book over a link.Network: peer discovery
// from seeds for a running node (issue 19 item 1).
//
// One goroutine owns the book and its one timer (the book's Deadline).
// Link events and PEX frames arrive through Connected, Disconnected and
// Receive, which the node's link.Handler calls (node/discovery.go): frames
// on the routing lane that pex.IsFrame accepts go here, every other
// routing frame to the transport. Dials (Network.Connect with
// DialTimeout) and probes (a TCP connect to a peer's own announced
// address, ProbeTimeout) run on their own goroutines and report back to
// the loop. Penalties go to Network.Penalize: malformed frames as
// link.ReasonDecode, unsolicited answers and second Hellos as
// ReasonProtocol, request floods as ReasonFlood, junk addresses as
// ReasonInvalid, so a hostile peer is banned by the link's scoring like
// any other fault (producers and static peers are protected there).
//
// Usage:
//
//	cfg := pexnet.DefaultConfig()
//	cfg.Seeds = []string{"/ip4/10.0.0.1/tcp/9000/p2p/12D3KooW..."}
//	cfg.Book.TargetPeers, cfg.Book.MaxPeers = 8, 12
//	d, err := pexnet.New(cfg, host)   // host: *link.Host or *link.MemHost
//	d.Start()
//	... handler: d.Connected(l), d.Disconnected(l, err), d.Receive(l, frame)
//	snap, _ := d.Snapshot(ctx)        // the admin API's /peers/book
//	d.Close()                         // before the host closes
//
// The in-channel's buffer (1024) absorbs bursts of link events; link
// events wait for room (they must not be lost), PEX frames beyond it are
// dropped and counted (Snapshot.FramesDropped), so a flood never blocks
// the routing lane, which also carries the transport.
package pexnet
