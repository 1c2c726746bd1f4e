package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jobguard/jobguard/policies"
)

const sample = `# every key, as README.md documents them
kubeVersion: "1.30"
rules:
  image-latest-tag:
    enabled: false
  job-missing-ttl:
    severity: info
    params:
      ttlSecondsAfterFinished: 3600
  cron-missing-deadline:
    mode: enforce
lint:
  ignorePaths: ["vendor/**", "charts/*/templates/tests/*.yaml"]
  failOn: warning
webhook:
  mode: warn
  updates: all
  excludedNamespaces: [kube-system]
  mutation:
    optIn: [cron-concurrency-unset]
audit:
  interval: 30m
`

func TestParse(t *testing.T) {
	c, err := Parse("j.yaml", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	engine, err := c.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	if engine.Enabled("image-latest-tag") || !engine.Enabled("job-missing-ttl") {
		t.Error("image-latest-tag should be disabled and job-missing-ttl enabled")
	}
	if got := c.ModeFor("cron-missing-deadline", policies.SeverityWarning); got != ModeEnforce {
		t.Errorf("rule mode = %s, want enforce", got)
	}
	if got := c.ModeFor("job-restart-policy", policies.SeverityError); got != ModeWarn {
		t.Errorf("global mode = %s, want warn", got)
	}
	if c.JudgeChangesOnly() {
		t.Error("webhook.updates: all should judge whole objects")
	}
	if !c.NamespaceExcluded("kube-system") || c.NamespaceExcluded("default") {
		t.Error("excludedNamespaces not honoured")
	}
	if !c.ApplyFix(policies.Finding{Rule: "cron-concurrency-unset", Fix: &policies.Fix{OptIn: true}}) ||
		c.ApplyFix(policies.Finding{Rule: "other", Fix: &policies.Fix{OptIn: true}}) ||
		!c.ApplyFix(policies.Finding{Rule: "job-missing-ttl", Fix: &policies.Fix{}}) {
		t.Error("opt-in fixes not honoured")
	}
}

func TestDefaults(t *testing.T) {
	var c Config
	for sev, want := range map[policies.Severity]Mode{
		policies.SeverityError: ModeEnforce, policies.SeverityWarning: ModeWarn, policies.SeverityInfo: ModeAudit,
	} {
		if got := c.ModeFor("any", sev); got != want {
			t.Errorf("%s: mode %s, want %s", sev, got, want)
		}
	}
	if !c.MutationEnabled() {
		t.Error("mutation should default to enabled")
	}
	if !c.JudgeChangesOnly() {
		t.Error("webhook.updates should default to changes")
	}
	if c, err := Parse("empty.yaml", nil); err != nil || c == nil {
		t.Errorf("empty file: %v", err)
	}
}

func TestErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown top-level key", "kubeVersion: \"1.36\"\nrulez: {}\n", []string{"j.yaml", "line 2", `unknown key rulez`}},
		{"unknown nested key", "lint:\n  failOn: error\n  ignore: [x]\n", []string{"line 3", "unknown key ignore"}},
		{"bad severity", "rules:\n  job-missing-ttl:\n    severity: fatal\n", []string{"j.yaml:2", "rules.job-missing-ttl.severity", "unknown severity"}},
		{"bad mode", "rules:\n  job-missing-ttl:\n    mode: block\n", []string{"j.yaml:2", "unknown mode"}},
		{"bad version", "kubeVersion: latest\n", []string{"kubeVersion"}},
		{"bad updates", "webhook:\n  updates: some\n", []string{"j.yaml", "webhook.updates", `"some"`, "changes, all"}},
		{"not YAML", "rules: [\n", []string{"not valid YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("j.yaml", []byte(tt.src))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestUnknownRuleNamesLine(t *testing.T) {
	c, err := Parse("j.yaml", []byte("rules:\n  job-missing-ttl: {}\n  no-such-rule:\n    enabled: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.NewEngine()
	if err == nil || !strings.Contains(err.Error(), "j.yaml") {
		t.Fatalf("error %v does not name the file", err)
	}
	c, _ = Parse("j.yaml", []byte("rules:\n  job-missing-ttl: {}\n  no-such-rule: {}\n"))
	if _, err = c.NewEngine(); err == nil || !strings.Contains(err.Error(), "j.yaml:3: rules.no-such-rule: no such rule") {
		t.Fatalf("error %v", err)
	}
}

func TestFindWalksUp(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := Find(deep); got != "" {
		t.Fatalf("found %s in an empty tree", got)
	}
	if err := os.WriteFile(filepath.Join(root, ".jobguard.yaml"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := Find(deep); got != filepath.Join(root, ".jobguard.yaml") {
		t.Errorf("Find = %q", got)
	}
}

func TestIgnored(t *testing.T) {
	root := t.TempDir()
	c, _ := Parse(filepath.Join(root, ".jobguard.yaml"), []byte("lint:\n  ignorePaths: [\"vendor/**\", \"charts/*/tests/*.yaml\"]\n"))
	for path, want := range map[string]bool{
		"vendor/x/y/job.yaml":         true,
		"vendor/job.yaml":             true,
		"charts/app/tests/t.yaml":     true,
		"charts/app/templates/j.yaml": false,
		"jobs/cron.yaml":              false,
	} {
		if got := c.Ignored(filepath.Join(root, path)); got != want {
			t.Errorf("Ignored(%s) = %v, want %v", path, got, want)
		}
	}
}

func TestAuditInterval(t *testing.T) {
	c, err := Parse("x.yaml", []byte("audit:\n  interval: 90s\n"))
	if err != nil || c.Audit.Interval == nil || time.Duration(*c.Audit.Interval) != 90*time.Second {
		t.Fatalf("audit.interval 90s: %v, %v", c, err)
	}
	if c, err := Parse("x.yaml", []byte("audit:\n  interval: 0\n")); err != nil || c.Audit.Interval == nil || *c.Audit.Interval != 0 {
		t.Errorf("audit.interval 0 turns the audit off: %v", err)
	}
	if _, err := Parse("x.yaml", []byte("audit:\n  interval: -1m\n")); err == nil || !strings.Contains(err.Error(), "audit.interval") {
		t.Errorf("a negative interval: %v", err)
	}
	if _, err := Parse("x.yaml", []byte("audit:\n  interval: often\n")); err == nil {
		t.Error("an interval that is no duration is an error")
	}
}
