package blocksync

import (
	"fmt"
	"os"
)

// tracing reports whether BLOCKSYNC_TRACE is set: the in-test network then
// logs every message (a debugging aid; see TestRandomNetworksMany).
func tracing() bool { return os.Getenv("BLOCKSYNC_TRACE") != "" }

func tracef(format string, args ...any) {
	if tracing() {
		fmt.Printf(format+"\n", args...)
	}
}

func describe(m Msg) string {
	switch x := m.(type) {
	case *Hello:
		return fmt.Sprintf("hello %s head=%v committed=%v", x.ID, x.Head, x.Committed)
	case *Have:
		return fmt.Sprintf("have %s irr %s", x.Header.ID(), x.Irreversible)
	case *Block:
		return fmt.Sprintf("block %s parent %s", x.Block.ID(), x.Block.Parent)
	case *Ack:
		return fmt.Sprintf("ack %d", x.Bytes)
	case *Prune:
		return fmt.Sprintf("prune %x", x.Producer[:1])
	case *Graft:
		return fmt.Sprintf("graft %x %s", x.Producer[:1], x.Want)
	case *Tied:
		return fmt.Sprintf("tied %s", x.Block)
	}
	return "?"
}
