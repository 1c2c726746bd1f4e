package lint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
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

func TestKustomizeOrigin(t *testing.T) {
	obj := func(origin string) ast.Object {
		return ast.MustParseTerm(`{"metadata": {"annotations": {"config.kubernetes.io/origin": ` + origin + `}}}`).Value.(ast.Object)
	}
	dir := filepath.Join("deploy", "prod")
	tests := []struct {
		obj  ast.Object
		want string
	}{
		{obj(`"path: ../base/job.yaml\n"`), filepath.Join("deploy", "base", "job.yaml")},
		{obj(`"path: job.yaml\nrepo: https://github.com/example/k8s\nref: v1\n"`), "https://github.com/example/k8s//job.yaml?ref=v1"},
		{obj(`"configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n"`), filepath.Join(dir, "kustomization.yaml")},
		{obj(`"[not: a mapping"`), "kustomize build " + dir},
		{obj(`1`), "kustomize build " + dir},
		{ast.NewObject(), "kustomize build " + dir},
	}
	for _, tt := range tests {
		if got := kustomizeOrigin(dir, tt.obj); got != tt.want {
			t.Errorf("kustomizeOrigin(%v) = %q, want %q", tt.obj, got, tt.want)
		}
	}
}
