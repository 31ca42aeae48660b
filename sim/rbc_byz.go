package sim

import (
	"fmt"

	"github.com/blockwire/blockwire/transport/rbc"
)

// emit sends one of participant i's outputs, as its behaviour dictates.
func (r *rbcRunner) emit(i int, o rbc.Outbound) {
	n := r.nodes[i]
	b := o.Msg.AppendBinary(nil)
	switch r.byz[i] {
	case RBCSilent:
		return
	case RBCDoubleEcho:
		r.doubleEcho(i, o)
		return
	case RBCForge:
		r.forge(i, o)
	case RBCReplay:
		r.replay(i, o)
		if len(n.lastOut) < 16 {
			n.lastOut = append(n.lastOut, b)
		}
	}
	for _, to := range o.To {
		r.send(i, to, b, n.depth+1)
	}
}

// signed returns m re-signed by participant i for digest d (and payload p
// for an echo).
func (r *rbcRunner) signed(i int, m rbc.Message, p []byte) rbc.Message {
	m.Signer = uint16(i)
	if m.Kind == rbc.KindEcho {
		m.Payload = p
		m.Digest = rbc.DigestOf(p)
	}
	m.Sig = r.nodes[i].signer.Sign(rbc.SignedBytes(m.Kind == rbc.KindReady, r.domain, r.set, m.Inst, m.Digest))
	return m
}

// doubleEcho sends a validly signed conflicting echo or ready to half the
// recipients, and both versions to one of them.
func (r *rbcRunner) doubleEcho(i int, o rbc.Outbound) {
	n := r.nodes[i]
	m := o.Msg
	var alt rbc.Message
	switch m.Kind {
	case rbc.KindEcho:
		alt = r.signed(i, m, append(append([]byte(nil), m.Payload...), '\''))
	case rbc.KindReady:
		alt = m
		alt.Digest = rbc.DigestOf(m.Digest[:])
		alt = r.signed(i, alt, nil)
	default:
		for _, to := range o.To {
			r.send(i, to, m.AppendBinary(nil), n.depth+1)
		}
		return
	}
	both := o.To[r.e.rng.IntN(len(o.To))]
	for k, to := range o.To {
		if k%2 == 0 || to == both {
			r.send(i, to, m.AppendBinary(nil), n.depth+1)
		}
		if k%2 == 1 || to == both {
			r.send(i, to, alt.AppendBinary(nil), n.depth+1)
		}
	}
}

// forge adds, for one random recipient, a forged signature, a message
// claiming another signer, a certificate without a quorum, an origin
// outside the set and garbage bytes.
func (r *rbcRunner) forge(i int, o rbc.Outbound) {
	n := r.nodes[i]
	to := o.To[r.e.rng.IntN(len(o.To))]
	m := o.Msg
	if m.Kind == rbc.KindCert {
		return
	}
	bad := m
	bad.Sig[r.e.rng.IntN(64)] ^= 1
	other := m
	other.Signer = uint16((i + 1) % r.set.N())
	outside := m
	outside.Inst.Origin = uint16(r.set.N() + r.e.rng.IntN(8))
	garbage := make([]byte, r.e.rng.IntN(48))
	for k := range garbage {
		garbage[k] = byte(r.e.rng.Uint32())
	}
	out := [][]byte{bad.AppendBinary(nil), other.AppendBinary(nil), outside.AppendBinary(nil), garbage}
	if m.Kind == rbc.KindEcho && r.set.N() > 1 {
		c := &rbc.Certificate{Inst: m.Inst, Digest: m.Digest, SetSize: r.set.N(), Signers: []int{i},
			Sigs: []rbc.Sig{r.signed(i, rbc.Message{Kind: rbc.KindReady, Inst: m.Inst, Digest: m.Digest}, nil).Sig}}
		out = append(out, rbc.Message{Kind: rbc.KindCert, Inst: m.Inst, Status: rbc.StatusDelivered,
			Digest: m.Digest, Payload: m.Payload, Cert: c}.AppendBinary(nil))
	}
	for _, b := range out {
		r.send(i, to, b, n.depth+1)
	}
}

// replay relays a message heard from another participant as if it were
// ours (to a random recipient), moves our signature to the next instance,
// and repeats an old message of ours verbatim.
func (r *rbcRunner) replay(i int, o rbc.Outbound) {
	n := r.nodes[i]
	to := o.To[r.e.rng.IntN(len(o.To))]
	if len(n.heard) > 0 {
		h := n.heard[r.e.rng.IntN(len(n.heard))]
		r.send(i, to, h.b, n.depth+1)
	}
	moved := o.Msg
	moved.Inst.Seq++
	r.send(i, to, moved.AppendBinary(nil), n.depth+1)
	if len(n.lastOut) > 0 {
		r.send(i, to, n.lastOut[r.e.rng.IntN(len(n.lastOut))], n.depth+1)
	}
}

// equivocate is a byzantine origin's instance: two valid payloads to the
// two halves of the others (shuffled), an invalid one to one of them.
func (r *rbcRunner) equivocate(i, k int) {
	n := r.nodes[i]
	inst := rbc.Instance{Origin: uint16(i), Seq: n.byzSeq}
	n.byzSeq++
	r.m.instances[inst] = true
	var others []int
	for _, j := range r.e.rng.Perm(r.set.N()) {
		if j != i {
			others = append(others, j)
		}
	}
	for x, to := range others {
		p := fmt.Appendf(nil, "%s%d|%d|%d|%c", payloadPrefix, r.seed, i, k, 'A'+x%2)
		if x == len(others)-1 && x > 1 {
			p = []byte("invalid")
		}
		m := r.signed(i, rbc.Message{Kind: rbc.KindEcho, Inst: inst}, p)
		r.send(i, to, m.AppendBinary(nil), 1)
	}
}

// flood sends every other participant validly signed readies for 48
// made-up instances of correct origins: each receiver holds at most
// MaxOpenPerPeer of them for us.
func (r *rbcRunner) flood(i, k int) {
	for s := range 48 {
		origin := (i + 1 + s) % r.set.N()
		inst := rbc.Instance{Origin: uint16(origin), Seq: 1_000_000 + uint64(k*48+s)}
		m := r.signed(i, rbc.Message{Kind: rbc.KindReady, Inst: inst, Digest: rbc.DigestOf([]byte{byte(s)})}, nil)
		b := m.AppendBinary(nil)
		for to := range r.set.N() {
			if to != i {
				r.send(i, to, b, 1)
			}
		}
	}
}
