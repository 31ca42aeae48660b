package submit

import "strings"

// Waiter is who waits for a submit's outcome.
type Waiter uint8

// Who waits.
const (
	// Caller: a local Submit waits for the answer.
	Caller Waiter = iota
	// Handoff: a transaction this producer handed off from its mempool;
	// unless a producer takes or refuses it, it goes back into the pool.
	Handoff
	// Watched: a re-send of a transaction a Submit (or WaitTx) still
	// waits on; unless a producer takes it, it is sent again.
	Watched
	// Nobody: a send whose outcome no one waits for.
	Nobody
)

// Outcome is what the driver does with a submit that finished with an
// answer, a timeout or no producer.
type Outcome uint8

// What the driver does.
const (
	// Tell: tell the caller the code; a rejection with its reason and
	// detail (SplitDetail), recorded for the transaction.
	Tell Outcome = iota
	// Taken: a producer took a background submit (a hand-off's backoff
	// starts over).
	Taken
	// Refused: a producer refused it for good: record the rejection.
	Refused
	// SendSoon: a watched transaction refused only by a full mempool:
	// send it again at the next sweep.
	SendSoon
	// RetryOrGiveUp: no producer took a watched transaction: retry while
	// the attempt's budget lasts (Attempt.RetryAt), else give it up and
	// tell its waiters.
	RetryOrGiveUp
	// Requeue: no producer took a hand-off: back into the mempool.
	Requeue
	// Forget: nothing to do.
	Forget
)

// ReasonMempoolFull is the reason a leader gives for a transaction it
// refused only because its mempool is full: not a verdict on the
// transaction.
const ReasonMempoolFull = "mempool-full"

// Settle decides what follows a finished submit, by who waits for it and
// the code it finished with (detail: the answer's "reason: detail").
func Settle(w Waiter, code Code, detail string) Outcome {
	full := code == Rejected && strings.HasPrefix(detail, ReasonMempoolFull)
	switch {
	case w == Caller:
		return Tell
	case code == Accepted:
		return Taken
	case w == Nobody:
		return Forget
	case code == Rejected && !full:
		return Refused
	case w == Watched && full:
		return SendSoon
	case w == Watched:
		return RetryOrGiveUp
	}
	return Requeue
}

// SplitDetail splits a rejection's "reason: detail" text.
func SplitDetail(detail string) (reason, rest string) {
	reason, rest, _ = strings.Cut(detail, ": ")
	return reason, rest
}
