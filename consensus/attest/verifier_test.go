package attest

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func (fx *fixture) level(n uint8) []block.PublicKey {
	var out []block.PublicKey
	for _, k := range fx.order {
		if m, _ := fx.dir.Member(k); m.Level == n {
			out = append(out, k)
		}
	}
	return out
}

func (fx *fixture) l2verifications(id block.ID, n int) []Verification {
	var vs []Verification
	for _, k := range fx.level(2)[:n] {
		vs = append(vs, Sign(fx.chain, fx.keys[k], id, 2, Digest(nil)))
	}
	return sortedByVerifier(vs)
}

// A verifier signs over the digest of the lower verifications it was
// sent, re-sends its receipt until acknowledged (the same signature), and
// stops at the acknowledgement whatever its verdict.
func TestVerifierResendsUntilAcknowledged(t *testing.T) {
	fx := newFixture(t)
	k := fx.level(3)[0]
	v := fx.vers[k]
	id := bid(1, 1)
	lower := fx.l2verifications(id, 3)
	req := &Request{Block: id, Level: 3, Deadline: epoch.Add(time.Second), Lower: lower}
	require.NoError(t, v.Request(epoch, requester, req))
	rd := v.Ready()
	v.Advance()
	require.Len(t, rd.Messages, 1)
	got := rd.Messages[0].Msg.Receipt.Verification
	require.Equal(t, Digest(lower), got.Lower)
	require.NoError(t, got.Check(fx.chain))
	require.Equal(t, epoch.Add(time.Second), rd.Deadline, "re-send after ResendInterval")

	// Lost: re-sent at the interval, and at once when asked again.
	req.Deadline = epoch.Add(3 * time.Second)
	v.Tick(epoch.Add(time.Second))
	rd = v.Ready()
	v.Advance()
	require.Len(t, rd.Messages, 1)
	require.Equal(t, got, rd.Messages[0].Msg.Receipt.Verification, "the same receipt")
	require.NoError(t, v.Request(epoch.Add(1100*time.Millisecond), requester, req))
	require.Len(t, v.Ready().Messages, 1)
	v.Advance()

	require.NoError(t, v.Ack(epoch, requester, &Ack{Block: id, Level: 3, Verifier: k, Verdict: VerdictExcess}))
	require.Zero(t, v.Pending())
	require.True(t, v.Ready().Deadline.IsZero())
	require.EqualValues(t, 1, v.Stats().Verdicts[ReasonExcess])
	require.Equal(t, ReasonUnknownAck, ReasonOf(v.Ack(epoch, requester, &Ack{Block: id, Level: 3, Verifier: k})))
}

// A receipt re-sent MaxResends times without an ack is dropped: memory
// stays bounded and the requester replaces us.
func TestVerifierDropsAfterMaxResends(t *testing.T) {
	fx := newFixture(t)
	k := fx.level(2)[0]
	cfg := DefaultVerifierConfig(fx.chain, fx.keys[k], 2, 0, 0)
	cfg.MaxResends = 2
	v, err := NewVerifier(cfg)
	require.NoError(t, err)
	require.NoError(t, v.Request(epoch, requester, &Request{Block: bid(1, 1), Level: 2, Deadline: epoch.Add(time.Second)}))
	sent := 0
	for now := epoch; !v.Ready().Deadline.IsZero(); now = v.Ready().Deadline {
		v.Tick(now)
		rd := v.Ready()
		sent += len(rd.Messages)
		v.Advance()
		if len(rd.Dropped) > 0 {
			break
		}
	}
	require.Equal(t, 3, sent, "sent once, re-sent twice")
	require.Zero(t, v.Pending())
	require.EqualValues(t, 1, v.Stats().Dropped)
}

// Requests a verifier must refuse, each with its reason.
func TestVerifierRefusesBadRequests(t *testing.T) {
	fx := newFixture(t)
	k := fx.level(3)[0]
	id := bid(2, 1)
	lower := fx.l2verifications(id, 3)
	forged := append([]Verification(nil), lower...)
	forged[1].Sig[0] ^= 1
	var l3 []Verification
	for _, x := range lower {
		l3 = append(l3, Sign(fx.chain, fx.keys[x.Verifier], id, 3, Digest(nil)))
	}
	dup := []Verification{lower[0], lower[0], lower[1]}
	cases := []struct {
		name   string
		req    Request
		reason Reason
	}{
		{"wrong level", Request{Block: id, Level: 4, Deadline: epoch.Add(time.Second), Lower: lower}, ReasonWrongLevel},
		{"past deadline", Request{Block: id, Level: 3, Deadline: epoch, Lower: lower}, ReasonLate},
		{"too few lower", Request{Block: id, Level: 3, Deadline: epoch.Add(time.Second), Lower: lower[:2]}, ReasonBadLower},
		{"forged lower", Request{Block: id, Level: 3, Deadline: epoch.Add(time.Second), Lower: forged}, ReasonBadLower},
		{"lower of the wrong level", Request{Block: id, Level: 3, Deadline: epoch.Add(time.Second), Lower: sortedByVerifier(l3)}, ReasonBadLower},
		{"repeated lower verifier", Request{Block: id, Level: 3, Deadline: epoch.Add(time.Second), Lower: dup}, ReasonBadLower},
		{"lower of another block", Request{Block: bid(2, 2), Level: 3, Deadline: epoch.Add(time.Second), Lower: lower}, ReasonBadLower},
	}
	for _, c := range cases {
		err := fx.vers[k].Request(epoch, requester, &c.req)
		require.Equal(t, c.reason, ReasonOf(err), c.name)
	}
	require.Zero(t, fx.vers[k].Pending())
	require.Empty(t, fx.vers[k].Ready().Messages)

	// A first-level verifier checks the block against its own view.
	cfg := DefaultVerifierConfig(fx.chain, fx.keys[fx.level(2)[0]], 2, 0, 0)
	cfg.CheckBlock = func(b block.ID) error {
		if b == id {
			return nil
		}
		return ErrRefused
	}
	v2, err := NewVerifier(cfg)
	require.NoError(t, err)
	require.Equal(t, ReasonUnknownBlock, ReasonOf(v2.Request(epoch, requester, &Request{Block: bid(9, 9), Level: 2, Deadline: epoch.Add(time.Second)})))
	require.NoError(t, v2.Request(epoch, requester, &Request{Block: id, Level: 2, Deadline: epoch.Add(time.Second)}))
}

// A flooding requester hits MaxQueue.
func TestVerifierQueueIsBounded(t *testing.T) {
	fx := newFixture(t)
	cfg := DefaultVerifierConfig(fx.chain, fx.keys[fx.level(2)[0]], 2, 0, 0)
	cfg.MaxQueue = 4
	v, err := NewVerifier(cfg)
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		err := v.Request(epoch, requester, &Request{Block: bid(uint64(i), 1), Level: 2, Deadline: epoch.Add(time.Second)})
		if i < 4 {
			require.NoError(t, err)
		} else {
			require.Equal(t, ReasonQueueFull, ReasonOf(err))
		}
	}
	require.Equal(t, 4, v.Pending())
}

func TestVerifierConfigValidate(t *testing.T) {
	k := ed25519.NewKeyFromSeed(make([]byte, 32))
	good := DefaultVerifierConfig(block.Hash{}, k, 3, 2, 3)
	require.NoError(t, good.Validate())
	for i, f := range []func(c *VerifierConfig){
		func(c *VerifierConfig) { c.Key = nil },
		func(c *VerifierConfig) { c.Level = 0 },
		func(c *VerifierConfig) { c.LowerRequired = 0 },
		func(c *VerifierConfig) { c.LowerLevel = 3 },
		func(c *VerifierConfig) { c.MaxQueue = 0 },
		func(c *VerifierConfig) { c.ResendInterval = 0 },
	} {
		c := good
		f(&c)
		require.Error(t, c.Validate(), "case %d", i)
	}
}
