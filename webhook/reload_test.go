package webhook_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/jobguard/jobguard/config"
	"github.com/jobguard/jobguard/webhook"
)

func TestReloader(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".jobguard.yaml")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("webhook:\n  mode: enforce\n")
	var logs bytes.Buffer
	s, err := webhook.New(webhook.Options{ConfigFile: path, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Reloader()
	job := fixture(t, "job-missing-ttl/bad.yaml", "Job", "reindex") // a warning-severity finding
	denied := func() bool { return !s.Validator().Handle(ctx, request(t, admissionv1.Create, job)).Allowed }
	mode := func() config.Mode { return s.Policy().Config.Webhook.Mode }
	reloads := func(result string) float64 { return testutil.ToFloat64(s.Metrics().Reloads.WithLabelValues(result)) }

	if !denied() {
		t.Fatal("webhook.mode enforce: the Job was allowed")
	}
	if reloaded, err := r.Check(); reloaded || err != nil {
		t.Errorf("unchanged file: reloaded=%v err=%v", reloaded, err)
	}

	write("webhook:\n  mode: warn\n")
	if reloaded, err := r.Check(); !reloaded || err != nil {
		t.Fatalf("changed file: reloaded=%v err=%v", reloaded, err)
	}
	if denied() {
		t.Error("after reloading mode warn, the Job is still denied")
	}

	for name, bad := range map[string]string{
		"bad YAML":     "webhook: [\n",
		"unknown rule": "rules:\n  no-such-rule:\n    enabled: false\n",
	} {
		write(bad)
		logs.Reset()
		if reloaded, err := r.Check(); reloaded || err == nil {
			t.Errorf("%s: reloaded=%v err=%v, want an error", name, reloaded, err)
		}
		if mode() != config.ModeWarn {
			t.Errorf("%s: the last good configuration was replaced", name)
		}
		if !strings.Contains(logs.String(), "keeping the last good one") || !strings.Contains(logs.String(), path) {
			t.Errorf("%s: log does not say why:\n%s", name, logs.String())
		}
		logs.Reset()
		if _, err := r.Check(); err != nil || logs.Len() > 0 {
			t.Errorf("%s: checking the same bad content again: err=%v, log %q; want nothing new", name, err, logs.String())
		}
	}
	if got := reloads("failure"); got != 2 {
		t.Errorf("jobguard_config_reloads_total{failure} = %v, want 2", got)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	logs.Reset()
	for range 3 {
		if _, err := r.Check(); err == nil {
			t.Error("a missing file is not an error")
		}
	}
	if n := strings.Count(logs.String(), "cannot read the configuration"); n != 1 {
		t.Errorf("a missing file was logged %d times, want once:\n%s", n, logs.String())
	}

	write("webhook:\n  mode: audit\n")
	if reloaded, err := r.Check(); !reloaded || err != nil || mode() != config.ModeAudit {
		t.Errorf("restored file: reloaded=%v err=%v mode=%s", reloaded, err, mode())
	}
	if got := reloads("success"); got != 2 {
		t.Errorf("jobguard_config_reloads_total{success} = %v, want 2", got)
	}
}

func TestReloaderStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".jobguard.yaml")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := webhook.New(webhook.Options{ConfigFile: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	r := webhook.NewReloader(path, s, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Start(ctx) }()

	if err := os.WriteFile(path, []byte("webhook:\n  excludedNamespaces: [kube-system]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !s.Policy().Config.NamespaceExcluded("kube-system") {
		if time.Now().After(deadline) {
			t.Fatal("the change was not picked up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Start returned %v", err)
	}
}
