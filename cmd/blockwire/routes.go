package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/transport"
)

func newRoutesCmd() *cobra.Command {
	var f nodeFlags
	cmd := &cobra.Command{
		Use:   "routes",
		Short: "Show a node's routing table: destination, next hop, metric, RTT, seqno, feasibility distance, age",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(cmd, &f, "/routes", printRoutes)
		},
	}
	f.register(cmd)
	return cmd
}

func printRoutes(w io.Writer, rs []transport.RouteInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DEST\tNEXT HOP\tMETRIC\tRTT\tSEQNO\tFD\tAGE\tQUEUED")
	for _, r := range rs {
		if !r.Reachable {
			fmt.Fprintf(tw, "%s\tunreachable\t-\t-\t-\t-\t-\t%d\n", shortPeer(r.Dest.String()), r.Queued)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d/%d\t%s\t%d\n", shortPeer(r.Dest.String()), shortPeer(r.NextHop.String()),
			r.Metric, r.RTT.Round(10*time.Microsecond), r.Seqno, r.FDSeqno, r.FDMetric, r.Age.Round(time.Millisecond), r.Queued)
	}
	return tw.Flush()
}
