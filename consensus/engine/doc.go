// Package engine is the one consensus-engine interface a node drives, and
// its three implementations beside the engines they wrap: CFT
// (hashicorp/raft, consensus/cft), BFT (consensus/bftrun with its safety
// records in bftstore) and Solo. node/ holds one Engine value and never
// branches on which engine runs.
//
// # What an engine does for a node
//
//   - Its producing part (raft, a BFT runner) runs between Start and Stop,
//     or Leave: Start when the node is a producer of the set in force at
//     boot, Start(prev) when a producer-set change takes it in (BFT starts
//     in the joint epoch), Leave when a change removes it, Stop when the
//     node stops (with a leadership hand-off unless it is killed).
//   - It asks the node for blocks (Host.Build), hands it blocks that came
//     with proposals (Host.Add) and reads producer sets (Host.SetAfter).
//   - It decides irreversibility on every node, producer or not: Arrived
//     (a block stored) and Drain (after Signal) return a Follow, the chain
//     changes the node's loop makes — under CFT when a committed block's
//     body is stored (raft's commits on producers, headers' Irreversible
//     field everywhere: cft.Gate), under BFT only on verified certificates
//     carried in blocks' bodies (bftrun.Finality), under solo never (the
//     producer makes each block irreversible as it makes it).
//   - It names the leader for transaction routing (Leader, Leading),
//     counts changes it has not carried out (PendingChanges) and reports
//     its status for the admin API.
//
// # Caller's duties
//
//  1. Build the engine once the transport its messages ride exists;
//     until then an idle Solo{} answers every question with "nothing".
//  2. Call Start, Leave and Stop from goroutines other than the loop
//     (they may wait for the loop: Host methods with a ctx run on it).
//  3. On the loop: call Arrived for every stored block, parents first;
//     call Drain whenever Signal fires and before building a block; carry
//     out each Follow at once (pins, then irreversible blocks in order).
//  4. Decide role changes with prodset.RoleTransition when the set in force
//     changes (a change takes effect once its block is irreversible).
//
// # Driver sketch
//
//	for {
//		select {
//		case <-eng.Signal():
//			apply(eng.Drain(chain))
//		case b := <-stored:
//			apply(eng.Arrived(chain, b))
//		}
//	}
//
// This package is a driver layer (goroutines, timers, pebble through the
// engines), not a pure core: the protocols are in consensus/cft,
// consensus/bft, consensus/bftchain and consensus/prodset.
package engine
