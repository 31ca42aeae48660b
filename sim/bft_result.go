package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// BFTResult is what a --mode bft run measured of consensus itself (nil in
// the other modes).
type BFTResult struct {
	// BlocksFinalized counts blocks above genesis that a finalization
	// certificate made final at some correct producer.
	BlocksFinalized int `json:"blocks_finalized"`
	// FinalityP50Ms and FinalityP99Ms are the time from a block's proposal
	// until the first correct producer held it final, over final blocks.
	FinalityP50Ms float64 `json:"finality_p50_ms"`
	FinalityP99Ms float64 `json:"finality_p99_ms"`
	// FinalityP50Delta is FinalityP50Ms in units of the link latency δ
	// (Config.Latency); 3 is Simplex's bound with direct links. Blocks reach
	// producers over blocksync's hops, which adds to it.
	FinalityP50Delta float64 `json:"finality_p50_delta"`
	// BlockIntervalP50Ms is the median time between the proposals of two
	// consecutive final blocks (2δ with direct links and no skipped view).
	BlockIntervalP50Ms float64 `json:"block_interval_p50_ms"`
	// ViewsSkipped counts views below the last final block's view that hold
	// no final block (nullified, or notarized on an abandoned branch): a
	// crashed leader costs one per turn.
	ViewsSkipped uint64 `json:"views_skipped"`
	// DoubleSignsByCorrect counts votes of correct producers that
	// contradict an earlier vote of theirs (must be 0).
	DoubleSignsByCorrect int `json:"double_signs_by_correct"`
	// Messages and Bytes count engine messages sent on consensus links.
	Messages int64 `json:"messages"`
	Bytes    int64 `json:"bytes"`
}

func (bc *bftCons) report(res *Result) {
	b := &BFTResult{Messages: bc.messages, Bytes: bc.bytes}
	var lat []time.Duration
	for id, at := range bc.finalAt {
		b.BlocksFinalized++
		if p, ok := bc.proposedAt[id]; ok {
			lat = append(lat, at-p)
		}
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		b.FinalityP50Ms = ms(lat[len(lat)/2])
		b.FinalityP99Ms = ms(lat[min(len(lat)-1, len(lat)*99/100)])
		if d := bc.r.cfg.Latency; d > 0 {
			b.FinalityP50Delta = float64(lat[len(lat)/2]) / float64(d)
		}
	}
	b.BlockIntervalP50Ms = ms(bc.intervalP50())
	if !bc.top.IsZero() {
		view := bc.viewOf(bc.top)
		above := bc.top.Height() - bc.r.genesis.ID().Height()
		if view > above {
			b.ViewsSkipped = view - above
		}
	}
	b.DoubleSignsByCorrect = bc.votes.doubles
	if b.DoubleSignsByCorrect > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("bft: %d double signs by correct producers: %v", b.DoubleSignsByCorrect, bc.votes.first))
	}
	res.BFT = b
	if res.IrreversibleMin != res.IrreversibleMax {
		res.Failures = append(res.Failures, fmt.Sprintf("bft agreement: irreversible heights %d..%d at the end", res.IrreversibleMin, res.IrreversibleMax))
	}
	if want := bc.r.cfg.Blocks; b.BlocksFinalized < want {
		res.Failures = append(res.Failures, fmt.Sprintf("bft liveness: %d of %d blocks finalized", b.BlocksFinalized, want))
	}
}

// intervalP50 is the median gap between the proposals of consecutive
// final heights, walking the final chain of any node that holds it.
func (bc *bftCons) intervalP50() time.Duration {
	var props []time.Duration
	for id, at := range bc.finalAt {
		if p, ok := bc.proposedAt[id]; ok && at > 0 {
			props = append(props, p)
		}
	}
	slices.Sort(props)
	var gaps []time.Duration
	for i := 1; i < len(props); i++ {
		gaps = append(gaps, props[i]-props[i-1])
	}
	if len(gaps) == 0 {
		return 0
	}
	slices.Sort(gaps)
	return gaps[len(gaps)/2]
}

// viewOf finds a block's view in any node's store.
func (bc *bftCons) viewOf(id block.ID) uint64 {
	for _, n := range bc.r.nodes {
		if b, ok := n.store.blocks[id]; ok {
			return b.Term
		}
	}
	return 0
}

func (b *BFTResult) summary(sb *strings.Builder) {
	fmt.Fprintf(sb, "  bft: %d blocks finalized, finality p50 %.1f ms (%.2f δ), p99 %.1f ms, block interval p50 %.1f ms, views skipped %d, double signs %d, %d messages (%d bytes)\n",
		b.BlocksFinalized, b.FinalityP50Ms, b.FinalityP50Delta, b.FinalityP99Ms, b.BlockIntervalP50Ms, b.ViewsSkipped, b.DoubleSignsByCorrect, b.Messages, b.Bytes)
}
