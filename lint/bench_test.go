package lint_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/benchcorpus"
	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// writeCorpus writes n objects of BenchmarkLint's corpus (benchcorpus.Thirds) and returns the directory.
func writeCorpus(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	if _, err := benchcorpus.Write(dir, n, benchcorpus.Thirds); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkLint lints a generated corpus with every built-in rule on, reading and parsing
// included, and reports objects per second.
func BenchmarkLint(b *testing.B) {
	for _, n := range []int{3000} {
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) {
			dir := writeCorpus(b, n)
			engine, err := policies.New()
			if err != nil {
				b.Fatal(err)
			}
			linter := lint.New(engine)
			defer debug.SetGCPercent(debug.SetGCPercent(400)) // as cmd/jobguard runs
			b.ResetTimer()
			for b.Loop() {
				report, err := linter.Lint(context.Background(), []string{dir})
				if err != nil {
					b.Fatal(err)
				}
				if report.Objects != n || len(report.InputErrors) > 0 {
					b.Fatalf("linted %d objects with %d input errors, want %d and none", report.Objects, len(report.InputErrors), n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// BenchmarkDecode and BenchmarkEvaluate split BenchmarkLint's time between reading and rules.
func BenchmarkDecode(b *testing.B) {
	data := []byte(benchcorpus.Sample("CronJob"))
	for b.Loop() {
		if _, errs := lint.Decode("f.yaml", data); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	engine, err := policies.New()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"CronJob", "Job", "Role"} {
		objs, _ := lint.Decode("f.yaml", []byte(benchcorpus.Sample(name)))
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := engine.Evaluate(context.Background(), objs[0].Value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPreCommit is a pre-commit run on one file: compiling the rules included, as the
// CLI does on every start.
func BenchmarkPreCommit(b *testing.B) {
	file := filepath.Join("..", "testdata", "seeds", "000-restart-cronjob.yaml")
	for b.Loop() {
		engine, err := policies.New()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := lint.New(engine).Lint(context.Background(), []string{file}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLintList lints one List of Roles, as `kubectl get roles -A -o yaml` writes them: the
// time per object must not grow with the List (it grew with its length before a List was decoded once
// for all its waiting objects: 2,000 Roles took 102 s).
func BenchmarkLintList(b *testing.B) {
	engine, err := policies.New()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{500, 2000} {
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) {
			var doc strings.Builder
			doc.WriteString("apiVersion: v1\nkind: List\nitems:\n")
			for i := range n {
				fmt.Fprintf(&doc, "- {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r%d, namespace: ns%d}, rules: [{apiGroups: [\"\"], resources: [pods], verbs: [get, list]}]}\n", i, i%10)
			}
			file := filepath.Join(b.TempDir(), "roles.yaml")
			if err := os.WriteFile(file, []byte(doc.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				report, err := lint.New(engine).Lint(context.Background(), []string{file})
				if err != nil || report.Objects != n {
					b.Fatalf("linted %d objects (%v), want %d", report.Objects, err, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n*b.N), "µs/object")
		})
	}
}
