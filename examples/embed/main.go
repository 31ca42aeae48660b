// Command embed shows how to embed the blockwire stack in another Go program
// with its own application: a chain of named counters. Each transaction is
// a counter name, optionally followed by a zero byte and a nonce (identical
// transactions have identical hashes, so a repeated increment needs one);
// executing it adds one to that counter.
//
// It starts a one-producer development chain (the solo engine) in a
// temporary directory, submits a few increments, waits until they are
// irreversible and prints the counters. Swap EngineSolo for EngineCFT and
// add nodes to NetworkSpec to run several producers.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/node"
)

// Counters is the application: it implements chain.App. It keeps no state
// of its own; everything goes through the chain.State of each block, which
// is how the chain can execute blocks on several forks.
type Counters struct{}

var _ chain.App = Counters{}

// StartBlock begins a block on its parent's state.
func (Counters) StartBlock(st *chain.State, h *block.Header) (chain.BlockExec, error) {
	return &counterBlock{st: st, parent: h.StateRoot}, nil
}

type counterBlock struct {
	st     *chain.State
	parent block.Hash
}

// ApplyTx increments the counter the transaction names. A *chain.TxError
// rejects the transaction (the chain undoes its writes).
func (b *counterBlock) ApplyTx(tx []byte) error {
	if err := validate(tx); err != nil {
		return err
	}
	name, _, _ := bytes.Cut(tx, []byte{0})
	v, _, err := b.st.Get(name)
	if err != nil {
		return err
	}
	var n uint64
	if len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	b.st.Set(name, binary.BigEndian.AppendUint64(nil, n+1))
	return nil
}

// Finish returns the state root: a hash chain over the parent's root and
// this block's writes in key order, so every node computes the same root.
func (b *counterBlock) Finish() (block.Hash, error) {
	h := sha256.New()
	h.Write([]byte("example/counters/v1"))
	h.Write(b.parent[:])
	for _, w := range b.st.Writes() {
		h.Write(binary.AppendUvarint(nil, uint64(len(w.Key))))
		h.Write(w.Key)
		h.Write(w.Value)
	}
	var root block.Hash
	copy(root[:], h.Sum(nil))
	return root, nil
}

// validate is the stateless check Submit runs before sending a transaction
// to the producer.
func validate(tx []byte) error {
	if name, _, _ := bytes.Cut(tx, []byte{0}); len(name) == 0 || len(tx) > 64 {
		return &chain.TxError{Reason: "bad-name", Detail: "a counter name has 1 to 64 bytes"}
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "blockwire-embed")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()

	base := node.DefaultConfig()
	base.Consensus.BlockInterval = node.Duration{Duration: 50 * time.Millisecond}
	base.Log.Level, base.Log.File = "warn", ""
	_, nodes, err := node.InitNetwork(node.NetworkSpec{Dir: dir, Chain: "counters", Nodes: 1, Producers: 1,
		Engine: node.EngineSolo, P2PPorts: []int{0}, AdminPorts: []int{0}, Base: &base})
	if err != nil {
		return err
	}
	cfg, err := node.LoadConfig(nodes[0].ConfigFile)
	if err != nil {
		return err
	}
	n, err := node.New(cfg, node.WithApp(Counters{}, validate))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		return err
	}
	defer func() { _ = n.Stop() }()

	heads := n.Subscribe(16)
	var last node.TxReceipt
	for i, name := range []string{"apples", "pears", "apples"} {
		r, err := n.Submit(ctx, append([]byte(name+"\x00"), byte(i)))
		if err != nil {
			return fmt.Errorf("submit %s: %w", name, err)
		}
		last = r
		fmt.Printf("%-6s included in block %d\n", name, r.Height)
	}
	if _, err := n.WaitTx(ctx, last.Hash, node.TxIrreversible); err != nil {
		return err
	}
	if _, err := n.Submit(ctx, nil); !errors.Is(err, node.ErrTxRejected) {
		return fmt.Errorf("an empty name should be rejected, got %w", err)
	}
	ev := <-heads.C()
	fmt.Printf("first event: %s at height %d\n", ev.Kind, ev.Height)
	return n.Query(ctx, func(st chain.StateReader) error {
		for _, name := range []string{"apples", "pears"} {
			v, _, err := st.Get([]byte(name))
			if err != nil {
				return err
			}
			fmt.Printf("%s = %d\n", name, binary.BigEndian.Uint64(v))
		}
		return nil
	})
}
