package submit

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Every waiter and code: a caller always hears the answer; a background
// submit a producer took is done; a final refusal is recorded; a full
// mempool is no verdict (a watched transaction goes again soon, a
// hand-off back into the pool); no producer means retry a watched one and
// requeue a hand-off.
func TestSettleByWaiterAndCode(t *testing.T) {
	const bad, full = "bad-tx: nonce", ReasonMempoolFull + ": 4096 transactions"
	cases := []struct {
		w      Waiter
		code   Code
		detail string
		want   Outcome
	}{
		{Caller, Accepted, "", Tell},
		{Caller, Rejected, full, Tell},
		{Caller, Timeout, "", Tell},
		{Caller, NoProducer, "", Tell},
		{Handoff, Accepted, "", Taken},
		{Handoff, Rejected, bad, Refused},
		{Handoff, Rejected, full, Requeue},
		{Handoff, NoProducer, "no leader", Requeue},
		{Handoff, Timeout, "", Requeue},
		{Watched, Accepted, "", Taken},
		{Watched, Rejected, bad, Refused},
		{Watched, Rejected, full, SendSoon},
		{Watched, NoProducer, "", RetryOrGiveUp},
		{Watched, Timeout, "", RetryOrGiveUp},
		{Nobody, Accepted, "", Taken},
		{Nobody, Rejected, bad, Forget},
		{Nobody, NoProducer, "", Forget},
	}
	for _, c := range cases {
		require.Equal(t, c.want, Settle(c.w, c.code, c.detail), "waiter %d code %d %q", c.w, c.code, c.detail)
	}
}

func TestSplitDetail(t *testing.T) {
	r, d := SplitDetail("bad-tx: nonce: too low")
	require.Equal(t, "bad-tx", r)
	require.Equal(t, "nonce: too low", d)
	r, d = SplitDetail("rejected")
	require.Equal(t, "rejected", r)
	require.Empty(t, d)
}
