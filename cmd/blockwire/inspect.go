package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/node/admin"
)

// nodeFlags are the flags every admin-API command shares.
type nodeFlags struct {
	addr      string
	config    string
	tokenFile string
	asJSON    bool
	timeout   time.Duration
	// token is read from the token file by resolve.
	token string
}

// defaultAdmin is admin.listen in DefaultConfig and init's --admin-port on
// 127.0.0.1: a node made by `blockwire init` answers here without --node.
const defaultAdmin = "127.0.0.1:9100"

func (f *nodeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.addr, "node", defaultAdmin, "the node's admin address (admin.listen in its config)")
	cmd.Flags().StringVar(&f.config, "config", "", "the node's config.toml: use its admin.listen and admin.token_file")
	cmd.Flags().StringVar(&f.tokenFile, "token-file", "", "admin bearer token file (admin.token_file): needed for changes when the node's admin API is not on loopback")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the API's JSON instead of a table")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 10*time.Second, "give up after this long")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error { return f.resolve(cmd.Flags().Changed("node")) }
}

// resolve reads --config and the token file before the command runs:
// --node and --token-file win over what the config names.
func (f *nodeFlags) resolve(nodeSet bool) error {
	tokenFile := f.tokenFile
	if f.config != "" {
		cfg, err := node.LoadConfig(f.config)
		if err != nil {
			return err
		}
		if cfg.Admin.Listen == "" {
			return fmt.Errorf("%s: admin.listen is empty: the node serves no admin API", f.config)
		}
		if !nodeSet {
			f.addr = cfg.Admin.Listen
		}
		if tokenFile == "" && cfg.Admin.TokenFile != "" {
			tokenFile = cfg.Path(cfg.Admin.TokenFile)
		}
	}
	if tokenFile == "" {
		return nil
	}
	tok, err := node.ReadAdminToken(tokenFile)
	if err != nil {
		return err
	}
	f.token = tok
	return nil
}

func (f *nodeFlags) client() *adminClient {
	c := newAdminClient(f.addr, f.timeout)
	c.token = f.token
	return c
}

// show fetches path and prints it as JSON or through human.
func show[T any](cmd *cobra.Command, f *nodeFlags, path string, human func(io.Writer, T) error) error {
	var v T
	var raw []byte
	if err := f.client().do(cmd.Context(), "GET", path, nil, &v, &raw); err != nil {
		return err
	}
	if f.asJSON {
		_, err := cmd.OutOrStdout().Write(raw)
		return err
	}
	return human(cmd.OutOrStdout(), v)
}

func newStatusCmd() *cobra.Command {
	var f nodeFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a node's head, irreversible block, consensus role and sync state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(cmd, &f, "/status", printStatus)
		},
	}
	f.register(cmd)
	return cmd
}

func printStatus(w io.Writer, s admin.StatusView) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "node\t%s (%s, %s), blockwire %s%s\n", s.Name, s.Role, s.Engine, orDash(s.Version), roleNote(s.Status))
	fmt.Fprintf(tw, "peer id\t%s\n", s.PeerID)
	fmt.Fprintf(tw, "chain\t%s, genesis %s\n", s.Chain, s.Genesis)
	fmt.Fprintf(tw, "head\t%d  %s  term %d  %s (%s ago)\n", s.Head.Height, s.Head.ID, s.Head.Term, s.Head.Timestamp.Format(time.RFC3339Nano), s.HeadAge)
	fmt.Fprintf(tw, "irreversible\t%d  %s  (%d behind the head)\n", s.Irreversible.Height, s.Irreversible.ID, s.Head.Height-min(s.Head.Height, s.Irreversible.Height))
	fmt.Fprintf(tw, "state root\t%s\n", s.StateRoot)
	fmt.Fprintf(tw, "consensus\tterm %d, leader %s, producing %v\n", s.Term, orDash(s.Leader.String()), s.Producing)
	fmt.Fprintf(tw, "sync\t%s (best peer head %d), %d peers, %d txs in mempool\n", s.Sync, s.BestPeer, s.Peers, s.MempoolTxs)
	if s.StatusError != "" {
		fmt.Fprintf(tw, "warning\t%s\n", s.StatusError)
	}
	return tw.Flush()
}

// roleNote says when the effective role (the producer set's) is not the
// one the config names.
func roleNote(s node.Status) string {
	if s.ConfigRole == "" || s.ConfigRole == s.Role {
		return ""
	}
	return fmt.Sprintf(" — config says %s; the producer set in force decides", s.ConfigRole)
}

func newPeersCmd() *cobra.Command {
	var f nodeFlags
	cmd := &cobra.Command{
		Use:   "peers",
		Short: "List a node's peers: mode, queues, traffic, RTT, score, bans, last disconnect reason",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(cmd, &f, "/peers", printPeers)
		},
	}
	f.register(cmd)
	return cmd
}

func printPeers(w io.Writer, peers []node.PeerStatus) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PEER\tSTATE\tDIR\tMODE\tSYNC\tPEER HEAD\tQUEUED\tIN\tOUT\tRTT\tUPTIME\tSCORE\tNOTE")
	for _, p := range peers {
		state := "down"
		if p.Connected {
			state = "up"
		}
		if p.Ban != nil {
			state = "banned"
		}
		note := ""
		switch {
		case p.Ban != nil:
			note = fmt.Sprintf("banned until %s: %s", p.Ban.Until.Format(time.TimeOnly), p.Ban.Reason)
		case p.LastDisconnect != "":
			note = "last disconnect: " + string(p.LastDisconnect)
			if p.LastError != "" {
				note += " (" + p.LastError + ")"
			}
		}
		if p.Producer {
			note = strings.TrimSpace("producer " + note)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\n",
			shortPeer(p.Peer.String()), state, orDash(p.Direction), orDash(p.Mode), orDash(p.SyncState), p.PeerHead.Height(),
			bytesString(uint64(max(p.QueuedBytes, 0))), bytesString(p.BytesIn), bytesString(p.BytesOut),
			orDash(p.RTT), orDash(p.Uptime), p.Score, note)
	}
	return tw.Flush()
}

func newBlocksCmd() *cobra.Command {
	var (
		f     nodeFlags
		from  uint64
		limit int
		txs   bool
	)
	cmd := &cobra.Command{
		Use:   "blocks [HEIGHT|ID]",
		Short: "Show one block by height or id, or a range of block headers",
		Example: `  blockwire blocks 42 --txs
  blockwire blocks --from 1 --limit 20`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				path := "/blocks/" + args[0]
				if txs {
					path += "?txs=1"
				}
				return show(cmd, &f, path, func(w io.Writer, b admin.Block) error { return printBlocks(w, []admin.Block{b}, txs) })
			}
			return show(cmd, &f, fmt.Sprintf("/blocks?from=%d&limit=%d", from, limit),
				func(w io.Writer, bs []admin.Block) error { return printBlocks(w, bs, false) })
		},
	}
	f.register(cmd)
	cmd.Flags().Uint64Var(&from, "from", 1, "first height of a range")
	cmd.Flags().IntVar(&limit, "limit", 20, "number of blocks in a range (at most 100)")
	cmd.Flags().BoolVar(&txs, "txs", false, "include transactions (one block only)")
	return cmd
}

func printBlocks(w io.Writer, bs []admin.Block, txs bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HEIGHT\tID\tTERM\tPRODUCER\tTIME\tTXS\tSIZE")
	for _, b := range bs {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%d\t%s\n", b.Height, b.ID.Hex(), b.Term, b.Producer.String()[:16]+"…",
			b.Timestamp.Format(time.RFC3339Nano), b.TxCount, bytesString(uint64(b.Size)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if txs {
		for _, b := range bs {
			for i, tx := range b.Txs {
				fmt.Fprintf(w, "tx %d  %s  %s\n", i, b.TxHashes[i], tx)
			}
		}
	}
	return nil
}

func newTxCmd() *cobra.Command {
	var (
		f      nodeFlags
		set    []string
		del    []string
		rawHex string
		wait   string
	)
	cmd := &cobra.Command{
		Use:   "tx [HASH]",
		Short: "Submit a transaction, or look one up by hash",
		Long: `Submit a transaction to any node: it reaches the current producer and the
command returns once the transaction is in a block (--wait included) or
irreversible (--wait irreversible). With a HASH, show what the node knows.

For the built-in key-value app use --set key=value and --delete key; for
any other app give the transaction bytes with --hex.`,
		Example: `  blockwire tx --set greeting=hello --wait irreversible
  blockwire tx 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return show(cmd, &f, "/tx/"+args[0], printReceipt)
			}
			req := map[string]any{"wait": wait}
			if rawHex != "" {
				req["tx"] = rawHex
			}
			if len(set) > 0 {
				kv := map[string]string{}
				for _, s := range set {
					k, v, ok := strings.Cut(s, "=")
					if !ok {
						return fmt.Errorf("--set %q: want key=value", s)
					}
					kv[k] = v
				}
				req["set"] = kv
			}
			if len(del) > 0 {
				req["delete"] = del
			}
			var rec node.TxReceipt
			var raw []byte
			if err := f.client().do(cmd.Context(), "POST", "/tx", req, &rec, &raw); err != nil {
				return err
			}
			if f.asJSON {
				_, err := cmd.OutOrStdout().Write(raw)
				return err
			}
			return printReceipt(cmd.OutOrStdout(), rec)
		},
	}
	f.register(cmd)
	cmd.Flags().StringArrayVar(&set, "set", nil, "key=value to set (repeatable; key-value app)")
	cmd.Flags().StringArrayVar(&del, "delete", nil, "key to delete (repeatable; key-value app)")
	cmd.Flags().StringVar(&rawHex, "hex", "", "transaction bytes in hex (any app)")
	cmd.Flags().StringVar(&wait, "wait", "included", "included or irreversible")
	return cmd
}

func printReceipt(w io.Writer, r node.TxReceipt) error {
	_, err := fmt.Fprintf(w, "tx %s: %s", r.Hash, r.State)
	if err == nil && r.Height > 0 {
		_, err = fmt.Fprintf(w, " in block %d (%s)", r.Height, r.Block)
	}
	if err == nil && r.Reason != "" {
		_, err = fmt.Fprintf(w, ": %s %s", r.Reason, r.Detail)
	}
	if err == nil {
		_, err = fmt.Fprintln(w)
	}
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortPeer(p string) string {
	if len(p) > 16 {
		return p[:8] + "…" + p[len(p)-6:]
	}
	return p
}

func bytesString(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
