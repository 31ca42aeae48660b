// Package producers is the node's pure view of the producer set in force
// and of the changes to it: a consensus/prodset.Set looked up by the
// link's peer ids and the router's node ids (View), what a node must
// carry out when one set replaces another (Diff), which policy decides a
// change's authority and how many signatures it wants (PolicyFor,
// ChangeQuorum), and the signed change transaction an operator builds
// (ChangeTx, SignChange).
//
// It owns no goroutine, clock, socket or disk; node/prodset.go is its
// driver: it reads the set recorded in the chain's state after a block
// (Read, ReadInForce), keeps the View in force behind an atomic pointer
// for every goroutine to look up, and performs a Diff when an
// irreversible block changes the set (link protection, route admission).
//
// # Caller's duties
//
//  1. Build the genesis View with Genesis from a validated genesis (keys
//     distinct, peer ids derived from them), and pass it to every Read:
//     a state with no set recorded means the genesis set.
//  2. Treat a View as immutable: share it freely, replace it whole.
//  3. Carry out a Diff exactly once per replacement, in the order the
//     new set is published: routes first, then protection.
package producers
