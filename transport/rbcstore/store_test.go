package rbcstore

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/rbc"
)

func open(t *testing.T, fs vfs.FS) *pebble.DB {
	t.Helper()
	// The node opens its database with chain.OpenDB; transport/ may not
	// import chain, and these options are what matter here.
	db, err := pebble.Open("db", &pebble.Options{FS: fs, MemTableSize: 1 << 20})
	require.NoError(t, err)
	return db
}

type fixture struct {
	keys   []ed25519.PrivateKey
	set    *rbc.Participants
	domain [32]byte
}

func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	fx := &fixture{domain: [32]byte{9}}
	var pubs []ed25519.PublicKey
	for i := range n {
		k := ed25519.NewKeyFromSeed(append(make([]byte, ed25519.SeedSize-1), byte(i)))
		fx.keys = append(fx.keys, k)
		pubs = append(pubs, k.Public().(ed25519.PublicKey))
	}
	var err error
	fx.set, err = rbc.NewParticipants(pubs)
	require.NoError(t, err)
	return fx
}

func (fx *fixture) originEcho(inst rbc.Instance, payload []byte) []byte {
	d := rbc.DigestOf(payload)
	m := rbc.Message{Kind: rbc.KindEcho, Inst: inst, Signer: inst.Origin, Digest: d, Payload: payload,
		Sig: rbc.KeySigner{Key: fx.keys[inst.Origin]}.Sign(rbc.SignedBytes(false, fx.domain, fx.set, inst, d))}
	return m.AppendBinary(nil)
}

var epoch = time.Unix(1_700_000_000, 0)

// The acceptance test of durability: participant 1 receives the origin's
// payload A, persists its echo (synced) and crashes before sending it.
// After the restart from the crashed file system, the equivocating origin
// offers payload B: participant 1 never signs an echo of B, and resends
// its echo of A. The contrast that makes the test able to fail: the same
// record written without sync is lost in the crash, and then the restarted
// participant does echo B.
func TestCrashBetweenPersistAndSendNeverSignsTwoPayloads(t *testing.T) {
	for _, synced := range []bool{true, false} {
		fx := newFixture(t, 4)
		inst := rbc.Instance{Origin: 0, Seq: 1}
		fs := vfs.NewCrashableMem()
		db := open(t, fs)
		cfg := rbc.DefaultConfig(fx.domain, fx.set, fx.keys[1])
		c, err := rbc.New(cfg, nil, epoch)
		require.NoError(t, err)
		require.NoError(t, c.Receive(0, fx.originEcho(inst, []byte("A")), epoch))
		rd := c.Ready()
		require.Len(t, rd.Persist, 1)
		require.Len(t, rd.Messages, 1)
		if synced {
			require.NoError(t, New(db, ScopeOf(fx.set)).Append(rd.Persist))
		} else {
			r := rd.Persist[0]
			require.NoError(t, db.Set(New(db, ScopeOf(fx.set)).key(r), r.AppendBinary(nil), pebble.NoSync))
		}
		// Crash here: the echo never left.
		crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
		require.NoError(t, db.Close())

		db2 := open(t, crashed)
		recs, err := New(db2, ScopeOf(fx.set)).Load()
		require.NoError(t, err)
		c2, err := rbc.New(cfg, recs, epoch.Add(time.Second))
		require.NoError(t, err)
		require.NoError(t, c2.Receive(0, fx.originEcho(inst, []byte("B")), epoch.Add(time.Second)))
		c2.Tick(epoch.Add(time.Second))
		var echoed []rbc.Digest
		for _, o := range c2.Ready().Messages {
			if o.Msg.Kind == rbc.KindEcho {
				echoed = append(echoed, o.Msg.Digest)
			}
		}
		if synced {
			require.Equal(t, []rbc.Digest{rbc.DigestOf([]byte("A"))}, echoed, "the persisted echo is resent; B is never signed")
		} else {
			require.Equal(t, []rbc.Digest{rbc.DigestOf([]byte("B"))}, echoed, "without the synced record the restarted participant signs B")
		}
		require.NoError(t, db2.Close())
	}
}

// Records round-trip; Forget removes an instance's records but not the
// floor; Load skips records at or below a floor (a Forget lost in a crash).
func TestForgetAndFloors(t *testing.T) {
	fx := newFixture(t, 4)
	db := open(t, vfs.NewMem())
	defer db.Close()
	s := New(db, ScopeOf(fx.set))
	a, b := rbc.Instance{Origin: 2, Seq: 5}, rbc.Instance{Origin: 2, Seq: 9}
	p := []byte("p")
	d := rbc.DigestOf(p)
	cert := &rbc.Certificate{Inst: a, Digest: d, SetSize: 4, Signers: []int{0, 1, 2}, Sigs: make([]rbc.Sig, 3)}
	recs := []rbc.Record{
		{Kind: rbc.RecEcho, Inst: a, Digest: d, Payload: p},
		{Kind: rbc.RecReady, Inst: a, Digest: d},
		{Kind: rbc.RecDelivered, Inst: a, Digest: d, Payload: p, Cert: cert},
		{Kind: rbc.RecReady, Inst: b, Digest: d},
	}
	require.NoError(t, s.Append(recs))
	got, err := s.Load()
	require.NoError(t, err)
	require.Equal(t, recs, got)

	require.NoError(t, s.Append([]rbc.Record{{Kind: rbc.RecFloor, Inst: a}}))
	got, err = s.Load()
	require.NoError(t, err)
	require.Equal(t, []rbc.Record{{Kind: rbc.RecFloor, Inst: a}, recs[3]}, got, "records at or below the floor are skipped")

	require.NoError(t, s.Forget([]rbc.Instance{a, b}))
	got, err = s.Load()
	require.NoError(t, err)
	require.Equal(t, []rbc.Record{{Kind: rbc.RecFloor, Inst: a}}, got)
}

// Each participant set keeps its own records: an instance (origin, seq)
// of one set is another broadcast in another set, and a set that comes
// back finds its records again. Scopes whose last byte is 0xff bound
// their iteration correctly (no neighbour's records leak in).
func TestScopesAreSeparate(t *testing.T) {
	db := open(t, vfs.NewMem())
	defer db.Close()
	inst := rbc.Instance{Origin: 1, Seq: 3}
	rec := rbc.Record{Kind: rbc.RecReady, Inst: inst, Digest: rbc.DigestOf([]byte("x"))}
	scopes := []Scope{{1}, {2}, {1, 0, 0, 0, 0, 0, 0, 0xff}, {1, 0, 0, 0, 0, 0, 1, 0}}
	for i, sc := range scopes {
		r := rec
		r.Inst.Seq += uint64(i)
		require.NoError(t, New(db, sc).Append([]rbc.Record{r, {Kind: rbc.RecFloor, Inst: rbc.Instance{Origin: 0, Seq: uint64(i + 1)}}}))
	}
	for i, sc := range scopes {
		got, err := New(db, sc).Load()
		require.NoError(t, err)
		r := rec
		r.Inst.Seq += uint64(i)
		require.Equal(t, []rbc.Record{{Kind: rbc.RecFloor, Inst: rbc.Instance{Origin: 0, Seq: uint64(i + 1)}}, r}, got, "scope %x", sc)
	}
}

// A record that does not decode stops Load: a participant must not sign
// on a store it cannot read.
func TestCorruptRecordIsRefused(t *testing.T) {
	db := open(t, vfs.NewMem())
	defer db.Close()
	r := rbc.Record{Kind: rbc.RecReady, Inst: rbc.Instance{Origin: 1, Seq: 1}}
	v := r.AppendBinary(nil)
	v[5] ^= 1
	s := New(db, Scope{7})
	require.NoError(t, db.Set(s.key(r), v, pebble.Sync))
	_, err := s.Load()
	require.Error(t, err)
}
