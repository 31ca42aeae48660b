// Package reason is the typed error every protocol core returns for a
// refused input: a stable reason string plus a detail for logs. One
// generic type replaces the Error / Error() / Is / ReasonOf block each
// core used to repeat; each package keeps its own Reason type, its
// documented reason strings, its sentinel and its message prefix.
//
// # Usage (in a package's errors.go)
//
//	type Reason string                                 // the package's stable strings
//	func (Reason) Scope() (string, error) { return "bft", ErrRefused }
//
//	type Error = reason.Error[Reason]                  // *bft.Error, as before
//	var ErrRefused = errors.New("bft: input refused")  // errors.Is matches every *Error
//	func ReasonOf(err error) Reason { return reason.Of[Reason](err) }
//
// Messages read "<prefix>: <reason>" or "<prefix>: <reason>: <detail>".
// Each package's *Error stays its own type (the type argument differs), so
// errors.As into *bft.Error never matches an *rbc.Error.
//
// Its users: chain/block, consensus/bft, bftchain, attest, prodset,
// transport/rbc, route and broadcast. Errors that carry more (forkdb's
// block id, chain's cause, link's peer) keep their own type; blocksync's
// has the same shape and could move here.
package reason
