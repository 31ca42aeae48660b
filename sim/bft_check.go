package sim

import (
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

// voteLog is the cross-node double-sign checker: it sees every vote a
// correct producer sends (through crashes and restarts) and counts the
// votes that contradict an earlier one of the same signer: two notarize or
// two finalize votes for different blocks in one view, or nullify and
// finalize in one view. The engine's safety records exist to make this 0.
// It also counts, for every signer, who nullified which view, to tell the
// views that ended in a nullification (a view change).
type voteLog struct {
	// signed maps (signer, kind, view) to the block voted for.
	signed map[voteKey]block.ID
	// doubles counts contradicting votes; first describes the first few.
	doubles int
	first   []string
	// nulled[view] is the signers that sent a nullify in view.
	nulled map[uint64]map[uint16]bool
	quorum int
}

type voteKey struct {
	signer uint16
	kind   bft.Kind
	view   uint64
}

func newVoteLog(n int) *voteLog {
	return &voteLog{signed: map[voteKey]block.ID{}, nulled: map[uint64]map[uint16]bool{}, quorum: 2*n/3 + 1}
}

// sent records a vote; it reports whether the vote contradicts an earlier
// one (also: a nullify vote whose report is not the signer's notarize
// vote of the view, in either order).
func (l *voteLog) sent(v *bft.Vote) bool {
	k := voteKey{v.Signer, v.Kind, v.View}
	bad := false
	if prev, ok := l.signed[k]; ok && prev != v.Block {
		bad = true
	}
	switch v.Kind {
	case bft.Nullify:
		_, bad2 := l.signed[voteKey{v.Signer, bft.Finalize, v.View}]
		// The fast path's premise: the report is the notarized block.
		n, notarized := l.signed[voteKey{v.Signer, bft.Notarize, v.View}]
		bad = bad || bad2 || (notarized && n != v.Block)
	case bft.Notarize:
		r, nullified := l.signed[voteKey{v.Signer, bft.Nullify, v.View}]
		bad = bad || (nullified && r != v.Block) // notarize after a nullify that reported otherwise
	case bft.Finalize:
		_, bad2 := l.signed[voteKey{v.Signer, bft.Nullify, v.View}]
		bad = bad || bad2
	}
	if _, ok := l.signed[k]; !ok {
		l.signed[k] = v.Block
	}
	if bad {
		l.doubles++
		if len(l.first) < 3 {
			l.first = append(l.first, fmt.Sprintf("signer %d %s view %d block %s", v.Signer, v.Kind, v.View, v.Block))
		}
	}
	return bad
}

// nullifies counts a nullify vote any producer sent (byzantine ones
// included: a nullification needs a quorum either way).
func (l *voteLog) nullifies(v *bft.Vote) {
	if v == nil || v.Kind != bft.Nullify {
		return
	}
	s := l.nulled[v.View]
	if s == nil {
		s = map[uint16]bool{}
		l.nulled[v.View] = s
	}
	s[v.Signer] = true
}

// viewChanges counts the views up to last in which a quorum of producers
// nullified (after the run's target, leaders stop proposing and every view
// ends that way; those do not count).
func (l *voteLog) viewChanges(last uint64) int {
	k := 0
	for v, s := range l.nulled {
		if v <= last && len(s) >= l.quorum {
			k++
		}
	}
	return k
}

// bftChecker compares the finalization certificates correct producers
// obtained (never a producer against itself):
//   - safety: no two correct producers finalize different blocks at one
//     height;
//   - ancestry: every block a correct producer finalizes extends the last
//     one it finalized;
//   - every certificate verifies from its encoding against the producer
//     set alone, as a light client would check it in a later block.
type bftChecker struct {
	final    map[uint64]block.ID // height → block, across correct producers
	top      map[int]block.ID    // instance → its highest final block
	safety   int
	ancestry int
	first    []string
}

func (c *bftChecker) init() {
	c.final, c.top = map[uint64]block.ID{}, map[int]block.ID{}
}

func (c *bftChecker) fail(counter *int, format string, args ...any) {
	*counter++
	if len(c.first) < 5 {
		c.first = append(c.first, fmt.Sprintf(format, args...))
	}
}

// finalized checks one certificate instance i obtained.
func (c *bftChecker) finalized(bc *bftCons, i int, cert *bft.Certificate) {
	lc, err := bft.DecodeCertificate(cert.AppendBinary(nil))
	if err == nil {
		err = lc.Verify(bc.chain, bc.set, bc.verify)
	}
	if err != nil || !lc.Finalizes(bc.set, cert.View, cert.Block) {
		c.fail(&c.safety, "producer %d: finalization %s does not verify from its encoding: %v", bc.ps[i].node, cert, err)
		return
	}
	top, ok := c.top[i]
	if !ok {
		top = bc.r.genesis.ID()
	}
	chain, ok := bc.chainDown(cert.Block, top.Height())
	if !ok {
		c.fail(&c.safety, "producer %d finalized %s, which descends from no proposed block", bc.ps[i].node, cert.Block)
		return
	}
	if cert.Block.Height() <= top.Height() {
		if below, ok := bc.chainDown(top, cert.Block.Height()-1); !ok || below[len(below)-1] != cert.Block {
			c.fail(&c.ancestry, "producer %d finalized %s below its final %s on another branch", bc.ps[i].node, cert.Block, top)
		}
		return
	}
	if parent := bc.parentOf(chain[len(chain)-1]); parent != top {
		c.fail(&c.ancestry, "producer %d finalized %s, which does not extend its final %s", bc.ps[i].node, cert.Block, top)
		return
	}
	for _, id := range chain {
		if other, ok := c.final[id.Height()]; ok && other != id {
			c.fail(&c.safety, "height %d final as %s and %s", id.Height(), other, id)
		}
		c.final[id.Height()] = id
	}
	c.top[i] = cert.Block
}

// chainDown walks from id down to height above+1 over proposed blocks;
// the result runs from id downwards.
func (bc *bftCons) chainDown(id block.ID, above uint64) ([]block.ID, bool) {
	var out []block.ID
	for id.Height() > above {
		out = append(out, id)
		b, ok := bc.blocks[id]
		if !ok {
			return out, false
		}
		id = b.Parent
	}
	return out, true
}

func (bc *bftCons) parentOf(id block.ID) block.ID { return bc.blocks[id].Parent }
