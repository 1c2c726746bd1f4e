package lint_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// TestReportCountsCheckedAndSkipped: Objects counts the objects some rule checks, Skipped the
// documents and objects nothing checks, so that a run that checked nothing can say so.
func TestReportCountsCheckedAndSkipped(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"job.yaml":      "apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
		"rbac.yaml":     "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: Role\n  metadata: {name: r}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n",
		"values.yaml":   "image: {tag: latest}\n",
		"comments.yaml": "# nothing here\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	var progress lint.Progress
	report, err := lint.New(engine, lint.WithProgress(&progress), lint.WithCheckedObjects(true)).Lint(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	defer report.Close()
	if report.Files != 4 || report.Objects != 2 || report.Skipped != 3 || len(report.InputErrors) > 0 {
		t.Errorf("files %d, objects %d, skipped %d, input errors %v; want 4, 2 (the Job, the Role), 3 (ConfigMap, Service, values file), none",
			report.Files, report.Objects, report.Skipped, report.InputErrors)
	}
	// Checked (JUnit's testcases) lists what Objects counts: not the ConfigMap and the Service.
	var checked []string
	for _, c := range report.Checked {
		checked = append(checked, c.Object.Kind+" "+c.Object.Name)
	}
	if got := strings.Join(checked, ", "); got != "Job a, Role r" {
		t.Errorf("checked objects: %s; want Job a, Role r", got)
	}
	if progress.Files.Load() != 4 || progress.FilesRead.Load() != 4 || progress.Evaluated.Load() != 4 {
		t.Errorf("progress: %d/%d files read, %d objects evaluated; want 4/4 and 4", progress.FilesRead.Load(), progress.Files.Load(), progress.Evaluated.Load())
	}
}

// TestReportOrderDoesNotDependOnEvaluation: the objects of several kustomizations rendered from
// one base file share its positions and are evaluated in any order; the report lists them the
// same way every run (JUnit's testcases are a CI job's artifacts, compared between runs).
func TestReportOrderDoesNotDependOnEvaluation(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	var first []string
	for run := range 8 {
		report, err := lint.New(engine, lint.WithWorkers(4), lint.WithCheckedObjects(true)).Lint(context.Background(), []string{"../testdata/inputs/kustomize"})
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, c := range report.Checked {
			order = append(order, fmt.Sprintf("%s:%d:%d %s", c.Position.File, c.Position.Line, c.Position.Column, c.Object))
		}
		if !slices.IsSorted(order) {
			t.Fatalf("run %d: checked objects not in order of position, then name:\n%s", run, strings.Join(order, "\n"))
		}
		if run == 0 {
			first = order
			if !hasSharedPosition(report.Checked) {
				t.Fatalf("no two checked objects share a position; the test needs kustomizations of one base: %v", order)
			}
		} else if !slices.Equal(order, first) {
			t.Fatalf("run %d listed the checked objects as\n%s\nrun 0 as\n%s", run, strings.Join(order, "\n"), strings.Join(first, "\n"))
		}
	}
}

func hasSharedPosition(checked []lint.CheckedObject) bool {
	seen := map[policies.Position]bool{}
	for _, c := range checked {
		if seen[c.Position] {
			return true
		}
		seen[c.Position] = true
	}
	return false
}
