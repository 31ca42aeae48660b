package node

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// With quorum lost and a producer connected, a submit names the cause (no
// leader, no quorum) instead of "no link to a producer" (issue 12 item 5;
// the old code said "no link to a producer" here).
func TestSubmitWithoutQuorumSaysNoLeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(2, 10*time.Second)
		tn.stop(0, true)
		tn.stop(1, true)
		left := tn.specs[2].n
		waitFor(t, 10*time.Second, "the survivor has no leader", func() bool {
			c := left.Consensus()
			return c.Raft != nil && c.Raft.Leader == ""
		})
		_, err := tn.specs[3].n.Submit(context.Background(), kvTx("k", "v"))
		require.ErrorIs(t, err, ErrNoProducer)
		require.ErrorContains(t, err, "no leader: the producers have no quorum")
		require.Equal(t, OutcomeNotAccepted, SubmitOutcome(err))
	})
}

func TestSubmitOutcomeClassifiesEveryError(t *testing.T) {
	for err, want := range map[error]Outcome{
		nil:                                      "",
		&TxRejectedError{Reason: "malformed"}:    OutcomeRejected,
		fmt.Errorf("%w: no link", ErrNoProducer): OutcomeNotAccepted,
		unknownOutcome{fmt.Errorf("%w: accepted, then lost", ErrNoProducer)}: OutcomeUnknown,
		fmt.Errorf("%w: no answer", ErrProducerTimeout):                      OutcomeUnknown,
		fmt.Errorf("%w: deadline", ErrTxTimeout):                             OutcomeUnknown,
		ErrStopped:                                                           OutcomeUnknown,
		errors.New("something else"):                                         OutcomeUnknown,
	} {
		require.Equal(t, want, SubmitOutcome(err), "%v", err)
	}
	marked := unknownOutcome{fmt.Errorf("%w: accepted, then lost", ErrNoProducer)}
	require.ErrorIs(t, marked, ErrOutcomeUnknown)
	require.ErrorIs(t, marked, ErrNoProducer)
	require.Equal(t, "node: no producer reachable: accepted, then lost", marked.Error())
}
