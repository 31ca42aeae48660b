package blocksync

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the transcripts in testdata/ with the current output")

// TestTranscripts replays the protocol scenarios in testdata/*.txt (etcd
// raft's interaction tests, in miniature). Each "> command" line is followed
// by its expected output; run with -rewrite to regenerate, and review the
// diff like code. Commands:
//
//	> nodes a b c               create nodes on one genesis
//	> extend a N [term] [prod]  add N blocks on a's head (local, unannounced)
//	> produce a [term] [prod]   add one block on a's head and tell a's Conns
//	> fork a H N term prod      add N blocks on a's best block at height H
//	> share a b H               give b a's best chain up to height H
//	> finalize a H              make a's best block at height H irreversible
//	> connect a b               create both Conns (their locators queue)
//	> stabilize                 deliver until quiescent, printing each message
//	> heads                     print every node's head and irreversible block
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runTranscript(t, f) })
	}
}

func runTranscript(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var (
		out  strings.Builder
		net  *network
		m    = &maker{bodySize: 100}
		cmds []string
	)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "> ") || strings.HasPrefix(line, "#") {
			cmds = append(cmds, line)
		}
	}
	for _, line := range cmds {
		out.WriteString(line + "\n")
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "> "))
		num := func(i int, def uint64) uint64 {
			if i >= len(f) {
				return def
			}
			v, err := strconv.ParseUint(f[i], 10, 64)
			require.NoError(t, err, line)
			return v
		}
		switch f[0] {
		case "nodes":
			net = newNetwork(t, DefaultConfig(), m.genesis(), f[1:]...)
			net.log = func(s string) { out.WriteString(s + "\n") }
		case "extend":
			c := net.nodes[f[1]].chain
			head, _ := c.Block(c.Head())
			m.extend(t, head, int(num(2, 1)), num(3, 1), int(num(4, 0)), c)
		case "produce":
			net.produce(m, f[1], num(2, 1), int(num(3, 0)))
		case "fork":
			c := net.nodes[f[1]].chain
			at, _ := c.BestAt(num(2, 0))
			base, _ := c.Block(at)
			m.extend(t, base, int(num(3, 1)), num(4, 1), int(num(5, 0)), c)
			net.chainChanged(f[1])
			net.drain(f[1])
		case "share":
			from, to := net.nodes[f[1]].chain, net.nodes[f[2]].chain
			for h := uint64(2); h <= num(3, 0); h++ {
				id, _ := from.BestAt(h)
				b, _ := from.Block(id)
				require.NoError(t, to.add(b))
			}
		case "finalize":
			c := net.nodes[f[1]].chain
			id, _ := c.BestAt(num(2, 0))
			c.finalize(t, id)
			net.chainChanged(f[1])
			net.drain(f[1])
		case "connect":
			net.connect(f[1], f[2])
		case "stabilize":
			net.stabilize()
		case "heads":
			for _, name := range net.names {
				c := net.nodes[name].chain
				fmt.Fprintf(&out, "%s: head %s irreversible %s\n", name, short(c.Head()), short(c.Irreversible()))
			}
		default:
			t.Fatalf("unknown command %q", line)
		}
		out.WriteString("\n")
	}
	got := out.String()
	if *rewrite {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	require.Equal(t, string(data), got, "run with -rewrite and review the diff")
}

// short names a block by height and the first bytes of its hash.
func short(id block.ID) string { return fmt.Sprintf("%d:%x", id.Height(), id[8:10]) }

// brief renders a message for transcripts.
func brief(m Msg) string {
	switch x := m.(type) {
	case *Hello:
		s := "hello " + short(x.ID)
		if x.Head {
			s += " head"
		}
		if x.Committed {
			s += " committed"
		}
		if x.Common {
			s += " common"
		}
		return s
	case *Have:
		return fmt.Sprintf("have %s irreversible %s", short(x.Header.ID()), short(x.Irreversible))
	case *Block:
		return "block " + short(x.Block.ID())
	case *Ack:
		return fmt.Sprintf("ack %d", x.Bytes)
	case *Prune:
		return fmt.Sprintf("prune producer %d", x.Producer[0]-1)
	case *Graft:
		return fmt.Sprintf("graft producer %d want %s", int(x.Producer[0])-1, short(x.Want))
	case *Tied:
		return "tied " + short(x.Block)
	case *Coming:
		return fmt.Sprintf("coming %s (%d bytes)", short(x.ID), x.Bytes)
	}
	return fmt.Sprintf("%T", m)
}
