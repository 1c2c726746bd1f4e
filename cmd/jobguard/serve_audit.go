package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"

	"github.com/jobguard/jobguard/webhook"
)

func addAuditFlags(fl *pflag.FlagSet, f *serveFlags) {
	fl.DurationVar(&f.auditInterval, "audit-interval", webhook.DefaultAuditInterval,
		"with a cluster connection: how often the elected replica audits the cluster (default: the config's audit.interval, else 10m); 0 turns the background audit off")
}

// auditInterval is --audit-interval when given, else the configuration's audit.interval, else
// the default.
func auditInterval(cmd *cobra.Command, f serveFlags, srv *webhook.Server) time.Duration {
	if cmd.Flags().Changed("audit-interval") {
		return f.auditInterval
	}
	if d := srv.Policy().Config.Audit.Interval; d != nil {
		return time.Duration(*d)
	}
	return webhook.DefaultAuditInterval
}

// startBackgroundAudit starts the background audit in its own goroutine when it is on and serve
// has a cluster connection (cfg, nil without); otherwise it says why it is off.
func startBackgroundAudit(ctx context.Context, cmd *cobra.Command, f serveFlags, srv *webhook.Server, cfg *rest.Config, logger *slog.Logger) error {
	interval := auditInterval(cmd, f, srv)
	if interval < 0 {
		return fmt.Errorf("--audit-interval: %s is negative (0 turns the audit off)", interval)
	}
	if interval == 0 {
		logger.Info("background audit off (interval 0)")
		return nil
	}
	if cfg == nil || f.namespace == "" {
		logger.Info("background audit off: it needs a cluster connection (a pod, or --kubeconfig) and --namespace (or $POD_NAMESPACE) for its Lease")
		return nil
	}
	go func() {
		if err := srv.StartAudit(ctx, webhook.AuditOptions{Config: cfg, Interval: interval, LeaseNamespace: f.namespace}); err != nil {
			logger.Error("background audit not started", "error", err)
		}
	}()
	return nil
}
