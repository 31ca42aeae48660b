package rbc

import "time"

// vote is one signer's echo or ready in an instance.
type vote struct {
	d   Digest
	sig Sig
}

// instance is the state of one broadcast at this participant.
//
// Invariant: myEcho and myReady, once set, never change (they are what we
// signed; records restore them after a restart).
// Invariant: len(payloads) ≤ n+1: one per echoing signer (first echo only)
// and one from a certificate.
type instance struct {
	id     Instance
	opened time.Time
	opener int // the peer charged for it (Config.MaxOpenPerPeer)

	payloads map[Digest][]byte
	echoes   map[int]vote // by signer: the first echo counted
	readies  map[int]vote // by signer: the first ready counted
	nEcho    map[Digest]int
	nReady   map[Digest]int

	// status is what each peer last told us of its progress (max seen).
	status []Status
	// replied is when we last answered a peer (Core.answer); told, which
	// peers we sent a message saying we delivered.
	replied map[int]time.Time
	told    []bool

	myEcho, myReady *vote
	delivered       *Delivery

	attempt int       // retransmission rounds done
	next    time.Time // next retransmission; zero: none pending
}

func newInstance(id Instance, n, opener int, now time.Time) *instance {
	return &instance{id: id, opened: now, opener: opener, payloads: map[Digest][]byte{},
		echoes: map[int]vote{}, readies: map[int]vote{}, nEcho: map[Digest]int{}, nReady: map[Digest]int{},
		status: make([]Status, n), replied: map[int]time.Time{}, told: make([]bool, n)}
}

// mine is our own status.
func (in *instance) mine() Status {
	switch {
	case in.delivered != nil:
		return StatusDelivered
	case in.myReady != nil:
		return StatusReady
	case in.myEcho != nil:
		return StatusEchoed
	}
	return StatusNone
}

// signed reports whether we signed anything here (then the origin really
// opened it: see Core.collect).
func (in *instance) signed() bool { return in.myEcho != nil || in.myReady != nil }

func (in *instance) addEcho(s int, v vote, payload []byte) {
	in.echoes[s] = v
	in.nEcho[v.d]++
	if _, ok := in.payloads[v.d]; !ok {
		in.payloads[v.d] = append([]byte(nil), payload...)
	}
}

func (in *instance) addReady(s int, v vote) {
	in.readies[s] = v
	in.nReady[v.d]++
}

func (in *instance) learn(peer int, st Status) {
	if peer >= 0 && peer < len(in.status) && st > in.status[peer] {
		in.status[peer] = st
	}
}

// certificate builds the certificate of d from the first 2f+1 ready
// signers in ascending order (a canonical, minimal certificate).
func (in *instance) certificate(d Digest, set *Participants) *Certificate {
	c := &Certificate{Inst: in.id, Digest: d, SetSize: set.N()}
	for s := 0; s < set.N() && len(c.Signers) < set.DeliverQuorum(); s++ {
		if v, ok := in.readies[s]; ok && v.d == d {
			c.Signers = append(c.Signers, s)
			c.Sigs = append(c.Sigs, v.sig)
		}
	}
	return c
}
