package bft

import (
	"slices"

	"github.com/blockwire/blockwire/chain/block"
)

// The byzantine catalogue (bft.md §10): each actor holds one signer's key.
// Engine-backed actors run a correct engine and mutate what it sends;
// silent and nullify-only actors have no engine.
type actorKind int

const (
	actorCorrect      actorKind = iota
	actorTwin                   // a correct engine sharing its key with another
	actorSilent                 // never sends anything (a crashed or withholding leader)
	actorNullifyOnly            // nullifies every view it hears of, at once
	actorEquivocate             // as leader, proposes two blocks to two halves
	actorDoubleVote             // votes for a second block and nullifies besides
	actorUnknownBlock           // votes for blocks that do not exist, views ahead
	actorForger                 // bad signatures, impersonation, replays, tampered certificates
	// actorLiar attacks the fast path: as leader it equivocates (B to the
	// even instances, B′ to the odd) and sends no vote for either, so its
	// views end by nullification with the correct producers split; it
	// withholds every other notarize and finalize vote (no view is
	// unanimous without it), and its nullify votes report a lie (the
	// view's other block, a random id, or none).
	actorLiar
)

var byzKinds = []actorKind{actorSilent, actorNullifyOnly, actorEquivocate, actorDoubleVote, actorUnknownBlock, actorForger, actorLiar}

func (k actorKind) String() string {
	return [...]string{"correct", "twin", "silent", "nullify-only", "equivocate", "double-vote", "unknown-block", "forger", "lie"}[k]
}

// splits reports whether in's actor proposes two blocks per view.
func (in *instance) splits() bool { return in.actor == actorEquivocate || in.actor == actorLiar }

// lie replaces a liar's vote: nullify votes carry a false report, other
// votes are withheld (ok false). Its own proposal's vote is not a lie.
func (nt *net) lie(in *instance, m Message) (Message, bool) {
	v := m.Vote
	if c := m.Cert; c != nil {
		// A certificate its engine formed would carry its withheld vote.
		return m, c.Kind == Nullify || !slices.Contains(c.Signers, in.signer)
	}
	if v.Kind != Nullify {
		return m, false
	}
	var r block.ID
	switch nt.rng.IntN(3) {
	case 0:
		r = nt.otherBlock(v.View, v.Block)
	case 1:
		r = nt.randomID(v.View)
	}
	if r == v.Block {
		r = nt.randomID(v.View)
	}
	return nt.vote(in, Nullify, v.View, r), true
}

// act sends one of in's engine's messages, mutated by its actor kind.
func (nt *net) act(in *instance, m Message) {
	if in.correct && m.Vote != nil && !in.store.covers(*m.Vote) {
		nt.chk.fail("persist before send: node %d sends %s with no durable record", in.id, m.Vote)
	}
	if p := in.proposal; p != nil && m.Vote != nil && m.Vote.Kind == Notarize && m.Vote.Block == p.ID {
		in.proposal = nil
		for _, dst := range nt.inst {
			if dst != in && (!in.splits() || dst.id%2 == 0) {
				nt.sendBlock(in, dst, *p)
			}
		}
		if in.splits() {
			for _, dst := range nt.inst {
				if dst != in && dst.id%2 == 0 && in.actor != actorLiar {
					nt.sendTo(in, dst, m)
				}
			}
			nt.chk.sent(in, m)
			return
		}
	}
	if in.actor == actorLiar {
		var ok bool
		if m, ok = nt.lie(in, m); !ok {
			return
		}
	}
	nt.send(in, m)
	switch in.actor {
	case actorDoubleVote:
		if v := m.Vote; v != nil && v.Kind != Nullify {
			nt.send(in, nt.vote(in, v.Kind, v.View, nt.otherBlock(v.View, v.Block)))
			nt.send(in, nt.vote(in, Nullify, v.View, block.ZeroID))
		}
	case actorUnknownBlock:
		if v := m.Vote; v != nil {
			d := uint64(nt.rng.IntN(3))
			nt.send(in, nt.vote(in, Notarize, v.View+d, nt.randomID(v.View+d)))
			nt.send(in, nt.vote(in, Finalize, v.View+d, nt.randomID(v.View+d)))
		}
	case actorForger:
		nt.forge(in, m)
	}
}

// equivocate: the leader's second block for the same view, with a valid
// notarize vote, to the odd instances (the first went to the even ones).
func (nt *net) equivocate(in *instance, req ProposeRequest, first Block) {
	b := nt.makeBlock(in.signer, req, 1)
	vt := nt.vote(in, Notarize, req.View, b.ID)
	for _, dst := range nt.inst {
		if dst != in && dst.id%2 == 1 {
			nt.sendBlock(in, dst, b)
			if in.actor != actorLiar {
				nt.sendTo(in, dst, vt)
			}
		}
	}
	nt.chk.sent(in, vt)
}

// forge sends what an attacker holding one key can make of m: a corrupted
// signature, a vote claiming another signer, a replay of someone else's
// vote, a certificate with a duplicated signer or a flipped signature byte,
// and old messages again.
func (nt *net) forge(in *instance, m Message) {
	if v := m.Vote; v != nil {
		bad := *v
		bad.Sig[7] ^= 1
		nt.send(in, Message{Vote: &bad})
		other := *v
		other.Signer = uint16((in.signer + 1) % nt.set.Len())
		nt.send(in, Message{Vote: &other})
	}
	if len(in.seen) > 0 {
		old := in.seen[nt.rng.IntN(len(in.seen))]
		nt.send(in, old)
		if c := old.Cert; c != nil && len(c.Signers) > 1 {
			dup := *c
			dup.Signers = append([]int{c.Signers[0]}, c.Signers[:len(c.Signers)-1]...)
			dup.Sigs = append([]block.Signature{c.Sigs[0]}, c.Sigs[:len(c.Sigs)-1]...)
			nt.send(in, Message{Cert: &dup})
			flip := *c
			flip.Sigs = append([]block.Signature(nil), c.Sigs...)
			flip.Sigs[0][3] ^= 0x80
			nt.send(in, Message{Cert: &flip})
			moved := *c
			moved.View++
			nt.send(in, Message{Cert: &moved})
		}
	}
}

// actorObserve lets engine-backed actors remember what they received.
func (nt *net) actorObserve(in *instance, m Message) {
	if in.actor == actorForger && len(in.seen) < 64 {
		in.seen = append(in.seen, m)
	}
}

// actorReceive drives the engine-less actors.
func (nt *net) actorReceive(in *instance, e *event) {
	if in.actor != actorNullifyOnly || e.kind != evMsg {
		return
	}
	w := uint64(0)
	if e.msg.Vote != nil {
		w = e.msg.Vote.View
	} else if e.msg.Cert != nil {
		w = e.msg.Cert.View + 1
	}
	for ; in.maxView < w; in.maxView++ {
		nt.send(in, nt.vote(in, Nullify, in.maxView+1, block.ZeroID))
	}
}

func (nt *net) vote(in *instance, k Kind, view uint64, id block.ID) Message {
	v := signWith(memoSigner{nt.memo, nt.keys[in.signer]}, nt.chain, k, view, id, in.signer)
	return Message{Vote: &v}
}

// otherBlock returns a known block of the view other than id, or a random id.
func (nt *net) otherBlock(view uint64, id block.ID) block.ID {
	for _, bid := range nt.byView[view] {
		if bid != id {
			return bid
		}
	}
	return nt.randomID(view)
}

func (nt *net) randomID(view uint64) block.ID {
	var id block.ID
	for i := range id {
		id[i] = byte(nt.rng.IntN(256))
	}
	id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7] = 0, 0, 0, 0, 0, 0, byte(view>>8), byte(view)
	return id
}
