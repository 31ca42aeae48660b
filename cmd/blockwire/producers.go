package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/node"
)

func newProducersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "producers",
		Short: "List the producer set, sign and submit changes to it",
		Long: `A producer-set change takes effect only with the signatures of a quorum of the
producers in force (a majority under CFT), each over the chain's genesis id,
the operation, the peer and the change's nonce (the next_change_nonce that
"producers list" shows). Collect them in one of two ways:

  - one operator holds the key files: "producers add|remove --key FILE ..."
    signs with each and submits;
  - each operator signs on their own machine with "producers sign" and sends
    the printed share to whoever submits "producers add|remove --share ...".

Shares and keys can be mixed. A share is valid for one change and nonce: if
another change is applied first, sign again.`,
	}
	cmd.AddCommand(newProducersListCmd(), newProducersSignCmd(),
		newProducersChangeCmd(prodset.OpAdd), newProducersChangeCmd(prodset.OpRemove))
	return cmd
}

func newProducersListCmd() *cobra.Command {
	var f nodeFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show the producer set in force, the next change nonce and the quorum",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(cmd, &f, "/consensus", printProducers)
		},
	}
	f.register(cmd)
	return cmd
}

func printProducers(w io.Writer, cs node.ConsensusStatus) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d producers (set %s), irreversible at %d\n", len(cs.Producers), cs.ProducerSet, cs.Irreversible.Height)
	fmt.Fprintf(&b, "next change nonce %d; a change needs %s\n", cs.NextChangeNonce, quorumText(cs))
	fmt.Fprintf(&b, "%-14s %-54s %s\n", "NAME", "PEER ID", "PUBLIC KEY")
	for _, p := range cs.Producers {
		fmt.Fprintf(&b, "%-14s %-54s %s\n", orDash(p.Name), p.PeerID, p.PublicKey)
	}
	if cs.Raft != nil && cs.Raft.PendingChanges > 0 {
		fmt.Fprintf(&b, "raft has %d committed change(s) still to carry out\n", cs.Raft.PendingChanges)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func quorumText(cs node.ConsensusStatus) string {
	if cs.Quorum == 0 {
		return "the signatures the chain's policy asks for"
	}
	return fmt.Sprintf("the signatures of %d of them", cs.Quorum)
}

// changeFlags describe one change and where its chain id and nonce come
// from: the flags, or the node.
type changeFlags struct {
	node  nodeFlags
	peer  string
	nonce uint64
	chain string
}

func (c *changeFlags) register(cmd *cobra.Command) {
	c.node.register(cmd)
	cmd.Flags().StringVar(&c.peer, "peer", "", "peer id of the producer to add or remove (its `blockwire status` peer_id)")
	cmd.Flags().Uint64Var(&c.nonce, "nonce", 0, "the change's nonce (default: next_change_nonce from --node)")
	cmd.Flags().StringVar(&c.chain, "chain", "", "the chain's genesis id, 64 hex digits (`genesis` in `blockwire status --json`; default: from --node)")
	_ = cmd.MarkFlagRequired("peer")
}

// resolve returns the change and chain id, asking the node for what the
// flags leave out.
func (c *changeFlags) resolve(ctx context.Context, op prodset.Op) (prodset.Change, block.ID, error) {
	var chain block.ID
	id, err := peer.Decode(c.peer)
	if err != nil {
		return prodset.Change{}, chain, fmt.Errorf("--peer %q: %w", c.peer, err)
	}
	ch := prodset.Change{Op: op, Peer: string(id), Nonce: c.nonce}
	if c.chain != "" {
		if chain, err = block.ParseID(c.chain); err != nil {
			return ch, chain, fmt.Errorf("--chain: %w", err)
		}
	}
	if c.chain == "" || ch.Nonce == 0 {
		cl := c.node.client()
		if c.chain == "" {
			var st node.Status
			if err := cl.do(ctx, "GET", "/status", nil, &st, nil); err != nil {
				return ch, chain, err
			}
			chain = st.Genesis
		}
		if ch.Nonce == 0 {
			var cs node.ConsensusStatus
			if err := cl.do(ctx, "GET", "/consensus", nil, &cs, nil); err != nil {
				return ch, chain, err
			}
			ch.Nonce = cs.NextChangeNonce
		}
	}
	return ch, chain, nil
}

func newProducersSignCmd() *cobra.Command {
	var (
		c   changeFlags
		op  string
		key string
	)
	cmd := &cobra.Command{
		Use:   "sign --op add|remove --peer ID --key FILE",
		Short: "Print this key's signature share for a change",
		Long: `Sign a producer-set change with a producer's node key file and print the
share (public key and signature in hex, "KEY:SIG") for "producers add|remove
--share". The chain id and nonce come from --node unless --chain and --nonce
give them (to sign on a machine that cannot reach a node).`,
		Example: `  blockwire producers sign --op add --peer 12D3KooW... --key node1/node.key --node 127.0.0.1:10001`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := parseOp(op)
			if err != nil {
				return err
			}
			ch, chain, err := c.resolve(cmd.Context(), o)
			if err != nil {
				return err
			}
			k, err := loadKeyFile(key)
			if err != nil {
				return err
			}
			s, err := node.SignChange(chain, ch, k)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "signed %s %s as change %d on chain %s\n", ch.Op, prodset.PeerString(ch.Peer), ch.Nonce, chain.Hex())
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s:%s\n", hex.EncodeToString(s.Key[:]), hex.EncodeToString(s.Sig[:]))
			return err
		},
	}
	c.register(cmd)
	cmd.Flags().StringVar(&op, "op", "", "add or remove")
	cmd.Flags().StringVar(&key, "key", "", "a producer's node key file (node.key_file)")
	_ = cmd.MarkFlagRequired("op")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

func newProducersChangeCmd(op prodset.Op) *cobra.Command {
	var (
		c      changeFlags
		keys   []string
		shares []string
		wait   string
	)
	cmd := &cobra.Command{
		Use:   op.String() + " --peer ID [--key FILE ...] [--share KEY:SIG ...]",
		Short: fmt.Sprintf("Sign and submit a change that %ss a producer", op),
		Long: fmt.Sprintf(`Build the change that %ss the producer with peer id --peer, sign it with
each --key file, add each --share from "producers sign", and submit it through
--node. It takes effect once its block is irreversible; the command waits for
that by default (--wait irreversible).`, op),
		Example: fmt.Sprintf(`  blockwire producers %s --peer 12D3KooW... --key node0/node.key --key node1/node.key --node 127.0.0.1:10000`, op),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(keys)+len(shares) == 0 {
				return errors.New("no signatures: give --key files or --share values of a quorum of the producers (see `blockwire producers list`)")
			}
			ch, chain, err := c.resolve(cmd.Context(), op)
			if err != nil {
				return err
			}
			sigs, err := collectSigs(chain, ch, keys, shares)
			if err != nil {
				return err
			}
			tx, err := prodset.EncodeTx(ch, sigs)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s %s as change %d, %d signature(s)\n", op, prodset.PeerString(ch.Peer), ch.Nonce, len(sigs))
			var rec node.TxReceipt
			var raw []byte
			req := map[string]any{"tx": hex.EncodeToString(tx), "wait": wait}
			if err := c.node.client().do(cmd.Context(), "POST", "/tx", req, &rec, &raw); err != nil {
				return err
			}
			if c.node.asJSON {
				_, err := cmd.OutOrStdout().Write(raw)
				return err
			}
			return printReceipt(cmd.OutOrStdout(), rec)
		},
	}
	c.register(cmd)
	cmd.Flags().StringArrayVar(&keys, "key", nil, "a producer's node key file to sign with (repeatable)")
	cmd.Flags().StringArrayVar(&shares, "share", nil, "a signature share KEY:SIG from `producers sign` (repeatable)")
	cmd.Flags().StringVar(&wait, "wait", "irreversible", "included or irreversible")
	return cmd
}

// collectSigs signs with each key file and checks each share against the
// change, so a share for another change or nonce is caught here, not as a
// refusal from the node.
func collectSigs(chain block.ID, ch prodset.Change, keys, shares []string) ([]prodset.Signature, error) {
	var sigs []prodset.Signature
	for _, path := range keys {
		k, err := loadKeyFile(path)
		if err != nil {
			return nil, err
		}
		s, err := node.SignChange(chain, ch, k)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, s)
	}
	for _, sh := range shares {
		s, err := parseShare(sh)
		if err != nil {
			return nil, err
		}
		if !prodset.VerifySig(chain, ch, s) {
			return nil, fmt.Errorf("--share %s…: not a signature of this change (%s %s, nonce %d) on this chain: sign it again",
				sh[:min(len(sh), 16)], ch.Op, prodset.PeerString(ch.Peer), ch.Nonce)
		}
		sigs = append(sigs, s)
	}
	return sigs, nil
}

func parseShare(s string) (prodset.Signature, error) {
	var sig prodset.Signature
	k, v, ok := strings.Cut(s, ":")
	kb, err1 := hex.DecodeString(k)
	vb, err2 := hex.DecodeString(v)
	if !ok || err1 != nil || err2 != nil || len(kb) != len(sig.Key) || len(vb) != len(sig.Sig) {
		return sig, fmt.Errorf("--share %q: want KEY:SIG, 32 and 64 bytes in hex", s)
	}
	copy(sig.Key[:], kb)
	copy(sig.Sig[:], vb)
	return sig, nil
}

func parseOp(s string) (prodset.Op, error) {
	switch s {
	case "add":
		return prodset.OpAdd, nil
	case "remove":
		return prodset.OpRemove, nil
	}
	return 0, fmt.Errorf("--op %q: want add or remove", s)
}

// loadKeyFile reads a node key file (libp2p protobuf encoding). Unlike the
// node, it never creates one: a missing file is a typo.
func loadKeyFile(path string) (crypto.PrivKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	k, err := crypto.UnmarshalPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if k.Type() != crypto.Ed25519 {
		return nil, fmt.Errorf("key file %s holds a %v key, want ed25519", path, k.Type())
	}
	return k, nil
}
