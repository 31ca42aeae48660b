package bft

import (
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/quorum"
)

// votes collects one kind of vote for one (view, block).
type votes struct {
	tally *quorum.Tally
	sigs  map[int]block.Signature
	// reports are the nullify votes' reports (nullify votes only).
	reports map[int]block.ID
}

func newVotes(s *Set) *votes {
	return &votes{tally: quorum.NewTally(s.Rule()), sigs: map[int]block.Signature{}, reports: map[int]block.ID{}}
}

func (vs *votes) add(signer int, sig block.Signature, report block.ID) {
	if vs.tally.Add(signer) {
		vs.sigs[signer] = sig
		vs.reports[signer] = report
	}
}

// cert builds the certificate the votes make (the caller checked Met).
func (vs *votes) cert(k Kind, view uint64, id block.ID, setSize int) *Certificate {
	c := &Certificate{Kind: k, View: view, Block: id, SetSize: setSize}
	for _, s := range vs.tally.Signers().Indexes() {
		c.Signers = append(c.Signers, s)
		c.Sigs = append(c.Sigs, vs.sigs[s])
		if k == Nullify {
			c.Reports = append(c.Reports, vs.reports[s])
		}
	}
	return c
}

// view is everything the engine holds about one view. Its size is bounded
// by the set: at most one notarize, one nullify and one finalize vote per
// signer, and Config.MaxBlocksPerView blocks.
type view struct {
	n uint64
	// Our own signatures in the view, rebuilt from records after a restart.
	// Invariant: not (nullified && finalized); notarized names one block.
	notarized, nullified, finalized bool
	// The blocks of our notarize and finalize votes: they may differ (we
	// finalize whichever block the quorum notarized). myReport is what our
	// nullify vote reported: myNotarize if we had notarized, else zero.
	// Invariant: nullified && notarized ⇒ myReport == myNotarize.
	myNotarize, myFinalize, myReport block.ID

	// proposal is the first block of the view's leader we received (the
	// one we may notarize); blocks counts all blocks of the view we keep.
	proposal *Block
	blocks   int
	// proposeAsked: we (the leader) already asked the driver for a block.
	proposeAsked bool
	// timedOut: a timeout fired in this view (we nullified it unless we
	// had finalized it); retries run from now on.
	timedOut bool

	notarizeBy map[int]block.ID // signer → block of its notarize vote
	finalizeBy map[int]block.ID
	notarizes  map[block.ID]*votes
	finalizes  map[block.ID]*votes
	nullifies  *votes
	// reports is the nullify evidence: every report each signer signed
	// that we verified (a byzantine signer may sign several), with its
	// signature, from its votes and every nullification of the view. The
	// fast path's parent rule reads it, and retries relay it (reports.go).
	// Invariant: only verified signatures are entered.
	reports evidence
	// reportedOut: the reported blocks already listed in Ready.Reported.
	reportedOut map[block.ID]bool

	notarization, nullification, finalization *Certificate
}

func newView(n uint64, s *Set) *view {
	return &view{
		n:          n,
		notarizeBy: map[int]block.ID{},
		finalizeBy: map[int]block.ID{},
		notarizes:  map[block.ID]*votes{},
		finalizes:  map[block.ID]*votes{},
		nullifies:  newVotes(s),
		reports:    evidence{},
	}
}

// notarizedBlock returns the block a certificate shows notarized in the
// view: a notarization, or a finalization (whose quorum saw one).
func (v *view) notarizedBlock() (block.ID, bool) {
	if v.notarization != nil {
		return v.notarization.Block, true
	}
	if v.finalization != nil {
		return v.finalization.Block, true
	}
	return block.ZeroID, false
}

// certOf returns the view's certificate of kind k, if any.
func (v *view) certOf(k Kind) *Certificate {
	switch k {
	case Notarize:
		return v.notarization
	case Nullify:
		return v.nullification
	}
	return v.finalization
}

// reportOf is what our nullify vote in the view reports: the block we
// notarized in it, or zero.
func (v *view) reportOf() block.ID {
	if v.notarized {
		return v.myNotarize
	}
	return block.ZeroID
}
