package node

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// A producer with a backlog packs blocks up to consensus.block_target_bytes,
// oldest first, and leaves the rest queued for the next blocks in order
// (issue 19: a new leader packed its whole backlog into one 5–15 MiB block).
func TestProducerPacksABacklogUpToTheBlockTarget(t *testing.T) {
	tn := newTestNet(t, EngineSolo, 1, 0)
	tn.tweak = map[int]func(*Config){0: func(c *Config) {
		c.Consensus.BlockTargetBytes = 8 << 10
		c.Consensus.BlockInterval = Duration{Duration: time.Hour} // the test builds the blocks itself
		c.Admin.ReadyMaxHeadAge = Duration{}
	}}
	n := tn.start(0)
	defer tn.stopAll()
	var txs [][]byte
	var blocks []*block.Block
	require.NoError(t, n.call(context.Background(), func() {
		for i := range 5 {
			tx := kvTx(fmt.Sprintf("backlog/%d", i), strings.Repeat("v", 3000))
			txs = append(txs, tx)
			require.NoError(t, n.accept(txHash(tx), tx))
		}
		for n.lp.pool.Len() > 0 {
			blk, err := n.build(1, block.ID{}, time.Now())
			require.NoError(t, err)
			blocks = append(blocks, blk)
		}
	}))
	// Two 3 kB transactions fit an 8 KiB target, a third does not.
	require.Len(t, blocks, 3)
	require.Equal(t, [][][]byte{txs[0:2], txs[2:4], txs[4:5]}, [][][]byte{blocks[0].Txs, blocks[1].Txs, blocks[2].Txs})
}
