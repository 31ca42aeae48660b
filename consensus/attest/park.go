package attest

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// parkedRequest is a first-level request held until the verifier's chain
// reaches its block (CheckBlock stops returning ErrNotYet) or its deadline
// passes.
type parkedRequest struct {
	from block.PublicKey
	req  *Request
}

// park holds req (already checked but for the block). A request already
// held from the same requester for the same block is replaced (a re-ask
// carries a later deadline).
func (vr *Verifier) park(from block.PublicKey, req *Request) {
	for i := range vr.parked {
		p := &vr.parked[i]
		if p.from == from && p.req.Block == req.Block && p.req.Level == req.Level {
			p.req = req
			return
		}
	}
	vr.parked = append(vr.parked, parkedRequest{from: from, req: req})
}

// Recheck runs CheckBlock again on the held requests: those whose block
// the chain reached are signed and answered, those past their deadline or
// refused now are dropped (counted as late or unknown-block). The driver
// calls it when its chain advances; Tick calls it too.
func (vr *Verifier) Recheck(now time.Time) {
	keep := vr.parked[:0]
	for _, p := range vr.parked {
		if !p.req.Deadline.After(now) {
			vr.stats.Refused[ReasonLate]++
			continue
		}
		switch err := vr.checkBlock(p.req); {
		case err == nil:
			vr.sign(now, p.from, p.req)
		case err.Reason == ReasonNotYet:
			keep = append(keep, p)
		default:
			vr.stats.Refused[err.Reason]++
		}
	}
	clear(vr.parked[len(keep):])
	vr.parked = keep
}

// Parked is the number of requests held for blocks not reached yet.
func (vr *Verifier) Parked() int { return len(vr.parked) }
