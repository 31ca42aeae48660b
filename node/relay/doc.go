// Package relay is the pure bookkeeping of transaction forwarding toward
// the leader (node/submitroute.go is its driver): the submits we sent and
// await an answer for, the local ones waiting to be sent again, per-peer
// bounds on what we relay for others, and the pacing of a mempool hand-off.
//
// Since transactions ride routed unicast (package transport), the node
// relays nothing itself: it keys submits by their routed sequence number
// and first hop, and the per-origin bounds (Admit, Relaying, ClampHops,
// Forget) are unused; they go when the table is next reworked.
//
// It owns no goroutine, clock or socket: the driver passes the time and
// reads Deadline to arm its one timer. Every operation costs O(log n) in
// the number n of outstanding submits (a deadline heap and per-link
// indexes), so a peer that fills the table slows nothing down; before it
// (issue 11, attack 5) the driver scanned every outstanding submit on every
// loop iteration.
//
// # Usage
//
//  1. Before relaying a peer's submit, ClampHops its hop count to the local
//     limit and Admit its origin: a peer at Config.MaxPerOrigin outstanding
//     relays is refused (answer it "no producer", charge it once per
//     overflow, which Admit reports).
//  2. Add each sent submit with the link it went out on, its origin (the
//     zero value for a local submit) and its deadline.
//  3. On an answer, Take it by id; on the timer, Expired; when a link
//     closes, TakeVia. Each returns the submits it removed.
//  4. Later and Due hold local submits to send again after a delay.
//  5. A Pacer spaces a hand-off: Allow says how many submits may go now.
//
// Nothing here is safe for concurrent use: the driver's loop owns it.
package relay
