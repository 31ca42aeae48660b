package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/node/admin"
)

func newAttestCmd() *cobra.Command {
	var f nodeFlags
	var wait time.Duration
	var retry bool
	cmd := &cobra.Command{
		Use:   "attest [BLOCK]",
		Short: "Show a block's attestation (height or id), or with no block the node's attestation status",
		Long: `attest reads a node's attestation over its admin API (docs/operations.md).
With BLOCK (a height on the best chain or a 64-hex-digit id) it prints the
block's proof (every level's verifiers) or where it is pending or stalled;
--wait waits for it to be attested, --retry resumes a stalled block.
Without BLOCK it prints the requester's pending, stalled and latency
figures, the verifier's counters and the verifier directory.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return show(cmd, &f, "/attest", printAttestStatus)
			}
			path := "/attest/" + url.PathEscape(args[0])
			if retry {
				return f.client().do(cmd.Context(), "POST", path+"/retry", nil, nil, nil)
			}
			if wait > 0 {
				path += "?wait=" + wait.String()
			}
			return show(cmd, &f, path, printAttestation)
		},
	}
	f.register(cmd)
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for the block to be attested (raise --timeout with it)")
	cmd.Flags().BoolVar(&retry, "retry", false, "resume a stalled block (POST /attest/BLOCK/retry)")
	return cmd
}

func printAttestation(w io.Writer, a admin.AttestationJSON) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "block\t%s\n", a.Block)
	fmt.Fprintf(tw, "status\t%s", a.Status)
	switch {
	case a.Status == "attested":
		fmt.Fprintf(tw, " in %.0f ms", a.LatencyMs)
	case a.Stalled != "":
		fmt.Fprintf(tw, " at L%d: %s (blockwire attest --retry %s)", a.Level, a.Stalled, a.Block)
	case a.Status == "pending":
		fmt.Fprintf(tw, " at L%d", a.Level)
	}
	fmt.Fprintln(tw)
	for _, l := range a.Levels {
		fmt.Fprintf(tw, "L%d\t%d verifications by %s; asked %d\n", l.Level, len(l.Verifications), shortKeys(l.Verifications), len(l.Asked))
	}
	return tw.Flush()
}

func shortKeys(ks []string) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k[:min(8, len(k))]
	}
	return "[" + strings.Join(out, " ") + "]"
}

func printAttestStatus(w io.Writer, s admin.AttestStatusJSON) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "levels\t%s\n", s.Levels)
	if s.Requester {
		fmt.Fprintf(tw, "requester\tcursor %d, %d pending %v, %d stalled, %d attested\n", s.Cursor, s.Pending, s.PerLevel, s.StalledCount, s.Finalized)
		fmt.Fprintf(tw, "latency\tp50 %.0f ms, p99 %.0f ms, max %.0f ms over %d blocks\n", s.LatencyP50, s.LatencyP99, s.LatencyMax, s.Sample)
		fmt.Fprintf(tw, "requests\t%d (%d replacements, %d re-asks, %d re-sent after restart, %d unreachable)\n", s.Requests, s.Replacements, s.Reasks, s.Resent, s.Unreachable)
		for _, st := range s.Stalled {
			fmt.Fprintf(tw, "stalled\t%s L%d: %s\n", st.Block, st.Level, st.Reason)
		}
	}
	if v := s.Verifier; v != nil {
		fmt.Fprintf(tw, "verifier\tL%d: %d signed, %d acked, %d held, %d waiting for the chain, refused %v\n", s.Level, v.Signed, v.Acked, v.Held, v.Parked, v.Refused)
	}
	fmt.Fprintf(tw, "messages\t%d sent, %d received; refused %v; dropped %v\n", s.Sent, s.Received, s.Refused, s.Drops)
	for _, m := range s.Directory {
		fmt.Fprintf(tw, "directory\tL%d %s operator %q %v\n", m.Level, m.Key[:16], m.Operator, m.Labels)
	}
	return tw.Flush()
}
