package lint

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/policies"
)

const commented = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: restart
# jobguard:ignore cron-missing-deadline,job-missing-active-deadline the controller is never down that long
spec:
  schedule: "0 */2 * * *"
  # jobguard:ignore cron-concurrency-unset runs are short and idempotent
  concurrencyPolicy: null
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            # jobguard:ignore image-latest-tag
            - name: kubectl
              image: bitnami/kubectl:latest
            - name: other
              image: busybox
`

func lintString(t *testing.T, src string, opts ...Option) *Report {
	t.Helper()
	file := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	report, err := New(engine, opts...).Lint(context.Background(), []string{file})
	if err != nil {
		t.Fatal(err)
	}
	return report
}

func TestIgnoreComments(t *testing.T) {
	report := lintString(t, commented)
	var got []string
	for _, f := range report.Findings {
		got = append(got, f.Rule+"@"+f.Path.String())
	}
	// concurrencyPolicy: null is absent to the rules; the comment above it names the rule.
	want := "job-containers-run-concurrently@spec.jobTemplate.spec.template.spec.containers,image-latest-tag@spec.jobTemplate.spec.template.spec.containers[1].image"
	if strings.Join(got, ",") != want {
		t.Errorf("findings = %v\nwant %s", got, want)
	}
	var reasons []string
	for _, s := range report.Suppressed {
		reasons = append(reasons, s.Finding.Rule+":"+s.Reason)
	}
	want = "cron-concurrency-unset:runs are short and idempotent|cron-missing-deadline:the controller is never down that long|image-latest-tag:|job-missing-active-deadline:the controller is never down that long"
	slices.Sort(reasons)
	if strings.Join(reasons, "|") != want {
		t.Errorf("suppressed = %v", reasons)
	}
}

func TestIgnoreCommentsRequireReasons(t *testing.T) {
	report := lintString(t, commented, WithRequireReasons(true))
	for _, f := range report.Findings {
		if f.Rule == "image-latest-tag" && f.Path[len(f.Path)-2] == 0 {
			if !strings.Contains(f.Message, "gives no reason") {
				t.Errorf("message = %q", f.Message)
			}
			return
		}
	}
	t.Error("an ignore comment without a reason still exempted the finding")
}

// TestSuppressedIsSorted: suppressions come in the findings' order, whichever object's
// evaluation finished first.
func TestSuppressedIsSorted(t *testing.T) {
	dir := t.TempDir()
	for i := range 8 {
		if err := os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".yaml"), []byte(commented+"---\n"+commented), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		report, err := New(engine, WithWorkers(4)).Lint(context.Background(), []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(report.Suppressed); n != 8*2*4 {
			t.Fatalf("%d suppressions, want %d", n, 8*2*4)
		}
		if !slices.IsSortedFunc(report.Suppressed, func(a, b Suppression) int { return policies.CompareFindings(a.Finding, b.Finding) }) {
			t.Fatalf("suppressions are not in the findings' order: first %s:%d, last %s:%d", report.Suppressed[0].Finding.Position.File,
				report.Suppressed[0].Finding.Position.Line, report.Suppressed[len(report.Suppressed)-1].Finding.Position.File,
				report.Suppressed[len(report.Suppressed)-1].Finding.Position.Line)
		}
	}
}
