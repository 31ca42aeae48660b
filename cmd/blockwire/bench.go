package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/consensus/cft/cftbench"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linkbench"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the link layer and CFT consensus over real libp2p on loopback",
		Long: `Benchmarks that report ratios against a baseline measured in the same run
(these machines are shared and noisy). docs/benchmarks.md records the
figures with the commands that produced them. The simulator's figures come
from "blockwire sim --json".`,
	}
	cmd.AddCommand(newBenchLinkCmd(), newBenchLinkPeerCmd(), newBenchCFTCmd(), newBenchAttackCmd())
	return cmd
}

func newBenchLinkCmd() *cobra.Command {
	var (
		o         linkbench.Options
		transport string
		asJSON    bool
		window    int
		windowMax int
		tuneDelay time.Duration
		chunk     int
		oneConn   bool
		netns     bool
		shape     netnsOpts
	)
	cmd := &cobra.Command{
		Use:   "link",
		Short: "Consensus-lane RTT idle and under a streaming block; blocks-lane vs bare-stream throughput",
		Long: `For each transport, one pair of libp2p hosts on 127.0.0.1 measures:
  idle_p50_us, idle_p99_us      consensus-lane round trips on a quiet link
  loaded_p50_us, loaded_p99_us  the same while blocks stream on the same link
  loaded_flood_mibps            the blocks lane's rate over those round trips
  hol_ratio                     loaded_p99 / idle_p99 (head-of-line blocking)
  lane_mibps, raw_stream_mibps  blocks lane vs a bare libp2p stream on the link's
                                connection (garbage collected before each transfer)
  throughput_ratio              lane_mibps / raw_stream_mibps
then, unless --no-reference, plain libp2p streams (a bare echo stream; the
flood is a bare stream writing blocks in 1 MiB writes) for reference:
  bare_idle_p50_us, bare_idle_p99_us      echo on the pair's connection, quiet
  bare_shared_p50_us, bare_shared_p99_us  the same while a flood shares it
  bare_shared_hol_ratio                   bare_shared_p99 / bare_idle_p99
  floor_idle_p99_us                       echo between a second pair, quiet
  floor_p50_us, floor_p99_us              the same while the first pair floods
  floor_hol_ratio                         floor_p99 / floor_idle_p99 (CPU contention alone)
  floor_flood_mibps                       the flood's rate meanwhile
  lane_floor_ratio                        loaded_p99 / floor_p99
With --json it prints one JSON object per transport, one per line.

With --netns (root only) the two ends run as two processes, each in its
own network namespace, joined by a veth pair (10.213.0.1 and .2, only
inside the namespaces; --tbf-rate shapes it with tc tbf), so that they
share no process; the namespaces are deleted on every exit. "processes"
in the result says which mode ran (1 or 2).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := benchConnConfig(o.BlockSize, window, windowMax, tuneDelay, chunk, oneConn)
			if err != nil {
				return err
			}
			o.Conn = conn
			transports := []string{"tcp", "quic"}
			if transport != "both" {
				transports = []string{transport}
			}
			for _, tr := range transports {
				opts := o
				opts.Transport = tr
				var res linkbench.Result
				if netns {
					shared := []string{"--block-size", strconv.Itoa(o.BlockSize), "--bulk-window", strconv.Itoa(window), "--bulk-window-max", strconv.Itoa(windowMax), "--bulk-tune-delay", tuneDelay.String(), "--chunk-size", strconv.Itoa(chunk), "--one-conn=" + strconv.FormatBool(oneConn)}
					measure := []string{"--pings", strconv.Itoa(o.Pings), "--rounds", strconv.Itoa(o.Rounds), "--no-reference=" + strconv.FormatBool(o.NoReference)}
					res, _, err = runNetns(cmd.Context(), shape, tr, shared, measure)
				} else {
					res, err = linkbench.Run(cmd.Context(), opts)
				}
				if err != nil {
					return fmt.Errorf("bench link %s: %w", tr, err)
				}
				human := fmt.Sprintf(
					"%s: consensus RTT p50/p99 idle %.1f/%.1f µs, loaded %.1f/%.1f µs (hol_ratio %.1f); blocks lane %.0f MiB/s vs raw %.0f MiB/s (ratio %.2f)",
					res.Transport, res.IdleP50us, res.IdleP99us, res.LoadedP50us, res.LoadedP99us, res.HOLRatio,
					res.LaneMiBps, res.RawStreamMiBps, res.ThroughputRatio)
				if !opts.NoReference {
					human += fmt.Sprintf(
						"; bare stream p99 idle %.1f µs, sharing a flooded connection %.1f µs (ratio %.1f); floor p99 %.1f µs vs %.1f µs idle (ratio %.1f); lane_floor_ratio %.2f",
						res.BareIdleP99us, res.BareSharedP99us, res.BareSharedHOLRatio, res.FloorP99us, res.FloorIdleP99us, res.FloorHOLRatio, res.LaneFloorRatio)
				}
				if err := printBench(cmd, asJSON, res, human); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&transport, "transport", "both", "tcp, quic or both")
	f.IntVar(&o.BlockSize, "block-size", 64<<20, "bytes per streamed block")
	f.IntVar(&o.Pings, "pings", 2000, "round trips per phase")
	f.IntVar(&o.Rounds, "rounds", 5, "throughput rounds per side (the median is kept)")
	f.IntVar(&window, "bulk-window", 0, "override the link's bulk windows in bytes, BulkWindow, QUICBulkWindow and BulkConnWindow (block bytes in flight below the scheduler)")
	f.IntVar(&windowMax, "bulk-window-max", -1, "override ConnConfig.BulkWindowMax in bytes, how far a bulk-connection link's window may grow within a message (0: no tuning; -1: default)")
	f.DurationVar(&tuneDelay, "bulk-tune-delay", 0, "override ConnConfig.BulkTuneDelay: a bulk window that drains faster than this grows (0: default)")
	f.BoolVar(&oneConn, "one-conn", false, "bulk lanes share the link's connection (ConnConfig.BulkConn off), as before wire version 3")
	f.IntVar(&chunk, "chunk-size", 0, "override the link's ChunkSize in bytes")
	f.BoolVar(&o.NoReference, "no-reference", false, "skip the bare-stream reference phases (bare_*, floor_*)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.StringVar(&o.Peer, "peer", "", "address (/…/p2p/<id>) of a `bench link-peer` responder to measure against, instead of one in this process")
	f.StringVar(&o.FloorPeer, "floor-peer", "", "address of the responder for the floor pair (with --peer)")
	f.StringVar(&o.ListenIP, "listen-ip", "", "IPv4 address our hosts listen on (default 127.0.0.1)")
	f.BoolVar(&netns, "netns", false, "two processes in two network namespaces joined by a veth pair (root only)")
	f.StringVar(&shape.rate, "tbf-rate", "", "with --netns: shape the veth with tc tbf at this rate (e.g. 1gbit); empty: unshaped")
	f.StringVar(&shape.burst, "tbf-burst", "256kb", "with --tbf-rate: tbf burst")
	f.StringVar(&shape.latency, "tbf-latency", "50ms", "with --tbf-rate: tbf latency (queue bound)")
	return cmd
}

// benchConnConfig is the link configuration of a bench run: the defaults
// with MaxMessage[LaneBlocks] ≥ blockSize and the window and chunk
// overrides (0: default; windowMax -1: default); nil when nothing is
// overridden.
func benchConnConfig(blockSize, window, windowMax int, tuneDelay time.Duration, chunk int, oneConn bool) (*link.ConnConfig, error) {
	if window <= 0 && windowMax < 0 && tuneDelay <= 0 && chunk <= 0 && !oneConn {
		return nil, nil
	}
	conn := link.DefaultConnConfig()
	conn.MaxMessage[link.LaneBlocks] = max(conn.MaxMessage[link.LaneBlocks], blockSize)
	conn.BulkConn = !oneConn
	if window > 0 {
		conn.BulkWindow, conn.QUICBulkWindow, conn.BulkConnWindow = window, window, window
	}
	if windowMax >= 0 {
		conn.BulkWindowMax = windowMax
	}
	if tuneDelay > 0 {
		conn.BulkTuneDelay = tuneDelay
	}
	if chunk > 0 {
		conn.ChunkSize = chunk
	}
	if err := conn.Validate(); err != nil {
		return nil, err
	}
	return &conn, nil
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(bytes.TrimSpace(b), v) }

func newBenchCFTCmd() *cobra.Command {
	var (
		o      cftbench.Options
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "cft",
		Short: "Raft block commit over libp2p with synced pebble: blocks/s, commit latency, failover",
		Long: `Run P raft producers over libp2p on loopback with synced pebble stores,
producing every --interval: blocks_per_s, produce-to-irreversible latency
(commit_p50_ms, commit_p99_ms) over every block on every producer, and
failover_ms (leader SIGKILLed in-process → next irreversible block).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := cftbench.Run(cmd.Context(), o)
			if err != nil {
				return fmt.Errorf("bench cft: %w", err)
			}
			return printBench(cmd, asJSON, res, fmt.Sprintf(
				"%d producers: %.1f blocks/s, commit p50 %.2f ms p99 %.2f ms, failover %.0f ms",
				res.Producers, res.BlocksPerS, res.CommitP50MS, res.CommitP99MS, res.FailoverMS))
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Producers, "producers", 3, "raft voters")
	f.DurationVar(&o.Interval, "interval", 10*time.Millisecond, "block interval")
	f.DurationVar(&o.Duration, "duration", 3*time.Second, "steady-state window measured")
	f.IntVar(&o.Failovers, "failovers", 3, "leader kills (each restarted from its pebble directory)")
	f.DurationVar(&o.Timeout, "raft-timeout", 100*time.Millisecond, "raft heartbeat and election timeout (lease is half)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

func printBench(cmd *cobra.Command, asJSON bool, res any, human string) error {
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
	}
	_, err := fmt.Fprintln(cmd.OutOrStdout(), human)
	return err
}
