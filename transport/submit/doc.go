// Package submit is the node's transaction forwarding protocol on
// route.ClassTransaction (docs/protocol.md §10), as a pure core: the wire
// format of a submit and of a producer's answer, and the policy of an
// Attempt — which producer to send to (Dest), what follows an answer
// (Answered: finish, redirect to the leader named, or retry after an
// election), when to retry (RetryAt) and whether to re-send after the
// first hop's link closed (LinkClosed).
//
// The node drives it: it sends over the routed transport, keeps the
// attempts awaiting answers (node/relay.Table), and answers its submitters.
package submit
