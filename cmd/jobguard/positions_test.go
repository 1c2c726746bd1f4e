package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenPositions pins where the findings of charts, kustomizations and helm template streams
// land, in the text, GitHub and SARIF reports: the template, patch or kustomization line a person
// edits, and the values lines that set a field. testdata/golden/positions/<case>.txt; run
// `go test ./cmd/jobguard -run TestGolden -update` and review the diff.
func TestGoldenPositions(t *testing.T) {
	t.Chdir("../..")
	stream, err := os.ReadFile("testdata/inputs/helm-template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer func(v string) { version = v }(version)
	version = "golden"
	cases := []struct {
		name  string
		stdin string
		args  []string
	}{
		// include + nindent (labels), a subchart, values.yaml.
		{"chart", "", []string{"testdata/inputs/chart"}},
		// -f over values.yaml, --set over both.
		{"chart-values-file", "", []string{"testdata/inputs/chart", "-f", "testdata/inputs/chart/values-prod.yaml", "--set", "worker.image=ghcr.io/example/worker:latest"}},
		// range, include + nindent into a helper, toYaml, if and with, a line no marker follows.
		{"chart-blocks", "", []string{"testdata/inputs/chart-jobs"}},
		// An overlay: a strategic-merge patch, a JSON 6902 patch, a component, namespace:.
		{"kustomize-overlay", "", []string{"testdata/inputs/kustomize/overlay"}},
		// namespace: that the API server rejects; an inline JSON 6902 patch.
		{"kustomize-staging", "", []string{"testdata/inputs/kustomize/staging"}},
		// helm template output on standard input, its chart named.
		{"stream-chart", string(stream), []string{"-", "--chart", "testdata/inputs/chart"}},
		// The same stream, its templates nowhere to be found.
		{"stream", string(stream), []string{"-"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			fmt.Fprintf(&b, "$ jobguard lint %s\n", strings.Join(c.args, " "))
			for _, format := range []string{"text", "github", "sarif"} {
				args := append([]string{"lint", "--fail-on", "none", "--color", "never", "-o", format}, c.args...)
				_, out, stderr := jobguard(t, c.stdin, args...)
				if stderr != "" {
					t.Errorf("stderr: %s", stderr)
				}
				if format == "sarif" {
					out = sarifPlaces(t, out)
				}
				fmt.Fprintf(&b, "\n== %s\n%s", format, out)
			}
			checkGolden(t, filepath.Join("testdata", "golden", "positions", c.name+".txt"), b.String())
		})
	}
}

// sarifPlaces lists each SARIF result as its rule, its location (file:line:column, or "no
// location"), its related locations and its message: what the golden files compare.
func sarifPlaces(t *testing.T, out string) string {
	t.Helper()
	type location struct {
		Message *struct {
			Text string `json:"text"`
		} `json:"message"`
		PhysicalLocation *struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region *struct {
				StartLine   int `json:"startLine"`
				StartColumn int `json:"startColumn"`
			} `json:"region"`
		} `json:"physicalLocation"`
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations        []location `json:"locations"`
				RelatedLocations []location `json:"relatedLocations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("SARIF does not decode: %v\n%s", err, out)
	}
	place := func(l location) string {
		if l.PhysicalLocation == nil {
			return "no location"
		}
		s := l.PhysicalLocation.ArtifactLocation.URI
		if r := l.PhysicalLocation.Region; r != nil {
			s += fmt.Sprintf(":%d:%d", r.StartLine, r.StartColumn)
		}
		return s
	}
	var b strings.Builder
	for _, r := range log.Runs[0].Results {
		at := "no location"
		if len(r.Locations) > 0 {
			at = place(r.Locations[0])
		}
		fmt.Fprintf(&b, "%s %s: %s\n", at, r.RuleID, r.Message.Text)
		for _, rl := range r.RelatedLocations {
			msg := ""
			if rl.Message != nil {
				msg = rl.Message.Text
			}
			fmt.Fprintf(&b, "  related %s: %s\n", place(rl), msg)
		}
	}
	return b.String()
}

// TestReadmeRenderedExamples: the chart and kustomize findings the README shows are what
// `jobguard lint` prints.
func TestReadmeRenderedExamples(t *testing.T) {
	t.Chdir("../..")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := 0
	for _, block := range strings.Split(string(readme), "```text\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		lines := strings.Split(strings.TrimSpace(block), "\n")
		for i := range lines {
			lines[i] = strings.TrimSpace(lines[i])
		}
		args, ok := strings.CutPrefix(lines[0], "$ jobguard lint testdata/inputs/")
		if !ok {
			continue
		}
		examples++
		_, out, _ := jobguard(t, "", "lint", "--color", "never", "testdata/inputs/"+args)
		for _, want := range lines[1:] {
			if !strings.Contains(out, want+"\n") {
				t.Errorf("README shows %q for jobguard lint testdata/inputs/%s; it prints:\n%s", want, args, out)
			}
		}
	}
	if examples < 2 {
		t.Errorf("%d examples of rendered input in the README, want a chart and a kustomization", examples)
	}
}

// TestFixRenderedInput: lint --fix on a chart or a kustomization edits no file (their rendered
// output is not on disk) and names, on standard error, the template or resource line where each
// default belongs.
func TestFixRenderedInput(t *testing.T) {
	chart := filepath.Join(t.TempDir(), "chart")
	if err := os.CopyFS(chart, os.DirFS("../../testdata/inputs/chart")); err != nil {
		t.Fatal(err)
	}
	kustomization := t.TempDir()
	writeFile(t, filepath.Join(kustomization, "kustomization.yaml"), []byte("namespace: batch\nresources: [job.yaml]\n"))
	writeFile(t, filepath.Join(kustomization, "job.yaml"), []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\nspec:\n"+
		"  activeDeadlineSeconds: 60\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox:1.36}]\n"))
	for _, c := range []struct {
		dir, want string
	}{
		{chart, "jobguard: --fix: " + filepath.Join(chart, "charts", "worker", "templates", "job.yaml") + ":7:1: not fixed: " + chart +
			" is a Helm chart, whose rendered output is not edited; set spec.ttlSecondsAfterFinished=86400 there (job-missing-ttl)\n"},
		{kustomization, "jobguard: --fix: " + filepath.Join(kustomization, "job.yaml") + ":5:1: not fixed: " + kustomization +
			" is a kustomization, whose rendered output is not edited; set spec.ttlSecondsAfterFinished=86400 there (job-missing-ttl)\n"},
	} {
		before := snapshot(t, c.dir)
		_, out, errOut := jobguard(t, "", "lint", "--fix", "--color", "never", c.dir)
		if errOut != c.want {
			t.Errorf("lint --fix %s: stderr\n%s\nwant\n%s", c.dir, errOut, c.want)
		}
		// Then it lints as usual: the finding is still there.
		if !strings.Contains(out, ":7:1 (reports/charts/worker/templates/job.yaml): warning job-missing-ttl:") && !strings.Contains(out, "job.yaml:5:1: warning job-missing-ttl:") {
			t.Errorf("lint --fix %s: the finding not reported:\n%s", c.dir, out)
		}
		if after := snapshot(t, c.dir); !maps.Equal(before, after) {
			t.Errorf("lint --fix %s changed files", c.dir)
		}
	}
}

// snapshot reads every file under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
