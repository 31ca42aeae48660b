package bftrun

import (
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

// onInbound handles one received message: decode, epoch, sender, then
// the engine. Refusals a correct producer never causes go to Deps.Refused.
func (r *Runner) onInbound(m inbound) {
	st := r.st
	r.ctr.received.Add(1)
	env, err := decodeEnvelope(m.payload, r.cfg.BlockLimits)
	if err != nil {
		r.refused(m.from, err)
		return
	}
	if env.epoch != st.epoch.Tag {
		if c := env.msg.Cert; c != nil && st.prev != nil && env.epoch == st.prev.Tag && st.eng != nil {
			r.refused(m.from, st.eng.Inherit(r.now(), c))
		}
		r.otherEpoch(m.from, env.epoch)
		return
	}
	from, ok := st.index[m.from]
	if !ok {
		r.refused(m.from, &bft.Error{Reason: bft.ReasonNonMember, Detail: fmt.Sprintf("peer %s is not a producer of the epoch", m.from)})
		return
	}
	if st.eng == nil {
		return
	}
	if c := env.msg.Cert; c != nil {
		before := st.epoch.Tag
		r.lateFinalization(m.from, c)
		if st.eng == nil || st.epoch.Tag != before {
			return // it ended the epoch
		}
	}
	if env.typ == typeProposal {
		err = r.onProposal(m.from, from, env)
	} else {
		err = st.eng.Step(r.now(), from, env.msg)
	}
	r.refused(m.from, err)
}

// onProposal stores the proposed block (Blocks validates it), hands it to
// the engine, then counts the leader's vote.
func (r *Runner) onProposal(p peer.ID, from int, env envelope) error {
	st := r.st
	b := env.block
	if key, _ := keyOf(p); b.Producer != key {
		return &bft.Error{Reason: bft.ReasonSignerMismatch, Detail: fmt.Sprintf("block %s by %s delivered by %s", b.ID(), b.Producer, p)}
	}
	if err := r.deps.Blocks.Add(r.ctx, b); err != nil {
		if errors.Is(err, ErrInvalidBlock) {
			return &bft.Error{Reason: bft.ReasonMalformed, Detail: err.Error()}
		}
		r.log.Debug().Err(err).Stringer("block", b.ID()).Msg("proposed block not stored")
		return nil
	}
	if err := st.eng.AddBlock(r.now(), engineBlock(&b.SignedHeader)); err != nil && bft.ReasonOf(err).Penalized() {
		return err
	}
	return st.eng.Step(r.now(), from, env.msg)
}

// onBlock hands the engine a block the node stored by another path.
func (r *Runner) onBlock(h *block.SignedHeader) {
	if r.st.switchPending {
		r.maybeSwitch()
	}
	if e := r.st.eng; e != nil {
		_ = e.AddBlock(r.now(), engineBlock(h)) // validated by the node; a refusal (stale, other leader) is not news
	}
}

func engineBlock(h *block.SignedHeader) bft.Block {
	return bft.Block{ID: h.ID(), Parent: h.Parent, View: h.Term, Producer: h.Producer}
}

// refused counts a refusal and reports the ones a correct producer never
// causes.
func (r *Runner) refused(from peer.ID, err error) {
	if err == nil {
		return
	}
	reason := bft.ReasonOf(err)
	r.ctr.refuse(string(reason))
	if reason != "" && reason.Penalized() && r.deps.Refused != nil {
		r.deps.Refused(from, string(reason), err)
	}
	r.log.Debug().Str("peer", from.String()).Str("reason", string(reason)).Err(err).Msg("message refused")
}
