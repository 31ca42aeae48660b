package sim

import (
	"errors"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

// The consensus links of --mode bft: what a producer's engine sends, how it
// arrives (with the block a proposal carries), the blocks a producer fetches,
// and the records it syncs before sending.

// sync appends records to a producer's store through their encoding, as
// consensus/bftstore does, so a restart replays what a disk would return.
func (bc *bftCons) sync(recs, add []bft.Record) []bft.Record {
	for _, rec := range add {
		got, err := bft.DecodeRecord(rec.AppendBinary(nil))
		if err != nil {
			panic("sim: a bft record does not survive its encoding: " + err.Error())
		}
		recs = append(recs, got)
	}
	return recs
}

// covered reports whether a durable record covers the vote v.
func covered(recs []bft.Record, v *bft.Vote) bool {
	want := map[bft.Kind]bft.RecordKind{bft.Notarize: bft.RecNotarized, bft.Nullify: bft.RecNullified, bft.Finalize: bft.RecFinalized}[v.Kind]
	for _, r := range recs {
		if r.Kind == want && r.View == v.View && r.Block == v.Block {
			return true
		}
	}
	return false
}

// broadcast sends m from instance i to every other instance (a twin
// receives its twin's messages too: they are different processes).
func (bc *bftCons) broadcast(i int, m bftMsg) {
	if v := m.m.Vote; v != nil && bc.correct(i) {
		bc.votes.sent(v)
		if !covered(bc.ps[i].recs, v) {
			bc.unsynced++
		}
	} else if v != nil {
		bc.byzVotes.sent(v)
	}
	bc.votes.nullifies(m.m.Vote)
	for q := range bc.ps {
		if q != i {
			bc.send(i, q, m)
		}
	}
}

// send puts one message on the consensus link from instance a to b:
// dropped when either node is down, a partition or one-way cut separates
// them (now or on arrival), or the wire loses it.
func (bc *bftCons) send(a, b int, m bftMsg) {
	nw, pa, pb := bc.r.net, bc.ps[a], bc.ps[b]
	na, nb := pa.node, pb.node
	if !nw.up[na] || !nw.up[nb] || nw.cut(na, nb) || nw.held(na, nb) {
		return
	}
	size := 0
	if m.m.Vote != nil || m.m.Cert != nil {
		size = len(m.m.AppendBinary(nil))
	}
	if m.blk != nil {
		size += m.blk.EncodedSize()
	}
	bc.messages++
	bc.bytes += int64(size)
	e := bc.r.e
	if bc.r.cfg.Loss > 0 && e.rng.Float64() < bc.r.cfg.Loss {
		e.mix(1)
		return
	}
	d := bc.r.cfg.Latency + nw.serialization(size)
	if bc.r.cfg.Jitter > 0 {
		d += max(0, time.Duration(e.rng.NormFloat64()*float64(bc.r.cfg.Jitter)))
	}
	gen := pb.gen
	e.after(d, evConsensus, int32(na), int32(nb), uint64(size), func() {
		if pb.gen != gen || !nw.up[nb] || nw.cut(na, nb) || nw.held(na, nb) {
			return
		}
		bc.deliver(a, b, m)
	})
}

// deliver hands a message to instance b: the carried block first (inserted
// like a block from a peer, as bftrun's Add does), then the message.
func (bc *bftCons) deliver(a, b int, m bftMsg) {
	pb := bc.ps[b]
	n := bc.r.nodes[pb.node]
	if m.blk != nil {
		bc.insertProposed(n, m.blk, bc.ps[a].node)
		if pb.eng != nil && n.tree.Has(m.blk.ID()) {
			_ = pb.eng.AddBlock(n.now(), engineBlock(m.blk))
		}
	}
	if m.m.Vote == nil && m.m.Cert == nil { // a block alone (a liar's proposal)
		bc.perform(b)
		return
	}
	if pb.eng == nil {
		bc.actorReceive(b, m.m)
		return
	}
	err := pb.eng.Step(n.now(), bc.ps[a].signer, m.m)
	var be *bft.Error
	if errors.As(err, &be) && be.Reason.Penalized() {
		bc.r.penalized(pb.node, bc.ps[a].node, "bft-"+string(be.Reason), be.Error())
	}
	bc.observe(b, m.m)
	bc.perform(b)
}

// insertProposed stores a block that came with a proposal. An invalid block
// penalizes its sender; one whose parent has not arrived yet is dropped
// without blame (blocksync brings both later), as bftrun does.
func (bc *bftCons) insertProposed(n *node, b *block.Block, from int) {
	if !n.up {
		return
	}
	if err := bc.r.check(b); err != nil {
		bc.r.penalized(n.id, from, "bft-invalid-block", err.Error())
		return
	}
	old := n.tree.HeadID()
	if err := n.tree.Insert(b.SignedHeader); err != nil {
		return // duplicate, below the irreversible block, or parent unknown yet
	}
	n.accepted(b, old)
	n.chainChanged()
	bc.r.e.after(0, evFlush, int32(n.id), 0, 0, n.flush)
}

// fetch is the driver's duty 4 (bft's doc): pull a certified block the
// node lacks, with the ancestors it lacks, from the proposals, one round
// trip later. Blocksync follows best heads, so it may never bring a block
// an equivocating leader showed only to others, or one a restart dropped.
func (bc *bftCons) fetch(i int, id block.ID) {
	p := bc.ps[i]
	n := bc.r.nodes[p.node]
	var chain []*block.Block
	size := 0
	for !n.tree.Has(id) && id.Height() > n.tree.Root().Height {
		b, ok := bc.blocks[id]
		if !ok {
			return
		}
		chain = append(chain, b)
		size += b.EncodedSize()
		id = b.Parent
	}
	if len(chain) == 0 {
		return
	}
	gen := p.gen
	d := 2*bc.r.cfg.Latency + bc.r.net.serialization(size)
	bc.r.e.after(d, evConsensus, int32(p.node), -3, uint64(len(chain)), func() {
		if p.gen != gen || !n.up {
			return
		}
		for k := len(chain) - 1; k >= 0; k-- {
			bc.insertProposed(n, chain[k], -1)
			if p.eng != nil && n.tree.Has(chain[k].ID()) {
				_ = p.eng.AddBlock(n.now(), engineBlock(chain[k]))
			}
		}
		bc.applyFinal(i)
		bc.perform(i)
	})
}
