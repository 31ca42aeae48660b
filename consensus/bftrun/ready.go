package bftrun

import (
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftchain"
)

// drain performs the engine's Ready batches in the order bft.Ready's doc
// gives: persist and sync, prune, send, pin notarized, finalize, propose.
// A store error is fatal: the votes the records cover must not leave.
func (r *Runner) drain() {
	for {
		eng := r.st.eng
		if eng == nil || r.ctx.Err() != nil || !eng.HasReady() {
			return
		}
		rd := eng.Ready()
		if len(rd.Persist) > 0 {
			if err := r.deps.Store.Append(rd.Persist); err != nil {
				r.fail(err)
				return
			}
			r.ctr.records.Add(uint64(len(rd.Persist)))
		}
		if rd.PruneBelow > 0 {
			if err := r.deps.Store.PruneBelow(rd.PruneBelow); err != nil {
				r.fail(err)
				return
			}
		}
		r.send(rd.Messages)
		r.sendInherited(rd.Inherited)
		for _, c := range rd.Notarized {
			r.ctr.notarized.Add(1)
			r.deps.Applier.Commit(Commit{ID: c.Block, View: c.View, Cert: c, Epoch: r.st.epoch.Tag})
		}
		for _, b := range rd.Reported {
			// A usable parent by nullify reports (the fast path's rule):
			// pinned and fetched like a notarized block.
			r.deps.Applier.Commit(Commit{ID: b.ID, View: b.View, Epoch: r.st.epoch.Tag})
		}
		for _, c := range rd.Finalized {
			r.onFinalized(c)
		}
		r.st.deadline = rd.Deadline
		eng.Advance()
		if rd.Propose != nil {
			r.propose(*rd.Propose)
		}
		if len(rd.Finalized) > 0 {
			r.maybeSwitch()
		}
	}
}

func (r *Runner) onFinalized(c *bft.Certificate) {
	st := r.st
	r.ctr.finalized.Add(1)
	st.lastFinal = c
	st.blockCert = bftchain.EncodeCert(st.epoch.Tag, c)
	r.deps.Applier.Commit(Commit{ID: c.Block, View: c.View, Final: true, Cert: c, Epoch: st.epoch.Tag, BlockCert: st.blockCert,
		Ours: c.Block == st.proposed})
}

// send multicasts the engine's messages to the epoch's producers. Our own
// notarize vote for our proposal leaves with the block (a type 2
// envelope): the block is never sent before the record that stops us from
// proposing another in its view is durable.
func (r *Runner) send(msgs []bft.Message) {
	st := r.st
	for _, m := range msgs {
		var payload []byte
		if p := st.proposal; p != nil && m.Vote != nil && m.Vote.Kind == bft.Notarize && m.Vote.Block == p.ID() {
			payload = encodeProposal(st.epoch.Tag, m.Vote, p)
			st.proposal = nil
			r.ctr.proposed.Add(1)
		} else {
			payload = encodeMessage(st.epoch.Tag, m)
		}
		if len(st.peers) == 0 {
			continue
		}
		if err := r.deps.Messenger.Multicast(st.peers, payload); err != nil {
			r.ctr.sendErrors.Add(1)
			r.log.Debug().Err(err).Msg("multicast failed (the engine retries)")
			continue
		}
		r.ctr.sent.Add(1)
	}
}

// sendInherited multicasts certificates of the previous epoch in its own
// envelope (their signers index its set): producers that switched verify
// them against it (bft.Engine.Inherit), those still in it use them as
// their own.
func (r *Runner) sendInherited(cs []*bft.Certificate) {
	st := r.st
	if st.prev == nil || len(st.peers) == 0 {
		return
	}
	for _, c := range cs {
		if err := r.deps.Messenger.Multicast(st.peers, encodeMessage(st.prev.Tag, bft.Message{Cert: c})); err != nil {
			r.ctr.sendErrors.Add(1)
			continue
		}
		r.ctr.sent.Add(1)
	}
}

// propose asks the Producer for our block and hands it to the engine. The
// block leaves with its vote in the next Ready (send).
func (r *Runner) propose(req bft.ProposeRequest) {
	st := r.st
	out, err := r.deps.Producer.Produce(r.ctx, ProduceRequest{
		View: req.View, Parent: req.Parent, Irreversible: st.eng.Root().ID, Certificate: st.blockCert,
	})
	if err != nil || out.Block == nil {
		r.ctr.produceErrors.Add(1)
		r.log.Warn().Err(err).Uint64("view", req.View).Msg("producing the view's block failed; the view will time out")
		return
	}
	b := out.Block
	st.proposal = b
	err = st.eng.Propose(r.now(), bft.Block{ID: b.ID(), Parent: b.Parent, View: b.Term, Producer: b.Producer})
	if err != nil {
		st.proposal = nil
		r.ctr.produceErrors.Add(1)
		r.log.Error().Err(err).Uint64("view", req.View).Msg("the engine refused our block")
		return
	}
	st.proposed = b.ID()
}
