package main

import (
	"os"
	"strings"
	"testing"
)

// TestLintRenderedInputs: a helm template stream on standard input names its templates; a chart
// directory is rendered with -f, --set and --kube-version; a kustomization is built.
func TestLintRenderedInputs(t *testing.T) {
	t.Chdir("../..")
	stream, err := os.ReadFile("testdata/inputs/helm-template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		want    []string
		notWant []string
	}{
		{
			name:  "helm template stream",
			stdin: string(stream),
			args:  []string{"-"},
			code:  exitFindings,
			want: []string{
				"-:27:11 (reports/templates/cronjob.yaml): error job-restart-policy:",
				"-:39:1 (reports/charts/worker/templates/job.yaml): warning job-missing-ttl:",
			},
		},
		{
			name: "chart with its values",
			args: []string{"testdata/inputs/chart"},
			code: exitFindings,
			want: []string{
				// The template's line, not the rendered output's (18), and the values line.
				"testdata/inputs/chart/templates/cronjob.yaml:17:11 (reports/templates/cronjob.yaml): error job-restart-policy:",
				`(.Values.restartPolicy from testdata/inputs/chart/values.yaml:3:1)`,
				"testdata/inputs/chart/charts/worker/templates/job.yaml:7:1 (reports/charts/worker/templates/job.yaml): warning job-missing-ttl:",
				"in 2 checked objects from 1 file; 1 document of other kinds skipped",
			},
		},
		{
			name: "chart with a values file and --set",
			args: []string{"testdata/inputs/chart", "-f", "testdata/inputs/chart/values-prod.yaml", "--set", "worker.image=ghcr.io/example/worker:latest"},
			code: exitOK,
			want: []string{
				"cronjob.yaml:20:15 (reports/templates/cronjob.yaml): warning image-latest-tag:",
				".Values.image.tag from testdata/inputs/chart/values-prod.yaml:4:3",
				`job.yaml:14:11 (reports/charts/worker/templates/job.yaml): warning image-latest-tag: image "ghcr.io/example/worker:latest" uses the latest tag`,
				"(.Values.image from --set worker.image=ghcr.io/example/worker:latest)",
			},
			notWant: []string{"job-restart-policy"},
		},
		{
			name:    "chart for an older Kubernetes, in a namespace",
			args:    []string{"testdata/inputs/chart", "--kube-version", "1.22", "--namespace", "batch", "--release-name", "nightly"},
			code:    exitFindings,
			want:    []string{"CronJob batch/nightly-reports-nightly (batch/v1)"},
			notWant: []string{"job-missing-ttl"}, // the worker's Job needs 1.23
		},
		{
			name: "kustomize overlay",
			args: []string{"testdata/inputs/kustomize/overlay"},
			code: exitFindings,
			want: []string{
				// The patch that set the schedule, not the base nor the build output.
				"testdata/inputs/kustomize/overlay/schedule.yaml:7:3 (testdata/inputs/kustomize/base/cronjob.yaml): error cron-schedule-never-runs:",
			},
		},
		{
			name:  "helm template stream, its chart named",
			stdin: string(stream),
			args:  []string{"-", "--chart", "testdata/inputs/chart"},
			code:  exitFindings,
			want:  []string{"-:27:11 (testdata/inputs/chart/templates/cronjob.yaml:17:11): error job-restart-policy:"},
		},
		{
			name: "--chart without a chart",
			args: []string{"-", "--chart", "testdata/inputs"},
			code: exitUsage,
		},
		{
			name: "render error",
			args: []string{"testdata/inputs/chart", "--set", "schedule=null"},
			code: exitUsage,
			want: []string{"testdata/inputs/chart/templates/cronjob.yaml:9:15: error input: cannot render the chart:", "schedule is required"},
		},
		{
			name: "bad --set",
			args: []string{"testdata/inputs/chart", "--set", "a[=b"},
			code: exitUsage,
		},
		{
			name: "missing values file",
			args: []string{"testdata/inputs/chart", "-f", "testdata/inputs/no-such-values.yaml"},
			code: exitUsage,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := jobguard(t, tt.stdin, append([]string{"lint", "--color", "never"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("unexpected %q in:\n%s", w, out)
				}
			}
		})
	}
}
