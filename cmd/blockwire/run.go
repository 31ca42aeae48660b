package main

import (
	"context"
	"errors"
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
		Long: `Run a node until SIGINT, SIGTERM or SIGHUP (all three stop it gracefully:
there is nothing to reload; restart it to apply a changed config). It logs
JSON to the config's log file and to stderr (human-readable on a terminal),
serves the admin API, Prometheus /metrics and pprof on admin.listen, and on a
clean stop a leading producer hands leadership to another before it shuts
down. Check a config without starting: blockwire config check.`,
		Example: `  blockwire run --config ./net/node0/config.toml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// SIGHUP too: a terminal closing or a supervisor's reload must
			// not kill the node without the leadership hand-off.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
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

	adminCfg, err := adminConfig(cfg)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	metrics := admin.NewMetrics(reg)
	metrics.RegisterBuildInfo(versionString(), goVersion())
	adminCfg.Registry = reg
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
		adminCfg.Logger = adminLog
		if srv, err = admin.Start(n, adminCfg); err != nil {
			_ = n.Stop()
			return err
		}
	}
	st := n.Status()
	log.Info().Str("peer_id", st.PeerID.String()).Str("role", string(st.Role)).Str("engine", string(st.Engine)).
		Str("admin", cfg.Admin.Listen).Bool("admin_token", adminCfg.RequireToken).Str("version", versionString()).
		Uint64("head", st.Head.Height).Msg("node running")

	<-ctx.Done()
	log.Info().Str("cause", stopCause(ctx)).Msg("stopping")
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

// adminConfig is the admin server's configuration from the node's: the
// token is read (and required) when admin.listen is not loopback.
func adminConfig(cfg node.Config) (admin.Config, error) {
	ac := admin.Config{Listen: cfg.Admin.Listen, Pprof: cfg.Admin.Pprof,
		ReadyMaxHeadAge: cfg.Admin.ReadyMaxHeadAge.Duration, Version: versionString()}
	if cfg.Admin.Listen == "" || node.LoopbackListen(cfg.Admin.Listen) {
		return ac, nil
	}
	tok, err := node.ReadAdminToken(cfg.Path(cfg.Admin.TokenFile))
	if err != nil {
		return ac, fmt.Errorf("admin.listen %s is not loopback, so the admin API needs its token: %w", cfg.Admin.Listen, err)
	}
	ac.Token, ac.RequireToken = tok, true
	return ac, nil
}

// stopCause names the signal that ended ctx, for the log.
func stopCause(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c.Error()
	}
	return "signal"
}
