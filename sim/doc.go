// Package sim is blockwire's deterministic discrete-event simulator: it runs
// hundreds of nodes in one process on virtual time, each with a real
// forkdb.Tree, an in-memory block store and one real blocksync.Conn per
// link, over simulated links with latency, jitter, bandwidth, loss,
// duplication, reordering, partitions, crashes and byzantine peers, and
// checks block sync's invariants across nodes. It is the tool that proves
// seed 003's protocol, and `blockwire sim` is a thin flag layer over Run.
//
// # Usage
//
//	cfg := sim.DefaultConfig()
//	cfg.Nodes, cfg.Degree, cfg.BlockSize = 50, 8, 1<<20
//	cfg.Faults, err = sim.ParseFaults("partition@2s-5s:0-24/25-49")
//	res, err := sim.Run(cfg) // err wraps ErrInvariant when res.Failed()
//	fmt.Print(res.Summary()) // or json.Marshal(res)
//
// Result.Command is the `blockwire sim` command line that replays the run;
// every failure message includes it. Config.RegisterFlags defines exactly
// those flags on a flag.FlagSet, so a CLI built on it parses every printed
// command back into the same Config (a test checks the round trip).
//
// # Determinism
//
// One run is a function of its Config. The engine is a priority queue of
// events ordered by (virtual time, sequence number), so ties run in the
// order they were scheduled; a single math/rand/v2 PCG source seeded from
// Config.Seed makes every random choice (topology, keys, jitter, loss,
// duplication, reordering, byzantine garbage) in event order; nothing runs
// on a goroutine and nothing reads the wall clock except to report wall_ms.
// Maps are never iterated where order matters (nodes and links are walked in
// sorted order). A running FNV-1a hash over every executed event (time,
// kind, nodes, size) and over each random outcome that steers the run is
// reported as trace_hash: the same Config gives the same hash, and a test
// checks it. A runner owns all its state, so runs may execute in parallel.
//
// # What is simulated
//
// Links mirror the link layer: each direction serializes at Config.Bandwidth
// with two lanes, control before blocks, and block bodies cut into
// Config.Chunk pieces so a control message waits for at most one chunk.
// With Config.Uplink (--uplink 100mbit) every node's sends also share one
// egress of that rate, as a host with one shaped uplink does (testnet
// --netns shapes each host, not each link): the egress serves the node's
// link directions round robin, one piece per turn (fair, not FIFO; uplink.go
// says why), so a producer sending a block to k peers at once finishes
// after k × size / rate. It is off by default, so per-link figures stand,
// and it applies to the blocksync modes (solo, rotate).
// Lanes are reliable FIFO streams, as blocksync requires, so link faults
// take the form streams give them: a lost message is retransmitted after a
// timeout and stalls its lane; a duplicated message costs its wire time
// twice but is delivered once; reordering stalls the control lane so that
// bodies sent later overtake it. A partition closes the connections it cuts (messages in flight are
// lost; both ends drop their Conn) and redials after the heal, so the two
// sides meet again through blocksync's locator. A one-way cut holds one
// direction's messages, in order, until it heals, as a TCP stream would
// through a black hole. A crash loses everything but the irreversible chain
// (as if only it had been synced to disk); a restart boots a fresh Tree from
// it and reconnects. Block bodies are simulated by size: every block shares
// one payload slice, so 200 nodes × 1,000 blocks of 1 MiB fit in memory, and
// block.Check is memoized per block value (forged copies are new values and
// are checked for real).
//
// Producers follow the Consensus interface: solo (node 0 produces every
// slot; each block is final when produced) or rotate (Config.Producers
// producers take turns by term, Config.TermBlocks slots each, so partitions
// make real forks; a test oracle finalizes a block once a majority of
// correct producers have it on their best chain). Nodes learn finality from
// headers' Irreversible field and from the irreversible block a peer
// reports, accepted only when some correct node has made it irreversible
// (standing for the certificate a real peer would attach). Real consensus
// engines implement the same interface and plug in through RunWith.
//
// --mode bft runs pure consensus/bft engines through the optional driven
// interface (bft.go): no slots; one engine per producer (and a second one
// with the same key on node Producers+i for a twin); engine messages travel
// on direct consensus links between producers (latency, jitter, bandwidth,
// loss, crashes and partitions apply; a lost message is gone, the engine
// retries); a leader's notarize vote carries its block, as consensus/bftrun's
// type 2 envelope does, and blocks also spread by blocksync; each engine's
// deadline is an event; a leader builds its block on the parent the engine
// chose when it asks; a producer fetches a certified block it lacks (the
// driver's duty 4) one round trip later; records are kept across crashes;
// a producer makes a block irreversible when its engine reports the
// finalization. Crashes fall between events, so persist-before-send holds,
// unless a crashpoint fault (bft_crash.go) crashes the node between the
// sync and a send. The run ends once Config.Blocks are final, every correct
// node finalized 10 blocks after the adversarial prefix (the last scheduled
// fault) and the network agrees. Result.BFT adds finality latency (ms and
// δ), block interval, views skipped, view changes and their cost, the
// checkers (certificate-level safety and ancestry, double_signs_by_correct:
// a correct producer's vote that contradicts an earlier one, across
// restarts; votes sent without a durable record), finalized_after_prefix_min
// and the crashpoint crashes. The byzantine producers of the catalogue
// (bft_byz.go): equivocate (two blocks per view, each with a valid
// notarize vote, to the two halves), doublevote, unknownblock, forge (bad
// signatures, impersonation, replays, tampered certificates), silent,
// nullify (nullify-only, no engine) and twin.
//
// # Byzantine nodes
//
// A byzantine node runs the correct code, but its outgoing block bodies
// pass a filter: badsig sends a sibling of each block that claims the same
// producer with a signature that does not verify; garbage replaces every
// other body with random bytes; withhold never sends a body; unknownparent
// adds a validly signed block whose parent nobody has; equivocate (a
// rotating producer) signs two blocks per slot and sends the twin to half of
// its peers. A node that catches a peer misbehaving closes the link and
// does not redial it for 5 s.
//
// # Invariants and metrics
//
// Computed across nodes, never a node against itself (see Result's field
// docs): safety_violations (two correct nodes finalize different blocks at
// one height), correct_rejections (a correct node rejects or penalizes a
// correct sender; seed 003's invariant), liveness (after every heal and
// restart, all correct running nodes must hold the highest irreversible
// block before the run ends), heads_agree at the end, copies_per_node,
// dissemination percentiles against ideal_dissemination_ms (store-and-
// forward over shortest paths), hellos_per_sync and the catch-up rate of
// Config.CatchUpNode. The run stops once heads and irreversible blocks agree
// after the last block and fault, or when Config.Settle runs out.
//
// # Fault syntax
//
// Config.Faults is written as a comma-separated list (ParseFaults):
//
//	partition@2s-5s:0-24/25-49   cut every link between the groups from 2 s to 5 s
//	oneway@2s-5s:0-3>4-9         hold messages from nodes 0-3 to nodes 4-9 until 5 s
//	crash@3s:7                   node 7 crashes at 3 s
//	restart@6s:7                 node 7 restarts at 6 s
//	byz@0:withhold               node 0 is byzantine for the whole run
//	crashpoint@1s-4s:0-3:0.05    bft producers 0-3 crash between persist and send
//
// Times are Go durations; node sets join ranges and nodes with '+' (0-3+7);
// behaviours are equivocate, badsig, garbage, withhold and unknownparent,
// and for bft producers doublevote, unknownblock, forge, silent, nullify
// and twin.
// Nodes in no group of a partition keep all their links.
//
// # Replaying a seed
//
// Every failure (Run's error, the seed sweep test) prints the command that
// replays it, such as
//
//	blockwire sim --seed 7 --nodes 13 --topology ring --degree 4 --blocks 25 \
//	    --block-size 262144 --interval 51ms --latency 10ms --jitter 0s --bandwidth 100000000 \
//	    --loss 0.01 --dup 0.01 --reorder 0 --producers 1 --mode solo --relay flood \
//	    --window 1048576 --settle 10s
//
// Flags map one to one to Config fields (--block-size BlockSize, --term-blocks
// TermBlocks, --catchup-node/--catchup-at CatchUpNode/CatchUpAt, --chunk,
// --window, --settle). To see every message of a sweep seed, run
// `SEED=7 go test ./sim -run TestDebugSeed -v`.
//
// # Routing (`blockwire sim routes`)
//
// RunRoutes runs one transport/route.Router per node on the same engine
// (same seeded source, same trace hash) instead of blocksync: links get a
// one-way latency drawn per link from [LatencyMin, LatencyMax] plus normal
// jitter per message (FIFO per direction), and carry the routers' encoded
// frames. Faults (ParseRouteFaults, or --churn drawing them from the seed)
// are silent link failures (down: both ends keep sending into a black hole
// until their hellos time out), clean closes, links (re)connecting, silent
// node crashes and restarts with a fresh router id; --rewire replaces the
// topology by a new random ring every interval. Destinations (the
// producers) are spread evenly over the node numbers.
//
// Checks, across nodes: after every event that changed a route, the walk
// along next hops from the changed node (any new cycle passes through it)
// counts forwarding loops, which must be 0 (with --no-feasibility they
// appear: a test shows it). Every 10 ms while routes change, and around
// every fault, routing is correct when every running node with a live
// path to a running destination reaches it along next hops over live
// links and no node routes to a destination it cannot reach; the time
// from a fault until routing is correct for good is its convergence. Probe
// unicasts go out at --unicast per second; those sent while converged and
// 3 s before any fault must all arrive. Multicasts to every destination at
// the end must arrive once each, with at most one copy per link direction.
// Stretch compares the true latency of each selected path with the
// shortest path's at the end; control bytes include the link's framing.
// RoutesResult's field docs define every figure.
package sim
