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
	// FastFinalized and SlowFinalized split the blocks a certificate
	// finalized directly (not as an ancestor) by the certificate the first
	// correct producer to hold them final used: a fast finalization (every
	// producer notarized: consensus/bft's fast path, 2δ) or a finalization
	// (the ordinary path, 3δ).
	FastFinalized int `json:"fast_finalized"`
	SlowFinalized int `json:"slow_finalized"`
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
	// ViewChanges counts views that ended in a nullification: a quorum of
	// producers sent nullify votes in them (timeouts, skipped silent
	// leaders, partitions).
	ViewChanges int `json:"view_changes"`
	// ViewChangeCostP50Ms is, over pairs of consecutive final blocks with
	// nullified views between them, the median extra gap between their
	// proposals beyond BlockIntervalP50Ms, per view between them.
	ViewChangeCostP50Ms float64 `json:"view_change_cost_p50_ms"`
	// SafetyViolations counts heights at which two correct producers'
	// finalization certificates finalize different blocks (must be 0);
	// AncestryViolations counts certificates that finalize a block not
	// extending the producer's previous final block (must be 0). The
	// top-level safety_violations counts what nodes made irreversible.
	SafetyViolations   int `json:"safety_violations"`
	AncestryViolations int `json:"ancestry_violations"`
	// DoubleSignsByCorrect counts votes of correct producers that
	// contradict an earlier vote of theirs (must be 0).
	DoubleSignsByCorrect int `json:"double_signs_by_correct"`
	// PrefixEndMs is when the adversarial prefix ended: the last scheduled
	// fault (partition heal, crash, restart, end of a crashpoint window);
	// byzantine producers go on to the end. FinalizedAfterPrefixMin is the
	// fewest blocks a correct running node made irreversible after it
	// (the run requires at least 10, or Config.Blocks if fewer).
	PrefixEndMs             float64 `json:"prefix_end_ms"`
	FinalizedAfterPrefixMin int64   `json:"finalized_after_prefix_min"`
	// CrashPoints counts crashes injected at persist/send boundaries.
	CrashPoints int `json:"crashpoint_crashes"`
	// Messages and Bytes count engine messages sent on consensus links.
	Messages int64 `json:"messages"`
	Bytes    int64 `json:"bytes"`
}

func (bc *bftCons) report(res *Result) {
	b := &BFTResult{Messages: bc.messages, Bytes: bc.bytes}
	for _, fast := range bc.certFast {
		if fast {
			b.FastFinalized++
		} else {
			b.SlowFinalized++
		}
	}
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
	b.ViewChanges = bc.votes.viewChanges(bc.viewOf(bc.top))
	b.ViewChangeCostP50Ms = ms(bc.viewChangeCost(bc.intervalP50()))
	b.SafetyViolations, b.AncestryViolations = bc.chk.safety, bc.chk.ancestry
	if b.SafetyViolations+b.AncestryViolations > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("bft: %d safety and %d ancestry violations: %v", b.SafetyViolations, b.AncestryViolations, bc.chk.first))
	}
	b.DoubleSignsByCorrect = bc.votes.doubles
	if b.DoubleSignsByCorrect > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("bft: %d double signs by correct producers: %v", b.DoubleSignsByCorrect, bc.votes.first))
	}
	if bc.unsynced > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("bft persist before send: %d votes of correct producers left with no durable record", bc.unsynced))
	}
	b.CrashPoints = bc.crashes
	b.PrefixEndMs = ms(bc.rec.end)
	after, who := bc.rec.after(bc)
	b.FinalizedAfterPrefixMin = after
	if after < int64(bc.rec.want) {
		res.Failures = append(res.Failures, fmt.Sprintf("bft recovery: node %d finalized %d blocks after the adversarial prefix ended at %v, want %d", who, after, bc.rec.end, bc.rec.want))
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

// viewChangeCost is the median, over consecutive final heights whose
// views are not consecutive, of the proposal gap beyond the normal block
// interval per view between them.
func (bc *bftCons) viewChangeCost(interval time.Duration) time.Duration {
	var costs []time.Duration
	for h := bc.r.genesis.ID().Height() + 2; h <= bc.top.Height(); h++ {
		a, okA := bc.chk.final[h-1]
		b, okB := bc.chk.final[h]
		if !okA || !okB {
			continue
		}
		pa, okA := bc.proposedAt[a]
		pb, okB := bc.proposedAt[b]
		va, vb := bc.blocks[a].Term, bc.blocks[b].Term
		if okA && okB && vb > va+1 {
			costs = append(costs, (pb-pa-interval)/time.Duration(vb-va-1))
		}
	}
	if len(costs) == 0 {
		return 0
	}
	slices.Sort(costs)
	return costs[len(costs)/2]
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
	fmt.Fprintf(sb, "  bft: %d blocks finalized, finality p50 %.1f ms (%.2f δ), p99 %.1f ms, block interval p50 %.1f ms, views skipped %d, view changes %d (cost p50 %.1f ms), %d messages (%d bytes)\n",
		b.BlocksFinalized, b.FinalityP50Ms, b.FinalityP50Delta, b.FinalityP99Ms, b.BlockIntervalP50Ms, b.ViewsSkipped, b.ViewChanges, b.ViewChangeCostP50Ms, b.Messages, b.Bytes)
	fmt.Fprintf(sb, "  bft checks: safety %d, ancestry %d, double signs by correct %d; prefix ended %.0f ms, then ≥ %d blocks final on every correct node; %d crashpoint crashes\n",
		b.SafetyViolations, b.AncestryViolations, b.DoubleSignsByCorrect, b.PrefixEndMs, b.FinalizedAfterPrefixMin, b.CrashPoints)
}
