package attest

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

var epoch = time.UnixMilli(1_700_000_000_000)

// fixture is a chain, a directory of verifiers with their keys and cores,
// and a scheduler configuration: 6 L2 verifiers over 3 operators, 2 each at
// L3..L5.
type fixture struct {
	t     testing.TB
	chain block.Hash
	cfg   Config
	dir   *Directory
	keys  map[block.PublicKey]ed25519.PrivateKey
	vers  map[block.PublicKey]*Verifier
	order []block.PublicKey
}

func newFixture(t testing.TB) *fixture {
	fx := &fixture{t: t, keys: map[block.PublicKey]ed25519.PrivateKey{}, vers: map[block.PublicKey]*Verifier{}}
	fx.chain[0] = 7
	fx.cfg = DefaultConfig(fx.chain)
	for i := range fx.cfg.Levels {
		fx.cfg.Levels[i].Deadline = time.Second
	}
	fx.cfg.MaxRounds = 3
	fx.cfg.MaxDeadline = 8 * time.Second
	var ms []Member
	n := 0
	for li, lv := range fx.cfg.Levels {
		count := 2
		if li == 0 {
			count = 6
		}
		for j := 0; j < count; j++ {
			seed := make([]byte, ed25519.SeedSize)
			seed[0], seed[1] = byte(n), 0xa7
			n++
			k := ed25519.NewKeyFromSeed(seed)
			var pub block.PublicKey
			copy(pub[:], k.Public().(ed25519.PublicKey))
			fx.keys[pub] = k
			fx.order = append(fx.order, pub)
			ms = append(ms, Member{Key: pub, Level: lv.Number, Operator: fmt.Sprintf("op%d", j%3)})
			vc := DefaultVerifierConfig(fx.chain, k, lv.Number, 0, 0)
			if li > 0 {
				vc.LowerLevel, vc.LowerRequired = fx.cfg.Levels[li-1].Number, fx.cfg.Levels[li-1].Required
			}
			v, err := NewVerifier(vc)
			require.NoError(t, err)
			fx.vers[pub] = v
		}
	}
	d, err := NewDirectory(ms)
	require.NoError(t, err)
	fx.dir = d
	return fx
}

func (fx *fixture) sched(states []State, now time.Time) *Scheduler {
	s, err := New(fx.cfg, fx.dir, states, now)
	require.NoError(fx.t, err)
	return s
}

// start returns a scheduler built at epoch with nothing persisted and id
// added at epoch, with the drain that performs its Readies.
func (fx *fixture) start(id block.ID) (*Scheduler, *drained) {
	s := fx.sched(nil, epoch)
	require.NoError(fx.t, s.Add(epoch, id))
	return s, newDrained()
}

func bid(h uint64, x byte) block.ID {
	var id block.ID
	id[7], id[8] = byte(h), x
	return id
}

// requester is the node running the scheduler in these tests.
var requester = block.PublicKey{0xee}

// drain performs the scheduler's Ready: it keeps the persisted records
// (the latest per block) and proofs, and returns the messages.
type drained struct {
	states map[block.ID]State
	proofs map[block.ID]Proof
	stalls []Stall
}

func newDrained() *drained {
	return &drained{states: map[block.ID]State{}, proofs: map[block.ID]Proof{}}
}

func (d *drained) take(s *Scheduler) []Outbound {
	var out []Outbound
	for s.HasReady() {
		rd := s.Ready()
		for _, r := range rd.Persist {
			d.states[r.State.Block] = r.State
		}
		for _, f := range rd.Finalized {
			delete(d.states, f.Proof.Block)
			d.proofs[f.Proof.Block] = f.Proof
		}
		d.stalls = append(d.stalls, rd.Stalled...)
		out = append(out, rd.Messages...)
		s.Advance()
	}
	return out
}

func (d *drained) list() []State {
	var out []State
	for _, st := range d.states {
		out = append(out, st)
	}
	return out
}

// answer delivers requests to the fixture's verifier cores and returns
// their receipts (as the messages the verifiers send).
func (fx *fixture) answer(now time.Time, reqs []Outbound, silent func(block.PublicKey) bool) []Outbound {
	var out []Outbound
	for _, m := range reqs {
		if m.Msg.Request == nil || (silent != nil && silent(m.To)) {
			continue
		}
		v := fx.vers[m.To]
		if err := v.Request(now, requester, m.Msg.Request); err != nil {
			v.Advance()
			continue // refused (late, ...): the verifier sends nothing
		}
		rd := v.Ready()
		v.Advance()
		for _, o := range rd.Messages {
			require.Equal(fx.t, requester, o.To)
			out = append(out, Outbound{To: m.To, Msg: o.Msg}) // To = the sender here
		}
	}
	return out
}

func requestsIn(ms []Outbound) []Outbound {
	var out []Outbound
	for _, m := range ms {
		if m.Msg.Request != nil {
			out = append(out, m)
		}
	}
	return out
}

func acksIn(ms []Outbound) []*Ack {
	var out []*Ack
	for _, m := range ms {
		if m.Msg.Ack != nil {
			out = append(out, m.Msg.Ack)
		}
	}
	return out
}
