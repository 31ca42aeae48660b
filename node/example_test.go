package node_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/node"
)

// Example runs a one-producer development chain (the solo engine) on
// loopback, submits a key-value transaction and reads it back once it is
// irreversible.
func Example() {
	dir, err := os.MkdirTemp("", "blockwire-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// What `blockwire init` writes: a key, a genesis and a config.
	base := node.DefaultConfig()
	base.Consensus.BlockInterval = node.Duration{Duration: 50 * time.Millisecond}
	base.Log.Level, base.Log.File = "disabled", ""
	_, nodes, err := node.InitNetwork(node.NetworkSpec{Dir: dir, Nodes: 1, Producers: 1,
		Engine: node.EngineSolo, P2PPorts: []int{0}, AdminPorts: []int{0}, Base: &base})
	if err != nil {
		panic(err)
	}
	cfg, err := node.LoadConfig(nodes[0].ConfigFile)
	if err != nil {
		panic(err)
	}

	n, err := node.New(cfg)
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		panic(err)
	}
	defer n.Stop()

	tx := chain.AppendKVTx(nil, chain.KVOp{Kind: chain.KVSet, Key: []byte("greeting"), Value: []byte("hello")})
	r, err := n.Submit(ctx, tx)
	if err != nil {
		panic(err)
	}
	if _, err := n.WaitTx(ctx, r.Hash, node.TxIrreversible); err != nil {
		panic(err)
	}
	_ = n.Query(ctx, func(st chain.StateReader) error {
		v, _, err := st.Get([]byte("greeting"))
		fmt.Printf("greeting = %s\n", v)
		return err
	})
	// Output: greeting = hello
}
