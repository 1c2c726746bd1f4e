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
	tests := []struct {
		dir  string
		want []string
	}{
		// No origin annotations: the source is the build itself.
		{base, []string{"image-latest-tag ../testdata/inputs/kustomize/base:13 (kustomize build " + base + ")"}},
		// buildMetadata: [originAnnotations]: the source is the file the CronJob came from.
		{overlay, []string{
			"cron-schedule-never-runs ../testdata/inputs/kustomize/overlay:20 (" + filepath.Join(base, "cronjob.yaml") + ")",
			"image-latest-tag ../testdata/inputs/kustomize/overlay:17 (" + filepath.Join(base, "cronjob.yaml") + ")",
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
}

func TestBuildKustomizationError(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n  - missing.yaml\n"), 0o644)
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
