package bft

import (
	"fmt"
	"slices"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// checker holds the cross-node invariants (never a node against itself):
//   - safety: no two correct nodes finalize different blocks at one height;
//   - ancestry: every block a correct node finalizes extends the last one it
//     finalized;
//   - double signs: no correct signer ever sends two different notarize or
//     finalize votes in one view, or both nullify and finalize in one view
//     (restarts included: that is what the safety records are for);
//   - correct peers are never penalized: a refusal with a penalized reason
//     of a message whose signer is correct is a bug in one of the engines.
type checker struct {
	nt         *net
	final      map[uint64]block.ID // height → block, across correct nodes
	votes      map[[2]uint64]*signed
	violations []string
	crashes    int
	// byzDoubleSigns counts conflicting votes by byzantine signers and
	// twins (not violations: evidence the adversary acted).
	byzDoubleSigns int
	// lateProposals counts proposals the engine refused as no longer wanted.
	lateProposals int
	// finality latency samples: time from proposal to final, per node
	latency  []time.Duration
	atPrefix map[int]uint64
	// progressed: some correct node finalized a block since last cleared.
	progressed bool
}

type signed struct {
	notarize, finalize []block.ID
	nullify            bool
	report             block.ID // the nullify vote's report
	twoReports         bool     // nullify votes with different reports
}

func newChecker(nt *net) *checker {
	return &checker{nt: nt, final: map[uint64]block.ID{}, votes: map[[2]uint64]*signed{}, atPrefix: map[int]uint64{}}
}

func (c *checker) fail(format string, args ...any) {
	if len(c.violations) < 20 {
		c.violations = append(c.violations, fmt.Sprintf("%v: ", c.nt.now.Sub(epoch))+fmt.Sprintf(format, args...))
	}
}

// correctSigner: no byzantine actor and no twin holds the key.
func (c *checker) correctSigner(s int) bool {
	for _, in := range c.nt.inst {
		if in.signer == s && !in.correct {
			return false
		}
	}
	return true
}

// sent records every vote a correct signer sends and checks double signs.
func (c *checker) sent(in *instance, m Message) {
	v := m.Vote
	if v == nil || int(v.Signer) != in.signer {
		return
	}
	key := [2]uint64{uint64(v.Signer), v.View}
	if !in.correct {
		// Tracked for scenarios to prove their adversary did something.
		key[0] |= 1 << 32
	}
	s := c.votes[key]
	if s == nil {
		s = &signed{}
		c.votes[key] = s
	}
	switch v.Kind {
	case Notarize:
		if !slices.Contains(s.notarize, v.Block) {
			s.notarize = append(s.notarize, v.Block)
		}
	case Finalize:
		if !slices.Contains(s.finalize, v.Block) {
			s.finalize = append(s.finalize, v.Block)
		}
	case Nullify:
		if s.nullify && s.report != v.Block {
			s.twoReports = true
		}
		s.nullify, s.report = true, v.Block
	}
	// The fast path's premises (doc.go): a correct signer's nullify reports
	// exactly what it notarized in the view, and it never notarizes after
	// (a report of none and then a notarize vote). Sends are not signing
	// order (a crash between persist and send, retries), so a report may
	// come before the notarize vote it names.
	lying := s.nullify && (s.twoReports || (len(s.notarize) > 0 && s.report != s.notarize[0]))
	if len(s.notarize) > 1 || len(s.finalize) > 1 || (s.nullify && len(s.finalize) > 0) || lying {
		if !in.correct {
			c.byzDoubleSigns++
			return
		}
		c.fail("double sign by correct signer %d in view %d: notarize %v finalize %v nullify %v report %s",
			v.Signer, v.View, s.notarize, s.finalize, s.nullify, s.report)
	}
}

// finalized walks the certificate's block down to in's last final block.
func (c *checker) finalized(in *instance, cert *Certificate) {
	if !in.correct {
		return
	}
	// What a light client does with the certificate a later block carries:
	// decode it and verify it against the producer set alone.
	lc, err := DecodeCertificate(cert.AppendBinary(nil))
	if err == nil {
		err = lc.Verify(c.nt.chain, c.nt.set, c.nt.memo)
	}
	if err != nil || !lc.Finalizes(c.nt.set, cert.View, cert.Block) {
		c.fail("node %d: finalization %s does not verify from its encoding: %v", in.id, cert, err)
	}
	var chain []block.ID
	for id := cert.Block; id.Height() > in.finalTop.Height(); {
		chain = append(chain, id)
		b, ok := c.nt.blocks[id]
		if !ok {
			c.fail("node %d finalized unknown block %s", in.id, id)
			return
		}
		id = b.Parent
		if id.Height() == in.finalTop.Height() && id != in.finalTop {
			c.fail("ancestry: node %d finalized %s, which does not extend its final %s", in.id, cert.Block, in.finalTop)
			return
		}
	}
	if cert.Block.Height() <= in.finalTop.Height() && in.final[cert.Block.Height()] != cert.Block {
		c.fail("ancestry: node %d finalized %s below its final %s on another branch", in.id, cert.Block, in.finalTop)
		return
	}
	for _, id := range chain {
		h := id.Height()
		in.final[h] = id
		if other, ok := c.final[h]; ok && other != id {
			c.fail("safety: height %d final as %s and %s", h, other, id)
		}
		c.final[h] = id
		if t, ok := c.nt.proposed[id]; ok {
			c.latency = append(c.latency, c.nt.now.Sub(t))
		}
	}
	if cert.Block.Height() > in.finalTop.Height() {
		in.finalTop = cert.Block
		c.progressed = true
	}
}

// refused checks that a message from a correct signer was not penalized.
func (c *checker) refused(in *instance, from int, m Message, err error) {
	if err == nil || !in.correct || !c.correctSigner(from) {
		return
	}
	if r := ReasonOf(err); r == "" || r.Penalized() {
		c.fail("node %d penalized correct signer %d: %v", in.id, from, err)
	}
}

func (c *checker) prefixEnded() {
	for _, in := range c.nt.inst {
		c.atPrefix[in.id] = in.finalTop.Height()
	}
}

// liveness: every correct node finalized at least want blocks after the
// prefix.
func (c *checker) liveness(want uint64) {
	for _, in := range c.nt.inst {
		if in.correct && in.finalTop.Height() < c.atPrefix[in.id]+want {
			c.fail("liveness: node %d finalized %d blocks after the prefix (height %d → %d), want %d",
				in.id, in.finalTop.Height()-c.atPrefix[in.id], c.atPrefix[in.id], in.finalTop.Height(), want)
		}
	}
}

// allFinalized reports whether every correct node finalized want blocks
// since the prefix ended.
func (c *checker) allFinalized(want uint64) bool {
	for _, in := range c.nt.inst {
		if in.correct && in.finalTop.Height() < c.atPrefix[in.id]+want {
			return false
		}
	}
	return true
}

// p50 returns the median finality latency in units of δ.
func (c *checker) p50Delta() float64 {
	if len(c.latency) == 0 {
		return 0
	}
	l := slices.Clone(c.latency)
	slices.Sort(l)
	return float64(l[len(l)/2]) / float64(c.nt.sc.delta)
}
