package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jobguard/jobguard/policies"
)

// inputs holds the chart, the kustomizations and the helm template stream the render tests use.
var inputs = filepath.Join("..", "testdata", "inputs")

var (
	sharedEngine     *policies.Engine
	sharedEngineErr  error
	sharedEngineOnce sync.Once
)

// lintPaths lints paths with the built-in rules.
func lintPaths(t *testing.T, paths []string, opts ...Option) *Report {
	t.Helper()
	sharedEngineOnce.Do(func() { sharedEngine, sharedEngineErr = policies.New() })
	if sharedEngineErr != nil {
		t.Fatal(sharedEngineErr)
	}
	report, err := New(sharedEngine, opts...).Lint(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return report
}

// placed lists findings as "rule file:line (source)", sorted, for comparing reports.
func placed(findings []policies.Finding) []string {
	var out []string
	for _, f := range findings {
		out = append(out, fmt.Sprintf("%s %s:%d:%d (%s)", f.Rule, filepath.ToSlash(f.Position.File), f.Position.Line, f.Position.Column, f.Position.Source))
	}
	slices.Sort(out)
	return out
}

func TestSourceComment(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"---\n# Source: mychart/templates/cronjob.yaml\napiVersion: batch/v1\n", "mychart/templates/cronjob.yaml"},
		{"# Source: mychart/templates/job.yaml\nkind: Job\n", "mychart/templates/job.yaml"},
		{"\n# a note first\n\n#   Source: no, not this spelling\n# Source:   c/templates/x.yaml  \r\nkind: Job\n", "c/templates/x.yaml"},
		// Only the comments that open a document count.
		{"apiVersion: v1\n# Source: late/templates/x.yaml\nkind: ConfigMap\n", ""},
		{"kind: Job\n", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := sourceComment([]byte(tt.doc)); got != tt.want {
			t.Errorf("sourceComment(%q) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}

func TestDecodeRecordsSourcePerDocument(t *testing.T) {
	src := `# Source: app/templates/list.yaml
apiVersion: v1
kind: List
items:
  - {apiVersion: batch/v1, kind: Job, metadata: {name: a}}
  - {apiVersion: batch/v1, kind: Job, metadata: {name: b}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: c}
---
# Source: app/templates/d.yaml
apiVersion: batch/v1
kind: Job
metadata: {name: d}
`
	objs, errs := Decode(StdinName, []byte(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, o := range objs {
		got = append(got, policies.ObjectRefOf(o.Value).Name+"="+o.Source)
	}
	if want := "a=app/templates/list.yaml b=app/templates/list.yaml c= d=app/templates/d.yaml"; strings.Join(got, " ") != want {
		t.Errorf("sources = %s, want %s", strings.Join(got, " "), want)
	}
}

// TestLintHelmTemplateStream reads a helm template stream from standard input: each finding is
// at its line in the stream and names the template of its document.
func TestLintHelmTemplateStream(t *testing.T) {
	stream, err := os.Open(filepath.Join(inputs, "helm-template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	report := lintPaths(t, []string{StdinName}, WithStdin(stream), WithCheckedObjects(true))
	want := []string{
		"job-missing-ttl -:39:1 (reports/charts/worker/templates/job.yaml)",
		"job-restart-policy -:27:11 (reports/templates/cronjob.yaml)",
	}
	if got := placed(report.Findings); !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var checked []string
	for _, c := range report.Checked {
		checked = append(checked, c.Object.Kind+"="+c.Position.Source)
	}
	// The ServiceAccount is skipped (no rule checks its kind), so it is not among the checked.
	if want := "CronJob=reports/templates/cronjob.yaml Job=reports/charts/worker/templates/job.yaml"; strings.Join(checked, " ") != want {
		t.Errorf("checked = %s, want %s", strings.Join(checked, " "), want)
	}
}

// TestFilesRendersChartsAndKustomizations: a walk hands chart directories and kustomizations over
// whole (their templates and patches are not manifests), and everything else file by file.
func TestFilesRendersChartsAndKustomizations(t *testing.T) {
	files, errs := Files([]string{inputs})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, f := range files {
		rel, _ := filepath.Rel(inputs, f)
		got = append(got, filepath.ToSlash(rel)+"="+renderKind(f))
	}
	want := []string{"chart=helm", "chart-jobs=helm", "helm-template.yaml=", "kustomize/base=kustomize",
		"kustomize/components/history=kustomize", "kustomize/overlay=kustomize", "kustomize/staging=kustomize"}
	if !slices.Equal(got, want) {
		t.Errorf("Files = %v, want %v", got, want)
	}
	// Named directly, a chart or a kustomization is one input too.
	for _, dir := range []string{"chart", "kustomize/overlay"} {
		p := filepath.Join(inputs, dir)
		if files, _ := Files([]string{p}); !slices.Equal(files, []string{p}) {
			t.Errorf("Files(%s) = %v, want the directory itself", p, files)
		}
	}
}

// TestFilesLeavesOutPatches: a file a kustomization lists as a patch holds only the fields it
// changes; named or walked, it is linted with its kustomization, not as an object.
func TestFilesLeavesOutPatches(t *testing.T) {
	overlay := filepath.Join(inputs, "kustomize", "overlay")
	base := filepath.Join(inputs, "kustomize", "base", "cronjob.yaml")
	patches := []string{filepath.Join(overlay, "schedule.yaml"), filepath.Join(overlay, "deadline.yaml")}
	files, errs := Files(append(slices.Clone(patches), base))
	if len(errs) > 0 || !slices.Equal(files, []string{base}) {
		t.Errorf("Files = %v (%v), want only %s", files, errs, base)
	}
	// A copy of the patch that no kustomization lists is a manifest like any other.
	dir := t.TempDir()
	data, err := os.ReadFile(patches[0])
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(dir, "schedule.yaml")
	if err := os.WriteFile(copied, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if files, _ := Files([]string{dir}); !slices.Equal(files, []string{copied}) {
		t.Errorf("Files = %v, want %s", files, copied)
	}
}

// TestReadRendersDirectories: Read, for callers other than Linter, renders what Files returns.
func TestReadRendersDirectories(t *testing.T) {
	objs, errs := Read(filepath.Join(inputs, "chart"), nil, RenderOptions{Namespace: "batch"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, o := range objs {
		got = append(got, policies.ObjectRefOf(o.Value).String())
	}
	want := "Job release-name-worker-migrate,CronJob batch/release-name-reports-nightly,ServiceAccount batch/release-name-reports"
	if strings.Join(got, ",") != want {
		t.Errorf("objects = %s, want %s", strings.Join(got, ","), want)
	}
}

// TestLintHelmTemplateStreamFromChartDirectory: without --chart, a `# Source:` template is looked
// up relative to the current directory (helm template ./reports, linted from where it ran); the
// finding keeps its line in the stream and gets the template line it maps to, and the values line.
func TestLintHelmTemplateStreamFromChartDirectory(t *testing.T) {
	stream, err := os.ReadFile(filepath.Join(inputs, "helm-template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	// The stream names its templates reports/...: the chart's name, here its directory's too.
	if err := os.CopyFS(filepath.Join(work, "reports"), os.DirFS(filepath.Join(inputs, "chart"))); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	report := lintPaths(t, []string{StdinName}, WithStdin(strings.NewReader(string(stream))))
	var got []string
	for _, f := range report.Findings {
		s := fmt.Sprintf("%s %s", f.Rule, f.Position)
		for _, r := range f.Related {
			s += fmt.Sprintf(" [%s %s]", r.Role, r.Position)
		}
		got = append(got, s)
	}
	slices.Sort(got)
	want := []string{
		"job-missing-ttl -:39:1 [template " + filepath.Join("reports", "charts", "worker", "templates", "job.yaml") + ":7:1]",
		"job-restart-policy -:27:11 [template " + filepath.Join("reports", "templates", "cronjob.yaml") + ":17:11] [values " +
			filepath.Join("reports", "values.yaml") + ":3:1]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
