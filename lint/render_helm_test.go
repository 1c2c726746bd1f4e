package lint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/policies"
)

var chartDir = filepath.Join(inputs, "chart")

func TestRenderChart(t *testing.T) {
	cronjob := "testdata/inputs/chart/templates/cronjob.yaml"
	job := "testdata/inputs/chart/charts/worker/templates/job.yaml"
	tests := []struct {
		name string
		opts RenderOptions
		want []string
	}{
		{
			name: "chart values",
			want: []string{
				"job-missing-ttl ../" + job + ":7:1 (reports/charts/worker/templates/job.yaml)",
				"job-restart-policy ../" + cronjob + ":17:11 (reports/templates/cronjob.yaml)",
			},
		},
		{
			// values-prod.yaml fixes restartPolicy and brings in the latest tag.
			name: "values file",
			opts: RenderOptions{ValuesFiles: []string{filepath.Join(chartDir, "values-prod.yaml")}},
			want: []string{
				"image-latest-tag ../" + cronjob + ":20:15 (reports/templates/cronjob.yaml)",
				"job-missing-ttl ../" + job + ":7:1 (reports/charts/worker/templates/job.yaml)",
			},
		},
		{
			// --set wins over the values files; the subchart's Job needs Kubernetes 1.23.
			name: "set and kube version",
			opts: RenderOptions{
				ValuesFiles: []string{filepath.Join(chartDir, "values-prod.yaml")},
				Set:         []string{"image.tag=1.4.1", "restartPolicy=Never"},
				KubeVersion: policies.KubeVersion{Major: 1, Minor: 22},
			},
			want: nil,
		},
		{
			name: "release name",
			opts: RenderOptions{ReleaseName: "a-very-long-release-name-for-the-nightly-reports"},
			want: []string{
				"job-missing-ttl ../" + job + ":7:1 (reports/charts/worker/templates/job.yaml)",
				"job-restart-policy ../" + cronjob + ":17:11 (reports/templates/cronjob.yaml)",
				"name-too-long ../" + cronjob + ":4:3 (reports/templates/cronjob.yaml)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report := lintPaths(t, []string{chartDir}, WithRender(tt.opts))
			if len(report.InputErrors) > 0 {
				t.Fatal(report.InputErrors)
			}
			if got := placed(report.Findings); !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestRenderChartReleaseAndNamespace(t *testing.T) {
	objs, _, errs := RenderOptions{ReleaseName: "nightly", Namespace: "reports"}.renderChart(chartDir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, o := range objs {
		got = append(got, policies.ObjectRefOf(o.Value).String())
	}
	if want := "Job nightly-worker-migrate,CronJob reports/nightly-reports-nightly,ServiceAccount reports/nightly-reports"; strings.Join(got, ",") != want {
		t.Errorf("objects = %s, want %s", strings.Join(got, ","), want)
	}
}

// writeChart makes a chart called "t" in a temporary directory from a map of file names to text.
func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if _, ok := files["Chart.yaml"]; !ok {
		files["Chart.yaml"] = "apiVersion: v2\nname: t\nversion: 0.1.0\n"
	}
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRenderChartErrors(t *testing.T) {
	tests := []struct {
		name       string
		files      map[string]string
		opts       RenderOptions
		file       string // relative to the chart
		line, col  int
		msgContain string
	}{
		{
			name:       "template parse error",
			files:      map[string]string{"templates/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ nosuchfunc }}\n"},
			file:       "templates/job.yaml",
			line:       4,
			msgContain: `function "nosuchfunc" not defined`,
		},
		{
			name:       "required value",
			files:      map[string]string{"templates/job.yaml": "kind: Job\nmetadata:\n  name: {{ required \"name is required\" .Values.name }}\n"},
			file:       "templates/job.yaml",
			line:       3,
			col:        11,
			msgContain: "name is required",
		},
		{
			name:       "nil pointer in a helper",
			files:      map[string]string{"templates/_helpers.tpl": "{{ define \"t.name\" }}\n{{ .Values.a.b.c }}\n{{ end }}\n", "templates/job.yaml": "kind: Job\nmetadata:\n  name: {{ include \"t.name\" . }}\n"},
			file:       "templates/_helpers.tpl",
			line:       2,
			col:        10,
			msgContain: "nil pointer",
		},
		{
			name:       "rendered output is not YAML",
			files:      map[string]string{"templates/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Values.name }}\nkind: Job\n", "values.yaml": "name: x\n"},
			file:       "templates/job.yaml",
			line:       5,
			col:        1,
			msgContain: "rendered output",
		},
		{
			name:       "missing dependency",
			files:      map[string]string{"Chart.yaml": "apiVersion: v2\nname: t\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n    repository: https://charts.example.com\n"},
			file:       "Chart.yaml",
			msgContain: "helm dependency build",
		},
		{
			name:       "library chart",
			files:      map[string]string{"Chart.yaml": "apiVersion: v2\nname: t\nversion: 0.1.0\ntype: library\n"},
			msgContain: "library chart",
		},
		{
			name:       "values schema",
			files:      map[string]string{"values.schema.json": `{"type": "object", "required": ["schedule"]}`, "templates/x.yaml": ""},
			msgContain: "schedule",
		},
		{
			name:       "values file that does not parse",
			files:      map[string]string{"bad-values.yaml": "a: [1\n"},
			opts:       RenderOptions{ValuesFiles: []string{"bad-values.yaml"}},
			msgContain: "values file",
		},
		{
			name:       "not a chart",
			files:      map[string]string{"Chart.yaml": "apiVersion: v2\nversion: 0.1.0\n"},
			msgContain: "cannot load the Helm chart",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeChart(t, tt.files)
			for i, f := range tt.opts.ValuesFiles {
				tt.opts.ValuesFiles[i] = filepath.Join(dir, f)
			}
			objs, _, errs := tt.opts.renderChart(dir)
			if len(errs) != 1 {
				t.Fatalf("errors = %v, objects = %d; want one error", errs, len(objs))
			}
			e := errs[0]
			if want := filepath.Join(dir, tt.file); e.File != want || e.Line != tt.line || e.Column != tt.col {
				t.Errorf("error at %s:%d:%d, want %s:%d:%d (%s)", e.File, e.Line, e.Column, want, tt.line, tt.col, e.Message)
			}
			if !strings.Contains(e.Message, tt.msgContain) {
				t.Errorf("message %q does not contain %q", e.Message, tt.msgContain)
			}
		})
	}
}

func TestRenderOptionsCheck(t *testing.T) {
	if err := (RenderOptions{}).Check(); err != nil {
		t.Errorf("zero options: %v", err)
	}
	if err := (RenderOptions{Set: []string{"a.b=1", "list={x,y}"}}).Check(); err != nil {
		t.Errorf("valid --set: %v", err)
	}
	for _, bad := range []RenderOptions{
		{Set: []string{"a[=b"}},
		{ValuesFiles: []string{filepath.Join(t.TempDir(), "missing.yaml")}},
	} {
		if err := bad.Check(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestMergeValues(t *testing.T) {
	a := map[string]any{"image": map[string]any{"repository": "r", "tag": "1"}, "keep": 1}
	b := map[string]any{"image": map[string]any{"tag": "2"}, "replace": map[string]any{"x": 1}}
	got := mergeValues(a, b)
	image := got["image"].(map[string]any)
	if image["repository"] != "r" || image["tag"] != "2" || got["keep"] != 1 || got["replace"] == nil {
		t.Errorf("mergeValues = %v", got)
	}
	if a["image"].(map[string]any)["tag"] != "1" {
		t.Errorf("mergeValues changed its first argument: %v", a)
	}
}
