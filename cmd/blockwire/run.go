package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/node/admin"
)

func newRunCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a node (full or producer, as its config says)",
		Long: `Run a node until SIGINT or SIGTERM. It logs JSON to the config's log file and
to stderr (human-readable on a terminal), serves the admin API, Prometheus
/metrics and pprof on admin.listen, and on a clean stop a leading producer
hands leadership to another before it shuts down.`,
		Example: `  blockwire run --config ./net/node0/config.toml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runNode(ctx, configPath)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "the node's config.toml (required)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// runNode runs a node until ctx ends. Every error is one line that says
// what failed (a port in use, an unreadable key, a corrupt database).
func runNode(ctx context.Context, configPath string) error {
	cfg, err := node.LoadConfig(configPath)
	if err != nil {
		return err
	}
	logs, err := node.OpenLogs(cfg.Log, cfg.Path(cfg.Log.File), os.Stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err := logs.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "blockwire: closing the log file:", err)
		}
	}()
	log := logs.Component("node")

	reg := prometheus.NewRegistry()
	metrics := admin.NewMetrics(reg)
	n, err := node.New(cfg, node.WithLogs(logs), node.WithObserver(metrics))
	if err != nil {
		return err
	}
	if err := n.Start(ctx); err != nil {
		_ = n.Stop()
		return err
	}
	metrics.Attach(n)
	var srv *admin.Server
	if cfg.Admin.Listen != "" {
		adminLog := logs.Component("admin")
		if srv, err = admin.Start(n, admin.Config{Listen: cfg.Admin.Listen, Pprof: cfg.Admin.Pprof, Registry: reg, Logger: adminLog}); err != nil {
			_ = n.Stop()
			return err
		}
	}
	st := n.Status()
	log.Info().Str("peer_id", st.PeerID.String()).Str("role", string(st.Role)).Str("engine", string(st.Engine)).
		Str("admin", cfg.Admin.Listen).Uint64("head", st.Head.Height).Msg("node running")

	<-ctx.Done()
	log.Info().Msg("stopping")
	if srv != nil {
		if err := srv.Close(); err != nil {
			log.Warn().Err(err).Msg("admin server close")
		}
	}
	if err := n.Stop(); err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	log.Info().Msg("stopped")
	return nil
}
