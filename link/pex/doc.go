// Package pex is blockwire's peer discovery core (issue 19 item 1): an
// address book exchanged between neighbours over the link's routing lane,
// in the style of CometBFT's PEX reactor, so that a node configured with
// one or a few seed addresses finds and keeps a target number of peers.
//
// A Book is pure: no goroutine, clock, socket or global random source.
// The driver (package link/pexnet) feeds it link events, PEX frames,
// dial and probe outcomes and ticks, each with the time, and performs its
// Ready: frames to send, dials and probes to start, links to shed,
// penalties to charge, and the next deadline.
//
// # Why PEX and not go-libp2p-kad-dht
//
// A Kademlia DHT answers "who is close to key K" over a network of
// thousands of peers that mostly do not know each other; it costs a
// routing table of k-buckets, iterative lookups with their own RPC
// protocol and streams, provider records, and a second set of
// connections managed outside our link layer (its queries dial peers we
// would never keep). What a blockwire node needs is smaller: a few dozen
// verified neighbours of a network of tens to a few thousand nodes, the
// same links that carry blocks and routing, and defences we already
// score. PEX rides our own lane, its every fault goes through the link's
// scoring and bans, its state is a few hundred entries, and the whole of
// it is a pure state machine the simulator and fuzzers can drive. The DHT
// would become the better fit only for a public network of many
// thousands of nodes with content routing needs; the book's interface
// (seeds in, dials out) would then be fed by it.
//
// # The rules
//
//   - Seeds and static peers come from the operator's config (AddConfigured)
//     and are never evicted. Seeds are dialled only when no learned entry
//     is dialable: they are for bootstrapping, not for holding.
//   - Below TargetPeers links the book dials (at most MaxDialing at once),
//     preferring verified entries 7 times in 10 (CometBFT's 30 % bias to new
//     addresses). While it holds fewer than NeedCandidates entries to dial,
//     it asks every linked peer for addresses at most once per
//     RequestInterval (sooner, but beyond MinRequestGap, after an empty
//     answer).
//   - Above MaxPeers links it sheds inbound links that are neither exempt
//     (static peers, producers) nor younger than ShedGrace and that have
//     had an answer from us, closing them with CloseFull; the dialer then
//     leaves us alone for FullBackoff. This is what keeps the seeds, which
//     every new node dials first, from ending as hubs: they hand out
//     addresses and then make room. A seed that shed us is the exception:
//     it is left alone for DialBackoffMin doubling per shed in a row (at
//     most FullBackoff), and dialled only when nothing else is, so a node
//     whose first sample was too small (the seed had verified one or two
//     nodes, which shed it too) returns for a larger one instead of
//     sitting with no link and nobody to ask for FullBackoff.
//   - An address is shared only once verified: we dialled it and a link
//     came up, or the peer announced it in its own Hello over an inbound
//     link, it is on the IP the link comes from, and the driver's
//     reachability probe (a TCP connect) succeeded. Learned entries are
//     never shared before we reached them ourselves.
//   - Hostile peers: an answer is accepted only to our own request and
//     holds at most MaxPerAnswer entries; new entries only (first source
//     wins: nobody rewrites an entry we hold); the unverified entries one
//     source gave us are capped at MaxPerSource and those of one /24
//     (/48, DNS name) at MaxPerGroup; when the book is full the worst
//     unverified entry goes. A source most of whose entries fail their
//     dial (JunkThreshold failures, under a quarter successes) is
//     penalized and its unverified entries dropped. A request sooner than
//     MinRequestGap is ignored and charged as a flood; malformed frames,
//     unsolicited answers and second Hellos are charged as faults. Every
//     drop is recorded with its reason (Dropped) for operators.
//   - Failing entries back off exponentially (DialBackoffMin..Max) and an
//     unverified one is evicted after MaxFailures consecutive failures, a
//     verified one after MaxVerifiedFailures.
//
// # Wire format (Version 1)
//
// PEX frames ride the link's routing lane beside transport/route's. Every
// frame starts with the marker byte 'P' (0x50; route frames start with
// their version byte, 1), then the version and a type byte. Counts and
// lengths are single bytes; addresses are multiaddr text without /p2p/
// in the subset ParseAddr accepts; ids are the transport's peer id bytes.
//
//	'P' | 1 | type | body
//	type 1 Hello    n(1..4) { len(1..128) addr }×n          the sender's own addresses
//	type 2 Request  (empty)
//	type 3 Addrs    m(0..64) { idlen(1..64) id n(1..4) { len addr }×n }×m
//
// Decode is strict: unknown versions and types, bad counts, lengths or
// addresses, duplicate ids or addresses, and trailing bytes are
// ErrMalformed, and every accepted frame re-encodes to the same bytes
// (FuzzDecode). Forward compatibility: a new field or type bumps Version;
// a node refuses other versions as malformed.
//
// # Caller duties
//
//  1. New(cfg, ownAddrs, now), AddConfigured for every seed and static
//     peer, then Tick(now) and perform the Ready.
//  2. Connected and Disconnected for every link (full: the peer closed
//     with CloseFull); Receive for every routing-lane frame IsFrame says
//     is ours.
//  3. DialDone and ProbeDone for every Dial and Probe of a Ready.
//  4. Tick at or after Ready().Deadline; after every input, if HasReady,
//     perform the Ready in its documented order and call Advance.
package pex
