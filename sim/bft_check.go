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
type voteLog struct {
	// signed maps (signer, kind, view) to the block voted for.
	signed map[voteKey]block.ID
	// doubles counts contradicting votes; first describes the first few.
	doubles int
	first   []string
}

type voteKey struct {
	signer uint16
	kind   bft.Kind
	view   uint64
}

func newVoteLog() *voteLog { return &voteLog{signed: map[voteKey]block.ID{}} }

// sent records a vote; it reports whether the vote contradicts an earlier
// one.
func (l *voteLog) sent(v *bft.Vote) bool {
	k := voteKey{v.Signer, v.Kind, v.View}
	bad := false
	if prev, ok := l.signed[k]; ok && prev != v.Block {
		bad = true
	}
	switch v.Kind {
	case bft.Nullify:
		_, bad2 := l.signed[voteKey{v.Signer, bft.Finalize, v.View}]
		bad = bad || bad2
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
