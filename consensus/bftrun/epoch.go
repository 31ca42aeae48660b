package bftrun

import (
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftchain"
)

// maxPastEpochs bounds the epochs whose ending finalization the runner
// keeps to answer producers still in them.
const maxPastEpochs = 8

// loopState is everything the run goroutine owns.
type loopState struct {
	epoch     *bftchain.Epoch
	epochRoot bft.Root
	// prev is the epoch before this one (nil: unknown): its notarizations
	// and nullifications above our root are inherited (bft.Engine.Inherit).
	prev *bftchain.Epoch
	// eng is nil while this producer is not in the epoch's set (it left).
	eng   *bft.Engine
	peers []peer.ID       // the epoch's signers but us
	index map[peer.ID]int // signer index by authenticated peer

	deadline time.Time
	// proposal is our block, sent with its notarize vote once that vote's
	// record is durable (persist before send covers the proposal too).
	proposal *block.Block
	// proposed is the last block we proposed: its finalization is ours to
	// publish (Commit.Ours).
	proposed block.ID
	// lastFinal is the newest finalization, blockCert its body encoding.
	lastFinal *bft.Certificate
	blockCert []byte
	// past maps epochs we left to the finalization that ended them.
	past      map[bftchain.Tag]*bft.Certificate
	pastOrder []bftchain.Tag
	replied   map[peer.ID]time.Time
	// ended: a valid finalization of this (joint) epoch arrived at or below
	// our root: the epoch ended before we started it (we joined late).
	ended bool
	// switchPending: a finalization happened in this epoch whose block's
	// producer set Sets could not tell yet.
	switchPending bool
}

// open resumes the saved epoch (or starts the one of Config.Producers)
// and builds its engine from the records.
func (r *Runner) open() (*loopState, error) {
	st := &loopState{past: map[bftchain.Tag]*bft.Certificate{}, replied: map[peer.ID]time.Time{}}
	root := r.cfg.Root
	var ep *bftchain.Epoch
	raw, ok, err := r.deps.Store.LoadEpoch()
	if err != nil {
		return nil, err
	}
	if ok {
		sroot, sep, err := bftchain.DecodeEpoch(raw)
		if err != nil {
			return nil, fmt.Errorf("bftrun: saved epoch: %w", err)
		}
		ep = sep
		if sroot.View >= root.View {
			root = sroot
		} else if next, err := sep.Successor(r.cfg.Producers); err != nil {
			return nil, err
		} else if next != nil {
			ep = next // the node learned a later finalization meanwhile
		}
	}
	if ep == nil {
		if ep, err = bftchain.NewEpoch(r.cfg.Producers, r.cfg.Prev); err != nil {
			return nil, err
		}
	}
	r.st = st
	if err := r.enterEpoch(ep, root, !ok || root != r.savedRoot(raw)); err != nil {
		return nil, err
	}
	return st, nil
}

func (r *Runner) savedRoot(raw []byte) bft.Root {
	root, _, err := bftchain.DecodeEpoch(raw)
	if err != nil {
		return bft.Root{}
	}
	return root
}

// enterEpoch makes ep, rooted at the final block root, the epoch in
// force: it saves it (synced) before the new engine can sign, drops the
// records at or below the root (never needed again: nothing is signed at
// or below a final view), and builds the engine from the rest, so a vote
// made in a view above the root under the old epoch still binds us.
func (r *Runner) enterEpoch(ep *bftchain.Epoch, root bft.Root, save bool) error {
	st := r.st
	if save {
		if err := r.deps.Store.SaveEpoch(bftchain.EncodeEpoch(root, ep)); err != nil {
			return fmt.Errorf("bftrun: saving the epoch: %w", err)
		}
		if err := r.deps.Store.PruneBelow(root.View + 1); err != nil {
			return fmt.Errorf("bftrun: pruning records: %w", err)
		}
	}
	recs, err := r.deps.Store.Load()
	if err != nil {
		return fmt.Errorf("bftrun: loading records: %w", err)
	}
	kept := recs[:0]
	for _, rec := range recs {
		if rec.View > root.View {
			kept = append(kept, rec)
		}
	}
	// The old engine's certificates above the new root end those views in
	// the new epoch too (bft.Engine.Inherit: the epoch-boundary stall).
	var carry []*bft.Certificate
	var blocks []bft.Block
	switch {
	case st.eng != nil:
		carry, blocks, st.prev = st.eng.Certificates(root.View), st.eng.Blocks(root.View), st.epoch
	case st.epoch != nil:
		st.prev = st.epoch
	case ep.Joint():
		if st.prev, err = bftchain.NewEpoch(ep.Prev, nil); err != nil {
			return err
		}
	}
	st.epoch, st.epochRoot, st.eng, st.switchPending, st.ended = ep, root, nil, false, false
	st.peers, st.index = nil, map[peer.ID]int{}
	for i := range ep.Set.Len() {
		k := ep.Set.Key(i)
		p := peerOf(k)
		st.index[p] = i
		if k != r.self {
			st.peers = append(st.peers, p)
		}
	}
	if !ep.Has(r.self) {
		r.log.Info().Int("producers", len(ep.Next)).Msg("not a producer of this epoch: the engine stays off")
		return nil
	}
	cfg := r.cfg.Engine
	cfg.ChainID, cfg.Set, cfg.Key = r.cfg.ChainID, ep.Set, r.cfg.Key
	if st.prev != nil {
		cfg.Prev = st.prev.Set
	}
	eng, err := bft.New(cfg, root, kept, r.now())
	if err != nil {
		return fmt.Errorf("bftrun: starting the engine: %w", err)
	}
	st.eng = eng
	for _, c := range carry {
		_ = eng.Inherit(r.now(), c) // stale ones (at or below the root) are refused, harmlessly
	}
	for _, b := range blocks {
		_ = eng.AddBlock(r.now(), b) // those the new epoch may not build on are refused
	}
	r.log.Info().Int("producers", len(ep.Next)).Bool("joint", ep.Joint()).Uint64("root_view", root.View).
		Int("records", len(kept)).Msg("epoch started")
	return nil
}

// maybeSwitch moves to the next epoch when a finalization of this epoch
// made a block final whose state holds another producer set.
func (r *Runner) maybeSwitch() {
	st := r.st
	if st.eng == nil || r.ctx.Err() != nil {
		return
	}
	root := st.eng.Root()
	if root.View <= st.epochRoot.View && !st.ended {
		return
	}
	keys, err := r.deps.Sets.SetAfter(root.ID)
	if errors.Is(err, ErrUnknownBlock) {
		st.switchPending = true
		return
	}
	if err != nil {
		r.log.Error().Err(err).Stringer("block", root.ID).Msg("reading the producer set failed")
		st.switchPending = true
		return
	}
	st.switchPending = false
	next, err := st.epoch.Successor(keys)
	if err != nil {
		r.log.Error().Err(err).Msg("the producer set after a final block is unusable")
		return
	}
	if next == nil {
		return
	}
	r.remember(st.epoch.Tag, st.lastFinal)
	if err := r.enterEpoch(next, root, true); err != nil {
		r.fail(err)
		return
	}
	r.ctr.epochs.Add(1)
}

// remember keeps the finalization that ended an epoch, to hand producers
// still in it.
func (r *Runner) remember(tag bftchain.Tag, c *bft.Certificate) {
	st := r.st
	if c == nil {
		return
	}
	if _, ok := st.past[tag]; !ok {
		st.pastOrder = append(st.pastOrder, tag)
	}
	st.past[tag] = c
	if len(st.pastOrder) > maxPastEpochs {
		delete(st.past, st.pastOrder[0])
		st.pastOrder = st.pastOrder[1:]
	}
}

// otherEpoch handles a message of an epoch we are not in: a producer in an
// epoch we left gets the finalization that ended it (rate-limited per
// peer), so its engine finalizes, its node learns the new set, and it
// switches too. Messages of unknown (later) epochs are dropped: we catch
// up through our own epoch's certificates.
func (r *Runner) otherEpoch(from peer.ID, tag bftchain.Tag) {
	st := r.st
	r.ctr.otherEpoch.Add(1)
	c, ok := st.past[tag]
	if !ok {
		return
	}
	now := r.now()
	if last, ok := st.replied[from]; ok && now.Sub(last) < r.cfg.EpochReplyInterval {
		return
	}
	if len(st.replied) > 4*bft.MaxSigners {
		clear(st.replied)
	}
	st.replied[from] = now
	if err := r.deps.Messenger.Send(from, encodeMessage(tag, bft.Message{Cert: c})); err != nil {
		r.ctr.sendErrors.Add(1)
	}
}

// lateFinalization handles a finalization of our joint epoch at or below
// our root, which the engine refuses as stale: we started the epoch after
// it ended (a producer that joined late, answered by one that left it).
// Verified entirely, it ends the epoch for us too.
func (r *Runner) lateFinalization(from peer.ID, c *bft.Certificate) {
	st := r.st
	if !st.epoch.Joint() || st.ended || c.Kind != bft.Finalize || c.View > st.eng.Root().View {
		return
	}
	if err := c.Verify(r.cfg.ChainID, st.epoch.Set, bft.Ed25519{}); err != nil {
		r.refused(from, err) // the engine would only see it as stale
		return
	}
	st.ended, st.lastFinal = true, c
	r.maybeSwitch()
}
