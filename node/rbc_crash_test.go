package node

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/rbc"
	"github.com/blockwire/blockwire/transport/route"
)

// rbcChildEnv names the config file of the producer the crash test runs
// in a child process (this test binary, re-executed); rbcHangEnv makes it
// hang right after its first echo record is durable, before the echo is
// sent, so that the parent's SIGKILL lands between persist and send.
const (
	rbcChildEnv = "BLOCKWIRE_RBC_CHILD"
	rbcHangEnv  = "BLOCKWIRE_RBC_HANG"
	childMark   = "RBCCHILD "
)

// The node-level crash test of issue 17: producer 3 runs in a real
// process. It receives producer 0's payload A, makes its echo's record
// durable (fsync on a real disk) and is SIGKILLed before the echo leaves.
// Producers 0–2 deliver A meanwhile. Restarted from its data directory,
// and producer 0 — now byzantine — sends it a second payload B for the
// same instance before anything else reaches it: it signs nothing for B
// (its echo record of A is replayed). It delivers A; producers 1 and 2
// never see a second digest or an equivocation. Without the record
// (printingStore.Load returning nothing) the restarted producer echoes B
// and the test fails.
func TestReliableBroadcastSIGKILL(t *testing.T) {
	if cfg := os.Getenv(rbcChildEnv); cfg != "" {
		runRBCChild(t, cfg, os.Getenv(rbcHangEnv) != "")
		return
	}
	if testing.Short() {
		t.Skip("real processes and network")
	}
	base := DefaultConfig()
	base.Consensus.BlockInterval = Duration{Duration: 100 * time.Millisecond}
	base.Log.Level, base.Log.File, base.Log.Format = "disabled", "", "json"
	_, specs, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 4, Producers: 4,
		P2PPorts: freePorts(t, 4), AdminPorts: freePorts(t, 4), Base: &base})
	require.NoError(t, err)
	var ns []*Node
	t.Cleanup(func() {
		for _, n := range ns {
			require.NoError(t, n.Stop())
		}
	})
	for _, nd := range specs[:3] {
		cfg, err := LoadConfig(nd.ConfigFile)
		require.NoError(t, err)
		n, err := New(cfg, WithLogger(testLogger(nd.Name)))
		require.NoError(t, err)
		require.NoError(t, n.Start(context.Background()))
		ns = append(ns, n)
	}
	child := startRBCChild(t, specs[3].ConfigFile, true)
	child.await(t, "started")
	id3, err := transport.NodeIDOf(specs[3].PeerID)
	require.NoError(t, err)
	routed := func() {
		for _, n := range ns {
			require.Eventually(t, func() bool { _, ok := n.tr.NextHop(id3); return ok }, 30*time.Second, 20*time.Millisecond)
		}
	}
	routed()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := []byte("payload A")
	d, err := ns[0].ReliableBroadcast(ctx, a)
	require.NoError(t, err, "0, 1 and 2 are an echo quorum without 3")
	inst := d.Inst
	dA := rbc.DigestOf(a)
	digestA := hex.EncodeToString(dA[:])
	child.await(t, fmt.Sprintf("persisted echo %s %s", inst, digestA))
	child.kill(t)

	// Producers 0–2 stop their reliable broadcast (their links and routes
	// stay up) so that the first thing the restarted producer 3 hears of
	// the instance is B, not a retransmission of A.
	for _, n := range ns {
		n.stopRBC()
	}
	child = startRBCChild(t, specs[3].ConfigFile, false)
	child.await(t, "started")
	routed()
	// Producer 0 equivocates: its signed SEND of B for the same instance,
	// routed to producer 3 only.
	b := []byte("payload B")
	set, err := rbc.NewParticipants(rbcKeys(ns[0].set.Load()))
	require.NoError(t, err)
	dB := rbc.DigestOf(b)
	forged := rbc.Message{Kind: rbc.KindEcho, Inst: inst, Signer: inst.Origin, Digest: dB, Payload: b,
		Sig: rbc.KeySigner{Key: ns[0].signer}.Sign(rbc.SignedBytes(false, ns[0].genesis.ID(), set, inst, dB))}
	h := set.Hash()
	env := forged.AppendBinary(append([]byte{1}, h[:8]...))
	_, err = ns[0].tr.Multicast([]route.NodeID{id3}, route.ClassRBC, env)
	require.NoError(t, err)
	// A restarted producer without its records would echo B now (and
	// print its record); give it the time a routed message needs.
	time.Sleep(2 * time.Second)
	for _, n := range ns {
		require.NoError(t, n.startRBC()) // records replayed: they resend and certify A
	}
	child.await(t, fmt.Sprintf("delivered %s %s", inst, digestA))
	for _, n := range ns[1:] {
		st := n.ReliableStatus(ctx)
		for _, in := range st.Instances {
			require.Equal(t, 1, in.Digests, "%s: one payload only", in.Instance)
		}
		require.Zero(t, st.Counters.Refused[string(rbc.ReasonEquivocation)])
	}
	for _, l := range child.lines() {
		require.NotContains(t, l, hex.EncodeToString(dB[:]), "producer 3 signed payload B: %s", l)
	}
	child.kill(t)
}

// rbcChild is a producer in a child process; its stdout lines are kept.
type rbcChild struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  []string
	done chan struct{}
}

func startRBCChild(t *testing.T, cfgFile string, hang bool) *rbcChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReliableBroadcastSIGKILL$", "-test.count=1")
	cmd.Env = append(os.Environ(), rbcChildEnv+"="+cfgFile)
	if hang {
		cmd.Env = append(cmd.Env, rbcHangEnv+"=1")
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &rbcChild{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), childMark); ok {
				c.mu.Lock()
				c.out = append(c.out, l)
				c.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { c.kill(t) })
	return c
}

func (c *rbcChild) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.out...)
}

func (c *rbcChild) await(t *testing.T, line string) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, l := range c.lines() {
			if l == line {
				return true
			}
		}
		return false
	}, 60*time.Second, 20*time.Millisecond, "child never printed %q (printed %q)", line, c.lines())
}

// kill SIGKILLs the child and waits for it.
func (c *rbcChild) kill(t *testing.T) {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill() // SIGKILL on Unix
	<-c.done
	_ = c.cmd.Wait()
}

// runRBCChild runs the producer of cfgFile until it is killed, printing
// every record it makes durable and every delivery. With hang, it stops
// dead after its first echo record is durable: the echo is never sent.
func runRBCChild(t *testing.T, cfgFile string, hang bool) {
	cfg, err := LoadConfig(cfgFile)
	require.NoError(t, err)
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(childMark+format+"\n", args...)
	}
	wrap := func(s rbc.Store) rbc.Store { return &printingStore{Store: s, say: say, hang: hang} }
	n, err := New(cfg, WithLogger(testLogger("child")), func(o *options) { o.rbcStoreWrap = wrap })
	require.NoError(t, err)
	require.NoError(t, n.Start(context.Background()))
	sub := n.SubscribeReliable(64)
	// Deliveries replayed from the records were handed out before the
	// subscription (a crash may have come after the delivery's record).
	for _, d := range n.ReliableStatus(context.Background()).Recent {
		say("delivered %s %s", d.Instance, d.Digest)
	}
	say("started")
	for d := range sub.C() {
		say("delivered %s %s", d.Inst, hex.EncodeToString(d.Cert.Digest[:]))
	}
}

// printingStore prints each durable record (after Append returned) and,
// with hang, blocks for ever after the first durable echo.
type printingStore struct {
	rbc.Store
	say  func(string, ...any)
	hang bool
}

func (p *printingStore) Append(recs []rbc.Record) error {
	if err := p.Store.Append(recs); err != nil {
		return err
	}
	echo := false
	for _, r := range recs {
		p.say("persisted %s %s %s", r.Kind, r.Inst, hex.EncodeToString(r.Digest[:]))
		echo = echo || r.Kind == rbc.RecEcho
	}
	if p.hang && echo {
		select {} // the process is SIGKILLed here: persisted, not sent
	}
	return nil
}
