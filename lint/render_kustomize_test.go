package lint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/kustomize/api/resource"
)

func TestBuildKustomization(t *testing.T) {
	base := filepath.Join(inputs, "kustomize", "base")
	overlay := filepath.Join(inputs, "kustomize", "overlay")
	staging := filepath.Join(inputs, "kustomize", "staging")
	resource := filepath.Join(base, "cronjob.yaml")
	tests := []struct {
		dir  string
		want []string
	}{
		// The resource itself: its own file and line.
		{base, []string{"image-latest-tag ../testdata/inputs/kustomize/base/cronjob.yaml:18:15 ()"}},
		// Each field where it was written: a component's inline patch, a JSON 6902 patch, a
		// strategic-merge patch, the base; the object's resource file in parentheses.
		{overlay, []string{
			"cron-history-disabled ../testdata/inputs/kustomize/components/history/kustomization.yaml:14:9 (" + resource + ")",
			"cron-missing-deadline ../testdata/inputs/kustomize/overlay/deadline.yaml:4:3 (" + resource + ")",
			"cron-schedule-never-runs ../testdata/inputs/kustomize/overlay/schedule.yaml:7:3 (" + resource + ")",
			"image-latest-tag ../testdata/inputs/kustomize/base/cronjob.yaml:18:15 ()",
		}},
		// namespace: written by the kustomization; an inline JSON 6902 patch.
		{staging, []string{
			"image-latest-tag ../testdata/inputs/kustomize/staging/kustomization.yaml:14:9 (" + resource + ")",
			"invalid-name ../testdata/inputs/kustomize/staging/kustomization.yaml:4:1 (" + resource + ")",
		}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.dir), func(t *testing.T) {
			report := lintPaths(t, []string{tt.dir})
			if len(report.InputErrors) > 0 {
				t.Fatal(report.InputErrors)
			}
			if got := placed(report.Findings); !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestBuildKustomizationAppliesTheOverlay(t *testing.T) {
	objs, _, errs := buildKustomization(filepath.Join(inputs, "kustomize", "overlay"))
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("objects %d, errors %v", len(objs), errs)
	}
	schedule, err := objs[0].Value.Find(ast.MustParseRef("x.spec.schedule")[1:])
	if err != nil || schedule.String() != `"0 3 30 2 *"` {
		t.Errorf("schedule = %v (%v), want the overlay's", schedule, err)
	}
	// The origin and transformer annotations jobguard asks kustomize for are not linted.
	if a, err := objs[0].Value.Find(ast.MustParseRef("x.metadata.annotations")[1:]); err == nil {
		t.Errorf("annotations the kustomization did not ask for: %v", a)
	}
}

// TestBuildKustomizationKeepsAskedAnnotations: a kustomization that asks for origin annotations
// still gets them, and only them.
func TestBuildKustomizationKeepsAskedAnnotations(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("buildMetadata: [originAnnotations]\nnamespace: x\nresources: [job.yaml]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, _, errs := buildKustomization(dir)
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("objects %d, errors %v", len(objs), errs)
	}
	a, err := objs[0].Value.Find(ast.MustParseRef("x.metadata.annotations")[1:])
	if err != nil || a.(ast.Object).Len() != 1 || a.(ast.Object).Get(ast.StringTerm("config.kubernetes.io/origin")) == nil {
		t.Errorf("annotations = %v, want the origin only", a)
	}
}

func TestBuildKustomizationError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n  - missing.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	report := lintPaths(t, []string{dir})
	if len(report.InputErrors) != 1 {
		t.Fatalf("input errors = %v, want one", report.InputErrors)
	}
	e := report.InputErrors[0]
	if e.File != dir || !strings.Contains(e.Message, "kustomize build failed") || !strings.Contains(e.Message, "missing.yaml") {
		t.Errorf("error = %v", e)
	}
}

func TestKustomizeOriginFile(t *testing.T) {
	dir := filepath.Join("deploy", "prod")
	tests := []struct {
		origin *resource.Origin
		want   string
	}{
		{&resource.Origin{Path: "../base/job.yaml"}, filepath.Join("deploy", "base", "job.yaml")},
		{&resource.Origin{Path: "job.yaml", Repo: "https://github.com/example/k8s", Ref: "v1"}, "https://github.com/example/k8s//job.yaml?ref=v1"},
		{&resource.Origin{ConfiguredIn: "kustomization.yaml"}, filepath.Join(dir, "kustomization.yaml")},
		{nil, ""},
	}
	for _, tt := range tests {
		p := &kustomizePlacer{pos: newKustomizePositions(dir), origin: tt.origin}
		if got := p.originFile(); got != tt.want {
			t.Errorf("originFile(%+v) = %q, want %q", tt.origin, got, tt.want)
		}
	}
}
