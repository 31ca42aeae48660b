// Package prodapp is the chain App wrapper that carries out producer-set
// changes (consensus/prodset) in the chain's state, the same for every
// engine: the node wraps its App with New, and every node executes a
// change transaction the same way, so a block that carries an
// unauthorised change is refused everywhere.
//
// It is pure: it reads and writes only the chain.State it is handed.
//
// # Caller's duties
//
//  1. Wrap the chain's App with New before opening the chain; pass the
//     embedded KV App's limits so that KV writes under
//     prodset.ReservedPrefix are refused ("reserved-key").
//  2. Check submitted transactions with Validator (stateless) and, on a
//     producer, with App.Verify against the head state, so that an
//     unauthorised change is refused where it enters the network.
//  3. Carry the new set out in consensus only once the block holding the
//     change is irreversible (prodset.RoleTransition, consensus/engine).
package prodapp
