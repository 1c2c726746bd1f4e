package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/webhook"
)

// TestAuditInterval: --audit-interval wins over the configuration's audit.interval, which wins
// over the 10-minute default; 0 from either turns the audit off.
func TestAuditInterval(t *testing.T) {
	for _, c := range []struct {
		name   string
		config string
		args   []string
		want   time.Duration
	}{
		{"default", "", nil, 10 * time.Minute},
		{"config", "audit:\n  interval: 90s\n", nil, 90 * time.Second},
		{"config off", "audit:\n  interval: 0\n", nil, 0},
		{"flag over config", "audit:\n  interval: 90s\n", []string{"--audit-interval=30s"}, 30 * time.Second},
		{"flag off over config", "audit:\n  interval: 90s\n", []string{"--audit-interval=0"}, 0},
		{"flag without config", "", []string{"--audit-interval=2m"}, 2 * time.Minute},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), ".jobguard.yaml")
			if err := os.WriteFile(file, []byte(c.config), 0o644); err != nil {
				t.Fatal(err)
			}
			srv, err := webhook.New(webhook.Options{ConfigFile: file, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			var f serveFlags
			cmd := &cobra.Command{}
			addAuditFlags(cmd.Flags(), &f)
			if err := cmd.Flags().Parse(c.args); err != nil {
				t.Fatal(err)
			}
			if got := auditInterval(cmd, f, srv); got != c.want {
				t.Errorf("auditInterval = %s, want %s", got, c.want)
			}
		})
	}
}
