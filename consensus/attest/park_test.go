package attest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// A first-level request for a block the verifier's chain has not reached
// is held, answered as soon as the chain reaches it (Recheck), and dropped
// at its deadline if it never does; a block refused outright is dropped.
func TestVerifierHoldsRequestsForBlocksNotReachedYet(t *testing.T) {
	fx := newFixture(t)
	k := fx.level(2)[0]
	known := map[block.ID]error{}
	vc := DefaultVerifierConfig(fx.chain, fx.keys[k], 2, 0, 0)
	vc.MaxQueue = 2
	vc.CheckBlock = func(id block.ID) error {
		if err, ok := known[id]; ok {
			return err
		}
		return fmt.Errorf("height %d: %w", id[7], ErrNotYet)
	}
	v, err := NewVerifier(vc)
	require.NoError(t, err)
	a, b, c := bid(5, 1), bid(6, 1), bid(7, 1)
	for _, id := range []block.ID{a, b} {
		err := v.Request(epoch, requester, &Request{Block: id, Level: 2, Deadline: epoch.Add(time.Second)})
		require.Equal(t, ReasonNotYet, ReasonOf(err))
		require.False(t, ReasonOf(err).Penalized())
	}
	err = v.Request(epoch, requester, &Request{Block: c, Level: 2, Deadline: epoch.Add(time.Second)})
	require.Equal(t, ReasonQueueFull, ReasonOf(err), "held requests count against MaxQueue")
	require.Equal(t, 2, v.Parked())
	rd := v.Ready()
	v.Advance()
	require.Empty(t, rd.Messages)
	require.Equal(t, epoch.Add(time.Second), rd.Deadline, "the held requests' deadline")

	known[a] = nil
	v.Recheck(epoch.Add(200 * time.Millisecond))
	rd = v.Ready()
	v.Advance()
	require.Len(t, rd.Messages, 1)
	require.Equal(t, a, rd.Messages[0].Msg.Receipt.Verification.Block)
	require.Equal(t, 1, v.Parked())

	v.Tick(epoch.Add(time.Second))
	require.Zero(t, v.Parked(), "past its deadline: dropped")
	require.EqualValues(t, 1, v.Stats().Refused[ReasonLate])

	known[c] = errors.New("not on my chain")
	require.Equal(t, ReasonUnknownBlock, ReasonOf(v.Request(epoch.Add(time.Second), requester,
		&Request{Block: c, Level: 2, Deadline: epoch.Add(2 * time.Second)})))
	require.Zero(t, v.Parked())
}
