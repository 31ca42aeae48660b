package rbc

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var epoch = time.Unix(1_700_000_000, 0)

// fixture is a participant set of n keys derived from fixed seeds.
type fixture struct {
	t      testing.TB
	keys   []ed25519.PrivateKey
	set    *Participants
	domain [32]byte
}

func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	fx := &fixture{t: t, domain: [32]byte{'t', 'e', 's', 't'}}
	var pubs []ed25519.PublicKey
	for i := range n {
		seed := make([]byte, ed25519.SeedSize)
		seed[0], seed[1] = byte(i), byte(i>>8)
		k := ed25519.NewKeyFromSeed(seed)
		fx.keys = append(fx.keys, k)
		pubs = append(pubs, k.Public().(ed25519.PublicKey))
	}
	set, err := NewParticipants(pubs)
	require.NoError(t, err)
	fx.set = set
	return fx
}

func (fx *fixture) config(i int) Config {
	cfg := DefaultConfig(fx.domain, fx.set, fx.keys[i])
	cfg.RetransmitBase, cfg.RetransmitMax, cfg.RetransmitLimit = 100*time.Millisecond, 800*time.Millisecond, 6
	cfg.Horizon = time.Minute
	return cfg
}

// echo and ready build messages signed by participant s.
func (fx *fixture) echo(s int, inst Instance, payload []byte) Message {
	d := DigestOf(payload)
	return Message{Kind: KindEcho, Inst: inst, Signer: uint16(s), Digest: d, Payload: payload,
		Sig: KeySigner{fx.keys[s]}.Sign(SignedBytes(false, fx.domain, fx.set, inst, d))}
}

func (fx *fixture) ready(s int, inst Instance, d Digest) Message {
	return Message{Kind: KindReady, Inst: inst, Signer: uint16(s), Digest: d,
		Sig: KeySigner{fx.keys[s]}.Sign(SignedBytes(true, fx.domain, fx.set, inst, d))}
}

func (fx *fixture) cert(inst Instance, payload []byte, signers ...int) Message {
	d := DigestOf(payload)
	c := &Certificate{Inst: inst, Digest: d, SetSize: fx.set.N(), Signers: signers}
	for _, s := range signers {
		c.Sigs = append(c.Sigs, fx.ready(s, inst, d).Sig)
	}
	return Message{Kind: KindCert, Inst: inst, Status: StatusDelivered, Digest: d, Payload: payload, Cert: c}
}

// packet is a message in flight, with its causal depth (the number of
// message delays since the broadcast began).
type packet struct {
	from, to int
	b        []byte
	depth    int
}

// net is an in-test network of cores: FIFO delivery until quiescent, a drop
// predicate, crash and restart from each node's persisted records, and
// checks after every Ready (persist before send, one digest signed per
// instance and kind across restarts).
type net struct {
	t        testing.TB
	fx       *fixture
	now      time.Time
	cores    []*Core
	store    [][]Record
	queue    []packet
	drop     func(p packet) bool
	depth    []int // the depth of the message being handled per node
	delivers [][]Delivery
	rounds   []int // depth at delivery, per delivery
	signed   map[string]Digest
	refused  map[Reason]int
	sent     int
	replayed int
	nocheck  bool // benchmarks: skip the per-message record scan
}

func newNet(t testing.TB, n int) *net {
	t.Helper()
	nt := &net{t: t, fx: newFixture(t, n), now: epoch, signed: map[string]Digest{}, refused: map[Reason]int{},
		store: make([][]Record, n), depth: make([]int, n), delivers: make([][]Delivery, n)}
	for i := range n {
		c, err := New(nt.fx.config(i), nil, nt.now)
		require.NoError(t, err)
		nt.cores = append(nt.cores, c)
	}
	return nt
}

// flush performs node i's Ready: records first, then messages.
func (nt *net) flush(i int) {
	nt.t.Helper()
	c := nt.cores[i]
	if c == nil || !c.HasReady() {
		return
	}
	rd := c.Ready()
	nt.store[i] = append(nt.store[i], rd.Persist...)
	for _, m := range rd.Messages {
		if !nt.nocheck {
			nt.checkCovered(i, m.Msg)
		}
		b := m.Msg.AppendBinary(nil)
		for _, to := range m.To {
			require.NotEqual(nt.t, i, to, "never to ourselves")
			nt.sent++
			nt.queue = append(nt.queue, packet{from: i, to: to, b: b, depth: nt.depth[i] + 1})
		}
	}
	for _, d := range rd.Delivered {
		if d.Replayed {
			nt.replayed++
			continue
		}
		nt.delivers[i] = append(nt.delivers[i], d)
		nt.rounds = append(nt.rounds, nt.depth[i])
		require.NoError(nt.t, d.Cert.Verify(nt.fx.domain, nt.fx.set, nil), "a certificate verifies from the set alone")
	}
	c.Advance()
}

// checkCovered: every echo or ready we send is covered by a persisted
// record, and no node ever signs two digests for one instance and kind.
func (nt *net) checkCovered(i int, m Message) {
	nt.t.Helper()
	if m.Kind == KindCert {
		return
	}
	kind := RecEcho
	if m.Kind == KindReady {
		kind = RecReady
	}
	covered := false
	for _, r := range nt.store[i] {
		covered = covered || r.Kind == kind && r.Inst == m.Inst && r.Digest == m.Digest
	}
	require.True(nt.t, covered, "node %d sent %s without its record", i, m)
	key := fmt.Sprintf("%d/%s/%s", i, m.Kind, m.Inst)
	if prev, ok := nt.signed[key]; ok {
		require.Equal(nt.t, prev, m.Digest, "node %d signed two digests: %s", i, key)
	}
	nt.signed[key] = m.Digest
}

// run delivers queued packets in FIFO order until none is left.
func (nt *net) run() {
	nt.t.Helper()
	for i := range nt.cores {
		nt.flush(i)
	}
	for len(nt.queue) > 0 {
		p := nt.queue[0]
		nt.queue = nt.queue[1:]
		c := nt.cores[p.to]
		if c == nil || nt.drop != nil && nt.drop(p) {
			continue
		}
		nt.depth[p.to] = p.depth
		if err := c.Receive(p.from, p.b, nt.now); err != nil {
			nt.refused[ReasonOf(err)]++
		}
		nt.flush(p.to)
	}
}

// advance moves time by d, ticking every core, and runs to quiescence.
func (nt *net) advance(d time.Duration) {
	nt.t.Helper()
	nt.now = nt.now.Add(d)
	for i, c := range nt.cores {
		if c != nil {
			nt.depth[i]++
			c.Tick(nt.now)
			nt.flush(i)
		}
	}
	nt.run()
}

func (nt *net) broadcast(i int, payload []byte) Instance {
	nt.t.Helper()
	nt.depth[i] = 0
	inst, err := nt.cores[i].Broadcast(payload, nt.now)
	require.NoError(nt.t, err)
	nt.flush(i)
	return inst
}

func (nt *net) crash(i int) { nt.cores[i] = nil }

func (nt *net) restart(i int) {
	nt.t.Helper()
	c, err := New(nt.fx.config(i), nt.store[i], nt.now)
	require.NoError(nt.t, err)
	nt.cores[i] = c
	nt.flush(i)
}

// delivered returns the payload node i delivered in inst, if any.
func (nt *net) delivered(i int, inst Instance) ([]byte, bool) {
	for _, d := range nt.delivers[i] {
		if d.Inst == inst {
			return d.Payload, true
		}
	}
	return nil, false
}
