package cft

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// TestWithChainRefusedReproposalDoesNotHalt: a leader disseminates a
// block X and is cut off before X's id reaches the raft log, so X is every
// survivor's best head on top of the last committed block. Before any new
// leader re-proposes X (Produced.Via), the cut-off producer is removed from
// the raft configuration: here the new leader's Produce fails while the
// removal commits (a transient producer error; on a real node the change
// is carried out by driveChanges in the same step as a failed Produce).
// From then on the FSM refuses X on every member (its signer is not a
// voter of the configuration in force, ErrUnauthorizedEntry).
//
// Before the fix the engine left office, took it again, and its producer
// offered X again through Via, forever: the chain halted (irreversible
// height stuck at X's parent). Now the engine remembers the refusal, asks
// the producer to build on the last committed block itself
// (ProduceRequest.NoVia), and the chain goes on; X is never irreversible,
// and every member counts the same refusals.
func TestWithChainRefusedReproposalDoesNotHalt(t *testing.T) {
	forBothCarriers(t, func(t *testing.T, net carrier) {
		ld, rest := startThreeProducers(t, net)
		setFailing := func(on bool) {
			for _, n := range rest {
				n.mu.Lock()
				n.failing = on
				n.mu.Unlock()
			}
		}
		cut := make(chan block.ID, 1)
		ld.mu.Lock()
		ld.hook = func() {
			ld.mu.Lock()
			ld.hook = nil
			head := ld.c.HeadID()
			ld.mu.Unlock()
			setFailing(true)
			net.isolate(ld.id, true)
			cut <- head
		}
		ld.mu.Unlock()
		orphan := <-cut

		// A new leader in office among the survivors; it removes the
		// cut-off producer while its own Produce fails.
		var nl *chainNode
		deadline := time.Now().Add(time.Minute)
		for nl == nil {
			require.True(t, time.Now().Before(deadline), "no new leader")
			time.Sleep(5 * time.Millisecond)
			for _, n := range rest {
				if n.eng.Status().Producing {
					nl = n
				}
			}
		}
		for _, n := range rest {
			n.mu.Lock()
			require.Equal(t, orphan, n.c.HeadID(), "%s holds the cut-off leader's block as its head", n.id)
			n.mu.Unlock()
		}
		require.NoError(t, nl.eng.raft.RemoveServer(raft.ServerID(ld.id), 0, time.Second).Error())
		for _, n := range rest {
			for hasVoter(n.eng.fsm.state().Conf, raft.ServerID(ld.id)) {
				require.True(t, time.Now().Before(deadline), "%s did not apply the removal", n.id)
				time.Sleep(5 * time.Millisecond)
			}
		}
		require.Equal(t, orphan.Height()-1, nl.eng.fsm.last().ID.Height(), "the orphan's parent is the last committed block")
		setFailing(false)

		// Five blocks take about 0.1 s at 20 ms each; ten virtual seconds
		// without them is a halt (a failed wait in the old code spins
		// through leave-and-retake office, slow in real time).
		deadline = time.Now().Add(10 * time.Second)
		for _, n := range rest {
			for n.irreversible().Height() < orphan.Height()+5 {
				require.True(t, time.Now().Before(deadline), "chain halted: %s stuck at %d, %d entries refused",
					n.id, n.irreversible().Height(), n.eng.Status().Rejected)
				time.Sleep(5 * time.Millisecond)
			}
		}
		var refused []uint64
		for _, n := range rest {
			n.mu.Lock()
			at, err := n.c.BlockAt(orphan.Height())
			n.mu.Unlock()
			require.NoError(t, err)
			require.NotEqual(t, orphan, at.ID(), "%s: the removed producer's block became irreversible", n.id)
			refused = append(refused, n.eng.Status().Rejected)
		}
		// The orphan was refused once per leader that offered it (one here,
		// two if leadership moved in between), on every member alike.
		require.Equal(t, refused[0], refused[1], "members refuse alike")
		require.GreaterOrEqual(t, refused[0], uint64(1))
		require.LessOrEqual(t, refused[0], uint64(2), "the refused block is not re-proposed again and again")
	})
}
