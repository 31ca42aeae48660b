package blocksync

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// signer seals real blocks so that a Verifier can check signatures.
type signer struct {
	salt uint64
	keys []ed25519.PrivateKey
}

func newSigner(n int) *signer {
	s := &signer{}
	for i := range n {
		seed := make([]byte, ed25519.SeedSize)
		seed[0] = byte(i + 1)
		s.keys = append(s.keys, ed25519.NewKeyFromSeed(seed))
	}
	return s
}

func (s *signer) child(t *testing.T, parent *block.Block, term uint64, producer int) *block.Block {
	t.Helper()
	s.salt++
	tx := fmt.Appendf(nil, "tx %d", s.salt)
	b, err := block.Seal(block.Header{Height: parent.Height + 1, Parent: parent.ID(), Term: term, Timestamp: int64(s.salt)},
		[][]byte{tx}, nil, s.keys[producer])
	require.NoError(t, err)
	return b
}

// verifier is the node's light check in miniature: the signature and body
// (block.Check) and the producer's authority (one authorised key).
func verifier(authorised block.PublicKey) func(*block.Block) error {
	return func(b *block.Block) error {
		if err := b.Check(); err != nil {
			return err
		}
		if b.Producer != authorised {
			return errors.New("unknown producer")
		}
		return nil
	}
}

// newLine connects names in a line; every node but the first verifies.
func newLine(t *testing.T, g *block.Block, verify func(*block.Block) error, names ...string) *network {
	t.Helper()
	net := newNetwork(t, DefaultConfig(), g, names...)
	for _, name := range names[1:] {
		net.nodes[name].verify = verify
	}
	for i := 1; i < len(names); i++ {
		net.connect(names[i-1], names[i])
	}
	net.stabilize()
	return net
}

// inject makes node name hold b (produced, or forged by a byzantine node)
// and push it.
func (n *network) inject(name string, b *block.Block) {
	n.t.Helper()
	require.NoError(n.t, n.nodes[name].chain.add(b))
	n.chainChanged(name)
	n.drain(name)
}

// A relay forwards a verified body to its tree children before adding it
// (issue 19): b queues each block for c while b's own chain still lacks it,
// and c receives every block exactly once, with nothing sent twice.
func TestForwardBeforeAdd(t *testing.T) {
	s := newSigner(1)
	g := (&maker{}).genesis()
	net := newLine(t, g, verifier(block.PublicKey(s.keys[0].Public().(ed25519.PublicKey))), "a", "b", "c")
	head := g
	var ids []block.ID
	for range 6 {
		head = s.child(t, head, 1, 0)
		ids = append(ids, head.ID())
		net.inject("a", head)
		net.stabilize()
	}
	net.requireHealthy()
	net.requireHeadsAgree()
	require.Equal(t, ids, net.nodes["b"].early, "b forwarded every block before adding it")
	require.Equal(t, uint64(6), net.nodes["b"].conns["c"].Stats().EarlyForwards)
	require.Equal(t, 6, net.nodes["c"].bodies, "c received each block once")
	require.Empty(t, net.nodes["c"].early, "c has no one to forward to")
}

// A body that fails the Verifier (forged signature, altered body, a key
// without authority) is never forwarded, never reaches the chain, and the
// sender is penalized and disconnected with ReasonInvalidBody.
func TestForgedBodyIsNotForwarded(t *testing.T) {
	s := newSigner(2)
	g := (&maker{}).genesis()
	good := s.child(t, g, 1, 0)
	badSig := *good
	badSig.Signature[0] ^= 1
	altered := *good
	altered.Txs = [][]byte{[]byte("not the signed body")}
	for name, forged := range map[string]*block.Block{
		"signature":    &badSig,
		"body":         &altered,
		"unauthorised": s.child(t, g, 1, 1),
	} {
		t.Run(name, func(t *testing.T) {
			net := newLine(t, g, verifier(good.Producer), "a", "b", "c")
			net.inject("a", forged)
			net.stabilize()
			b := net.nodes["b"]
			_, known := b.chain.Header(forged.ID())
			require.False(t, known, "the forged body reached b's chain")
			require.Empty(t, b.early)
			require.Zero(t, net.nodes["c"].bodies, "the forged body was forwarded")
			require.NotEmpty(t, b.faults)
			for _, f := range b.faults {
				require.Equal(t, ReasonInvalidBody, f.Reason)
			}
			require.Equal(t, StateClosed, b.conns["a"].State())
		})
	}
}

// A validly signed block that fails execution at the relay was already
// forwarded: the child refuses it too (the signer's fault, see the package
// doc), the relay forwards no second invalid body at that height, and the
// producer's next valid block still flows through the same tree path.
func TestForwardedBlockFailingExecution(t *testing.T) {
	s := newSigner(1)
	g := (&maker{}).genesis()
	net := newLine(t, g, verifier(block.PublicKey(s.keys[0].Public().(ed25519.PublicKey))), "a", "b", "c")
	bad := map[block.ID]bool{}
	execute := func(b *block.Block) error {
		if bad[b.ID()] {
			return errors.New("bad transaction")
		}
		return nil
	}
	net.nodes["b"].execute, net.nodes["c"].execute = execute, execute

	x := s.child(t, g, 1, 0)
	bad[x.ID()] = true
	net.inject("a", x)
	net.stabilize()
	require.Equal(t, []block.ID{x.ID()}, net.nodes["b"].early, "forwarded before its execution failed")
	require.Equal(t, 1, net.nodes["c"].bodies)
	require.Len(t, net.nodes["c"].rejected, 1)

	// A second invalid child of b's head at the same height waits for the
	// add, which refuses it: it is not forwarded.
	x2 := s.child(t, g, 2, 0)
	bad[x2.ID()] = true
	net.inject("a", x2)
	net.stabilize()
	require.Len(t, net.nodes["b"].early, 1)
	require.Equal(t, 1, net.nodes["c"].bodies)

	y := s.child(t, g, 3, 0)
	net.inject("a", y)
	net.stabilize()
	for _, name := range []string{"b", "c"} {
		require.Equal(t, y.ID(), net.nodes[name].chain.Head(), name)
		for _, f := range net.nodes[name].faults {
			require.Fail(t, "no peer is at fault", "%s: %v", name, f)
		}
	}
	require.Equal(t, 2, net.nodes["c"].bodies, "y once, after x")
}

// Forwarding early keeps the spanning tree: on a mesh whose nodes all
// forward before adding, duplicates still prune the links to about one copy
// per node per block, and heads agree.
func TestForwardEarlyKeepsTheTree(t *testing.T) {
	for seed := range uint64(5) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			m := &maker{bodySize: 1000}
			net := newNetwork(t, DefaultConfig(), m.genesis(), meshNames(6)...)
			net.rng = rand.New(rand.NewPCG(seed, 1))
			for _, name := range net.names {
				net.nodes[name].verify = func(*block.Block) error { return nil }
			}
			for i := range 6 {
				for j := i + 1; j < 6; j++ {
					net.connect(net.names[i], net.names[j])
				}
			}
			net.stabilize()
			for range 5 {
				net.produce(m, "n0", 1, 0)
				net.stabilize()
			}
			before := net.totalBodies("n0")
			const blocks = 20
			for range blocks {
				net.produce(m, "n0", 1, 0)
				net.stabilize()
			}
			net.requireHealthy()
			net.requireHeadsAgree()
			copies := float64(net.totalBodies("n0")-before) / float64(blocks*5)
			require.LessOrEqual(t, copies, 1.05)
			var early uint64
			for _, name := range net.names {
				for _, c := range net.nodes[name].conns {
					early += c.Stats().EarlyForwards
				}
			}
			t.Logf("copies %.2f, early forwards %d", copies, early)
		})
	}
}
