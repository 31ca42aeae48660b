package chain

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// crashChildEnv names the database directory a re-executed test binary
// writes to until it is killed.
const crashChildEnv = "BLOCKWIRE_CHAIN_CRASH_CHILD"

// TestCrashAfterSIGKILL runs a writer in a child process on a real disk,
// kills it with SIGKILL at random points, reopens the log in the parent and
// checks that every block the child acknowledged as synced is there, that
// irreversibility never went back, and that the log is consistent. The
// child then resumes on the recovered database, so recovery is exercised
// repeatedly.
func TestCrashAfterSIGKILL(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	dir := t.TempDir()
	var synced []block.ID
	var irreversible block.ID
	for round := range 6 {
		acks := runAndKill(t, dir, 1+rng.IntN(150))
		for _, line := range acks {
			kind, id, ok := parseAck(line)
			switch {
			case !ok:
				continue // the line the kill cut short
			case kind == "synced":
				synced = append(synced, id)
			case kind == "irreversible":
				irreversible = id
			}
		}
		db, err := OpenDB(dir, DefaultDBConfig())
		require.NoError(t, err)
		c, err := Open(db, NewKV(DefaultKVLimits()), testGenesis(t), Config{Limits: block.DefaultLimits(), VerifyOnOpen: true})
		require.NoError(t, err, "round %d", round)
		checkConsistent(t, c)
		require.GreaterOrEqual(t, c.IrreversibleID().Height(), irreversible.Height(), "round %d", round)
		for _, id := range synced {
			has, err := c.Log().Has(id)
			require.NoError(t, err)
			require.True(t, has, "round %d: synced block %s survives SIGKILL", round, id)
			require.True(t, c.Tree().Has(id) || id.Height() <= c.IrreversibleID().Height(), "round %d: %s reloaded", round, id)
		}
		v, ok := get(t, c.IrreversibleState(), "height")
		require.True(t, ok)
		require.Equal(t, fmt.Sprint(c.IrreversibleID().Height()), v, "the durable state is the irreversible block's")
		t.Logf("round %d: %d acks, head %s, irreversible %s", round, len(acks), c.HeadID(), c.IrreversibleID())
		require.NoError(t, db.Close())
	}
}

// runAndKill starts the child, reads acks until it has read n of them,
// kills it with SIGKILL while it keeps writing, and returns every complete
// line it printed.
func runAndKill(t *testing.T, dir string, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashAfterSIGKILL$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) == n {
			require.NoError(t, cmd.Process.Kill()) // SIGKILL on Unix
		}
	}
	err = cmd.Wait()
	require.Error(t, err, "the child runs until killed")
	return lines
}

func parseAck(line string) (kind string, id block.ID, ok bool) {
	kind, hex, found := strings.Cut(line, " ")
	if !found || (kind != "synced" && kind != "irreversible") {
		return "", id, false
	}
	id, err := block.ParseID(hex)
	return kind, id, err == nil
}

// crashChild produces blocks forever (bounded), each setting "height", and
// prints an ack after each synced write: "synced <id>" after Sync, and
// "irreversible <id>" after SetIrreversible, which syncs.
func crashChild(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
	db, err := OpenDB(dir, DefaultDBConfig())
	if err != nil {
		fail(err)
	}
	g, err := genesisBlock()
	if err != nil {
		fail(err)
	}
	c, err := Open(db, NewKV(DefaultKVLimits()), g, DefaultConfig())
	if err != nil {
		fail(err)
	}
	for i := 0; i < 100_000; i++ {
		height := c.HeadID().Height() + 1
		b, err := c.StartBlock(ProduceParams{Term: 1, Timestamp: int64(height)})
		if err != nil {
			fail(err)
		}
		if err := b.ApplyTx(set("height", fmt.Sprint(height))); err != nil {
			fail(err)
		}
		blk, _, err := b.Finish(testKey(1))
		if err != nil {
			fail(err)
		}
		if err := c.Sync(); err != nil {
			fail(err)
		}
		fmt.Println("synced", blk.ID().Hex())
		if i%3 == 2 {
			target := blk.Parent
			if _, err := c.SetIrreversible(target); err != nil {
				fail(err)
			}
			fmt.Println("irreversible", target.Hex())
		}
	}
	os.Exit(4)
}
