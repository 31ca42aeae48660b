package sim

import (
	"crypto/ed25519"
	"encoding/binary"
	"slices"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

// The byzantine catalogue of --mode bft (consensus/bft's actors_test.go,
// bft.md §10), on the simulator's consensus links. Engine-backed actors
// (equivocate, doublevote, unknownblock, forge, twin) run a correct engine
// and mutate or add to what it sends; silent and nullify-only actors run
// none. A byzantine producer's node is not correct, so the checkers never
// count its votes or its finality; what its messages do to the correct
// producers is what the run tests.

// bftActors returns each producer's consensus behaviour ("" for a correct
// engine, and for byzantine nodes whose misbehaviour is on blocksync).
func bftActors(cfg Config) []Behaviour {
	out := make([]Behaviour, cfg.Producers)
	for _, f := range cfg.Faults {
		if f.Kind != FaultByzantine || !slices.Contains(BFTBehaviours(), f.Behaviour) {
			continue
		}
		for _, v := range f.Nodes {
			if v < cfg.Producers {
				out[v] = f.Behaviour
			}
		}
	}
	return out
}

// twinHosts returns the nodes that run the second engine of f's twins
// (node Producers+i for producer i).
func twinHosts(cfg Config, f Fault) []int {
	if f.Kind != FaultByzantine || f.Behaviour != ByzTwin {
		return nil
	}
	out := make([]int, 0, len(f.Nodes))
	for _, v := range f.Nodes {
		out = append(out, cfg.Producers+v)
	}
	return out
}

// act sends one of instance i's engine messages, mutated by its actor. A
// leader's notarize vote for its proposal carries the block.
func (bc *bftCons) act(i int, m bft.Message) {
	p := bc.ps[i]
	msg := bftMsg{m: m}
	if pr := p.proposal; pr != nil && m.Vote != nil && m.Vote.Kind == bft.Notarize && m.Vote.Block == pr.ID() {
		p.proposal, msg.blk = nil, pr
		if p.actor == ByzEquivocate || p.actor == ByzLie {
			bc.equivocate(i, msg)
			return
		}
	}
	if p.actor == ByzLie {
		var ok bool
		if msg.m, ok = bc.lie(p.signer, m); !ok {
			return
		}
	}
	bc.broadcast(i, msg)
	v := m.Vote
	switch {
	case v == nil:
	case p.actor == ByzDoubleVote && v.Kind != bft.Nullify:
		bc.broadcast(i, bftMsg{m: bc.vote(p.signer, v.Kind, v.View, bc.otherBlock(v.View, v.Block))})
		bc.broadcast(i, bftMsg{m: bc.vote(p.signer, bft.Nullify, v.View, block.ZeroID)})
	case p.actor == ByzUnknownBlock:
		w := v.View + uint64(bc.r.e.rng.IntN(3))
		bc.broadcast(i, bftMsg{m: bc.vote(p.signer, bft.Notarize, w, bc.randomID(w))})
		bc.broadcast(i, bftMsg{m: bc.vote(p.signer, bft.Finalize, w, bc.randomID(w))})
	}
	if p.actor == ByzForge {
		bc.forge(i, m)
	}
}

// lie is what a ByzLie producer sends for one of its engine's messages:
// a nullify vote with a false report, nothing for its other votes
// (withheld) nor for a certificate that carries one of them.
func (bc *bftCons) lie(signer int, m bft.Message) (bft.Message, bool) {
	v := m.Vote
	if c := m.Cert; c != nil {
		return m, c.Kind == bft.Nullify || !slices.Contains(c.Signers, signer)
	}
	if v.Kind != bft.Nullify {
		return m, false
	}
	var r block.ID
	switch bc.r.e.rng.IntN(3) {
	case 0:
		r = bc.otherBlock(v.View, v.Block)
	case 1:
		r = bc.randomID(v.View)
	}
	if r == v.Block {
		r = bc.randomID(v.View)
	}
	out := bc.vote(int(v.Signer), bft.Nullify, v.View, r)
	bc.byzVotes.sent(out.Vote)
	return out, true
}

// prepareTwin makes an equivocating leader's second block for the view
// (same parent, view and slot, another body) and has blocksync send it to
// the node's odd-numbered peers instead of the first.
func (bc *bftCons) prepareTwin(i int, parent *block.SignedHeader, b *block.Block) {
	r, p := bc.r, bc.ps[i]
	n := r.nodes[p.node]
	twin := r.fac.child(parent, p.signer, b.Term, bc.slot, n.tree.RootID(), int64(r.e.now), 1)
	r.checked[twin] = nil
	n.twins[b.ID()] = twin
	bc.proposed(twin)
}

// equivocate sends the proposal (block and vote) to the even instances and
// the twin block with its own valid notarize vote to the odd ones.
func (bc *bftCons) equivocate(i int, first bftMsg) {
	p := bc.ps[i]
	twin := bc.r.nodes[p.node].twins[first.blk.ID()]
	second := bftMsg{m: bc.vote(p.signer, bft.Notarize, first.blk.Term, twin.ID()), blk: twin}
	bc.byzVotes.sent(first.m.Vote)
	bc.byzVotes.sent(second.m.Vote)
	if p.actor == ByzLie { // the blocks go out, its votes for them do not
		first.m, second.m = bft.Message{}, bft.Message{}
	}
	for q := range bc.ps {
		switch {
		case q == i:
		case q%2 == 0:
			bc.send(i, q, first)
		default:
			bc.send(i, q, second)
		}
	}
}

// forge sends what an attacker holding one key can make of m: a corrupted
// signature, a vote claiming another signer, a replay of a message it
// received, and certificates with a duplicated signer, a flipped signature
// byte or a moved view.
func (bc *bftCons) forge(i int, m bft.Message) {
	p := bc.ps[i]
	if v := m.Vote; v != nil {
		bad := *v
		bad.Sig[7] ^= 1
		bc.broadcast(i, bftMsg{m: bft.Message{Vote: &bad}})
		other := *v
		other.Signer = uint16((p.signer + 1) % bc.set.Len())
		bc.broadcast(i, bftMsg{m: bft.Message{Vote: &other}})
	}
	if len(p.seen) == 0 {
		return
	}
	old := p.seen[bc.r.e.rng.IntN(len(p.seen))]
	bc.broadcast(i, bftMsg{m: old})
	c := old.Cert
	if c == nil || len(c.Signers) < 2 {
		return
	}
	dup := *c
	dup.Signers = append([]int{c.Signers[0]}, c.Signers[:len(c.Signers)-1]...)
	dup.Sigs = append([]block.Signature{c.Sigs[0]}, c.Sigs[:len(c.Sigs)-1]...)
	flip := *c
	flip.Sigs = slices.Clone(c.Sigs)
	flip.Sigs[0][3] ^= 0x80
	moved := *c
	moved.View++
	for _, t := range []*bft.Certificate{&dup, &flip, &moved} {
		bc.broadcast(i, bftMsg{m: bft.Message{Cert: t}})
	}
}

// observe lets a forger remember what it received (to replay it).
func (bc *bftCons) observe(i int, m bft.Message) {
	if p := bc.ps[i]; p.actor == ByzForge && len(p.seen) < 64 {
		p.seen = append(p.seen, m)
	}
}

// maxNullifyAhead bounds how far past its last nullify a nullify-only actor
// follows a message (a forged far view must not make it sign forever).
const maxNullifyAhead = 64

// actorReceive drives the engine-less actors: a nullify-only producer
// nullifies every view up to the one a message names, at once; a silent one
// does nothing.
func (bc *bftCons) actorReceive(i int, m bft.Message) {
	p := bc.ps[i]
	if p.actor != ByzNullify || !bc.r.nodes[p.node].up {
		return
	}
	var w uint64
	switch {
	case m.Vote != nil:
		w = m.Vote.View
	case m.Cert != nil:
		w = m.Cert.View + 1
	}
	w = min(w, p.maxView+maxNullifyAhead)
	for ; p.maxView < w; p.maxView++ {
		bc.broadcast(i, bftMsg{m: bc.vote(p.signer, bft.Nullify, p.maxView+1, block.ZeroID)})
	}
}

// vote signs a vote with signer's key, outside any engine.
func (bc *bftCons) vote(signer int, k bft.Kind, view uint64, id block.ID) bft.Message {
	var sig block.Signature
	copy(sig[:], ed25519.Sign(bc.r.keys.priv[signer], bft.VoteBytes(bc.chain, k, view, id)))
	return bft.Message{Vote: &bft.Vote{Kind: k, View: view, Block: id, Signer: uint16(signer), Sig: sig}}
}

// otherBlock returns a proposed block of the view other than id, or an id
// nobody has.
func (bc *bftCons) otherBlock(view uint64, id block.ID) block.ID {
	for _, b := range bc.byView[view] {
		if b != id {
			return b
		}
	}
	return bc.randomID(view)
}

// randomID is a block id that exists nowhere (it embeds a height, as ids
// do, so the engine gets past the shape checks).
func (bc *bftCons) randomID(view uint64) block.ID {
	var id block.ID
	binary.BigEndian.PutUint64(id[:8], view)
	for k := 8; k < len(id); k += 8 {
		binary.LittleEndian.PutUint64(id[k:], bc.r.e.rng.Uint64())
	}
	return id
}

// verifyMemo caches ed25519 verification within a run: every producer
// verifies each vote it receives, and each certificate repeats the votes'
// signatures, so one check serves them all. It returns exactly what
// ed25519.Verify returns (a pure function) and is used from the run's one
// event loop.
type verifyMemo struct{ seen map[string]bool }

func newVerifyMemo() *verifyMemo { return &verifyMemo{seen: map[string]bool{}} }

func (m *verifyMemo) Verify(key block.PublicKey, msg []byte, sig block.Signature) bool {
	k := string(key[:]) + string(sig[:]) + string(msg)
	ok, hit := m.seen[k]
	if !hit {
		ok = bft.Ed25519{}.Verify(key, msg, sig)
		m.seen[k] = ok
	}
	return ok
}
