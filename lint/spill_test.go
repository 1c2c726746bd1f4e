package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/internal/benchcorpus"
	"github.com/jobguard/jobguard/policies"
)

// TestSpilledFindingsAreTheSame: with findings kept on disk in runs of 7, EachFinding yields
// exactly the findings, in exactly the order, that a run holding them in memory reports: the
// fixtures, the seeds and a generated corpus (RBAC findings, fixes, paths of every shape).
// Reports are pure functions of the findings, so every output format prints the same.
func TestSpilledFindingsAreTheSame(t *testing.T) {
	corpus := t.TempDir()
	if _, err := benchcorpus.Write(corpus, 600, benchcorpus.Realistic); err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join("..", "testdata"), corpus}
	if corpus := filepath.Join("..", "..", "shared", "corpus"); exists(corpus) { // see TestCorpus
		paths = append(paths, corpus)
	}
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	inMemory, err := New(engine).Lint(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	spillDir := t.TempDir()
	l := New(engine, WithSpillDir(spillDir))
	l.spillAfter = 7
	spilled, err := l.Lint(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if spilled.Findings != nil || spilled.spilled == nil || len(spilled.spilled.runs) < 100 {
		t.Fatalf("the findings were not kept on disk (Findings %d, store %v)", len(spilled.Findings), spilled.spilled)
	}
	var read []policies.Finding
	if err := spilled.EachFinding(func(f policies.Finding) error { read = append(read, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(read) != len(inMemory.Findings) {
		t.Fatalf("read %d findings back, want %d", len(read), len(inMemory.Findings))
	}
	for i := range read {
		if !reflect.DeepEqual(read[i], inMemory.Findings[i]) {
			t.Fatalf("finding %d read back as\n%#v\nwant\n%#v", i, read[i], inMemory.Findings[i])
		}
	}
	if got, want := spilled.Count(), inMemory.Count(); got != want || want.Total != len(read) {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	t.Logf("%d findings in %d runs", len(read), len(spilled.spilled.runs))
	if left, _ := os.ReadDir(spillDir); runtime.GOOS != "windows" && len(left) != 0 {
		t.Errorf("the file of findings is still in the spill directory while open (%d files): a killed lint would leave it", len(left))
	}

	if err := spilled.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(spillDir); len(left) != 0 {
		t.Errorf("Close left %d files in the spill directory", len(left))
	}
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// TestSpillKeepsSmallRunsInMemory: under the threshold nothing is written and Findings holds
// the findings, as without WithSpillDir.
func TestSpillKeepsSmallRunsInMemory(t *testing.T) {
	dir := t.TempDir()
	report := lintString(t, commented, WithSpillDir(dir))
	if len(report.Findings) == 0 || report.spilled != nil {
		t.Fatalf("findings %d, spilled %v; want them in memory", len(report.Findings), report.spilled)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%d files written for a small run", len(left))
	}
}

// TestSpillDirUnwritable: a spill directory that cannot be written is an error that names it,
// not lost findings.
func TestSpillDirUnwritable(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	l := New(engine, WithSpillDir(missing))
	l.spillAfter = 1
	_, err = l.Lint(context.Background(), []string{filepath.Join("..", "testdata", "job-restart-policy", "bad.yaml")})
	if err == nil || !strings.Contains(err.Error(), "keeping findings on disk") || !strings.Contains(err.Error(), missing) {
		t.Errorf("Lint = %v, want an error naming the spill directory", err)
	}
}

// TestFindingStoreRoundTrip: what gob would change comes back as it went: an empty path (the
// whole object), a fix whose value is a nested map, list or null, a finding without a fix.
func TestFindingStoreRoundTrip(t *testing.T) {
	in := []policies.Finding{
		{Rule: "a", Severity: policies.SeverityError, Message: "whole object", Path: policies.FieldPath{},
			Position: policies.Position{File: "f.yaml", Line: 1, Column: 1}},
		{Rule: "b", Severity: policies.SeverityWarning, Message: "fix", Path: policies.FieldPath{"spec", 0, "x"},
			Position: policies.Position{File: "f.yaml", Line: 2, Column: 3},
			Fix:      &policies.Fix{Path: policies.FieldPath{}, Value: map[string]any{"a": []any{int64(1), 2.5, "x", nil, true}}, OptIn: true}},
		{Rule: "c", Severity: policies.SeverityInfo, Message: "null fix", Path: policies.FieldPath{"spec"},
			Position: policies.Position{File: "g.yaml", Line: 1, Column: 1, Source: "t.yaml"},
			Fix:      &policies.Fix{Path: policies.FieldPath{"spec", "ttl"}, Value: nil}},
	}
	s := &findingStore{dir: t.TempDir(), spillAfter: 1}
	defer s.close()
	for _, f := range []policies.Finding{in[2], in[0], in[1]} { // out of order: each run is one finding
		if err := s.add([]policies.Finding{f}); err != nil {
			t.Fatal(err)
		}
	}
	if fs, err := s.finish(); err != nil || fs != nil {
		t.Fatalf("finish = %v, %v; want the findings on disk", fs, err)
	}
	var out []policies.Finding
	if err := s.each(func(f policies.Finding) error { out = append(out, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("read back\n%#v\nwant\n%#v", out, in)
	}
}

// TestRetainedMemoryDoesNotGrowWithTheInput: with WithSpillDir, what a finished lint keeps does
// not grow with the number of objects: 2,000 and 8,000 Jobs (three findings each) leave the same
// heap behind (after a first run that fills what is allocated once), where holding their
// findings would take about 1.1 KB per Job.
func TestRetainedMemoryDoesNotGrowWithTheInput(t *testing.T) {
	if testing.Short() {
		t.Skip("lints 10,000 Jobs")
	}
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	retained := func(jobs int) (int64, *Report) {
		dir := t.TempDir()
		var b strings.Builder
		for i := range jobs {
			fmt.Fprintf(&b, "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: job-%d\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: \"busybox:1.36\"}]\n", i)
			if (i+1)%500 == 0 {
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.yaml", i)), []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				b.Reset()
			}
		}
		l := New(engine, WithSpillDir(t.TempDir()))
		l.spillAfter = 1000
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		report, err := l.Lint(context.Background(), []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		t.Cleanup(func() { report.Close() })
		return int64(after.HeapAlloc) - int64(before.HeapAlloc), report
	}
	retained(2000) // warm up: the engine's caches and pools, the runtime's own
	small, smallReport := retained(2000)
	large, largeReport := retained(8000)
	if c := largeReport.Count(); c.Total < 3*8000 || smallReport.Count().Total < 3*2000 {
		t.Fatalf("%d and %d findings, want at least three per Job", smallReport.Count().Total, c.Total)
	}
	perJob := float64(large-small) / 6000
	t.Logf("heap kept after the lint: %d KB for 2,000 Jobs, %d KB for 8,000: %.0f bytes per Job", small>>10, large>>10, perJob)
	if perJob > 200 {
		t.Errorf("the heap kept after the lint grows by %.0f bytes per Job, want under 200 (findings are on disk)", perJob)
	}
}
