package lint

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/policies"
)

var update = flag.Bool("update", false, "rewrite golden files")

func all(policies.Finding) bool { return true }

func optOut(f policies.Finding) bool { return !f.Fix.OptIn }

// TestFixGolden writes the defaults into a commented manifest: the result is pinned byte for
// byte, every original line survives unchanged and in order, and a second run changes nothing.
func TestFixGolden(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	l := New(engine)
	const in, golden = "testdata/fix/commented.yaml", "testdata/fix/commented.fixed.yaml"
	src, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	// Opted in to every fix: the golden file shows each kind of insertion.
	out, changes, errs := l.Fix(context.Background(), in, src, all)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "flow-style") {
		t.Errorf("errors = %v, want one about the flow-style spec", errs)
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.String())
	}
	want := []string{
		"testdata/fix/commented.yaml:8: set spec.startingDeadlineSeconds=300 (cron-missing-deadline)",
		"testdata/fix/commented.yaml:27: set spec.ttlSecondsAfterFinished=86400 (job-missing-ttl)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if *update {
		os.WriteFile(golden, out, 0o644)
	}
	if wantOut, err := os.ReadFile(golden); err != nil || string(out) != string(wantOut) {
		t.Errorf("fixed file differs from %s (go test ./lint -run TestFixGolden -update):\n%s", golden, out)
	}
	// Every original line is still there, in order: only lines were added.
	outLines := strings.Split(string(out), "\n")
	i := 0
	for _, line := range strings.Split(string(src), "\n") {
		for i < len(outLines) && outLines[i] != line {
			i++
		}
		if i == len(outLines) {
			t.Fatalf("original line %q lost or reordered", line)
		}
		i++
	}
	// Idempotent.
	again, changes, _ := l.Fix(context.Background(), in, out, all)
	if string(again) != string(out) || len(changes) != 0 {
		t.Errorf("a second run changed %d things:\n%s", len(changes), again)
	}
	// Without opting in, the opt-in startingDeadlineSeconds default is not written.
	if _, changes, _ := l.Fix(context.Background(), in, src, optOut); len(changes) != 1 || changes[0].Finding.Rule != "job-missing-ttl" {
		t.Errorf("without opting in, changes = %v, want only job-missing-ttl's", changes)
	}
	// The opt-in concurrencyPolicy default is written only when asked for.
	cron := []byte("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  schedule: \"@daily\"\n  startingDeadlineSeconds: 60\n" +
		"  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: \"busybox:1.36\"}]\n")
	if out, _, _ := l.Fix(context.Background(), "c.yaml", cron, optOut); strings.Contains(string(out), "concurrencyPolicy") {
		t.Errorf("opt-in fix applied without opting in:\n%s", out)
	}
	if out, _, _ := l.Fix(context.Background(), "c.yaml", cron, all); !strings.Contains(string(out), "spec:\n  concurrencyPolicy: Forbid\n  schedule:") {
		t.Errorf("opt-in fix not applied when asked:\n%s", out)
	}
}
