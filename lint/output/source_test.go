package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

var chartDir = filepath.Join("..", "..", "testdata", "inputs", "chart")

// renderedReport lints testdata/inputs/helm-template.yaml as standard input (a helm template
// stream with `# Source:` comments) and the chart it came from as a directory; with chart, the
// stream's templates are found in that chart (--chart).
func renderedReport(t *testing.T, chart string) *lint.Report {
	t.Helper()
	stream, err := os.Open(filepath.Join("..", "..", "testdata", "inputs", "helm-template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	r, err := lint.New(engine, lint.WithStdin(stream), lint.WithRender(lint.RenderOptions{Chart: chart})).Lint(t.Context(),
		[]string{lint.StdinName, chartDir})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 4 || len(r.InputErrors) != 0 {
		t.Fatalf("want 4 findings, 2 per input: %+v", r)
	}
	return r
}

func formatted(t *testing.T, name string, r *lint.Report) string {
	t.Helper()
	f, err := Get(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Format(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func contains(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in:\n%s", w, out)
		}
	}
}

// TestTextShowsSource: a stream keeps its own lines, and names the template line each finding
// maps to when the chart is known, else the template its document names.
func TestTextShowsSource(t *testing.T) {
	cronjob := filepath.Join(chartDir, "templates", "cronjob.yaml")
	contains(t, formatted(t, Text, renderedReport(t, "")),
		"-:27:11 (reports/templates/cronjob.yaml): error job-restart-policy:",
		"-:39:1 (reports/charts/worker/templates/job.yaml): warning job-missing-ttl:",
		cronjob+":17:11 (reports/templates/cronjob.yaml): error job-restart-policy:",
	)
	contains(t, formatted(t, Text, renderedReport(t, chartDir)),
		"-:27:11 ("+cronjob+":17:11): error job-restart-policy:",
		"-:39:1 ("+filepath.Join(chartDir, "charts", "worker", "templates", "job.yaml")+":7:1): warning job-missing-ttl:",
	)
}

// TestGitHubAnnotatesTemplates: findings from standard input are annotated on the template line
// they map to; without it they are annotations of the run that name the template. "-" is never
// a file.
func TestGitHubAnnotatesTemplates(t *testing.T) {
	unresolved := formatted(t, GitHub, renderedReport(t, ""))
	contains(t, unresolved,
		"::error title=job-restart-policy::CronJob default/release-name-reports-nightly (rendered from reports/templates/cronjob.yaml): restartPolicy",
		"::warning title=job-missing-ttl::Job release-name-worker-migrate (rendered from reports/charts/worker/templates/job.yaml):",
		"::error file=../../testdata/inputs/chart/templates/cronjob.yaml,line=17,col=11,title=job-restart-policy::",
	)
	resolved := formatted(t, GitHub, renderedReport(t, chartDir))
	contains(t, resolved,
		"::error file=../../testdata/inputs/chart/templates/cronjob.yaml,line=17,col=11,title=job-restart-policy::CronJob default/release-name-reports-nightly: restartPolicy",
		"::warning file=../../testdata/inputs/chart/charts/worker/templates/job.yaml,line=7,col=1,title=job-missing-ttl::",
	)
	for _, out := range []string{unresolved, resolved} {
		if strings.Contains(out, "file=-") || strings.Contains(out, "file=reports/") {
			t.Errorf("an annotation on standard input or on a # Source: name:\n%s", out)
		}
	}
}

// TestSARIFCarriesSource: a stream's findings are located on their template lines, or nowhere
// (with the template named in the message); the values line that set a field is a related
// location.
func TestSARIFCarriesSource(t *testing.T) {
	type result struct {
		RuleID  string    `json:"ruleId"`
		Message sarifText `json:"message"`
		// Locations and RelatedLocations are as the formatter writes them.
		Locations        []sarifLocation `json:"locations"`
		RelatedLocations []sarifLocation `json:"relatedLocations"`
	}
	results := func(chart string) []string {
		data := []byte(formatted(t, SARIF, renderedReport(t, chart)))
		if err := validateSARIF(t, data); err != nil {
			t.Fatalf("not valid SARIF: %v\n%s", err, data)
		}
		var log struct {
			Runs []struct{ Results []result } `json:"runs"`
		}
		if err := json.Unmarshal(data, &log); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range log.Runs[0].Results {
			s := r.RuleID + " at " + where(r.Locations[0])
			for _, rl := range r.RelatedLocations {
				s += " related " + where(rl) + " " + rl.Message.Text
			}
			if strings.Contains(r.Message.Text, "(in a document rendered from") {
				s += " message names the template"
			}
			got = append(got, s)
		}
		return got
	}
	check := func(got []string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("no result %q in:\n%s", w, strings.Join(got, "\n"))
			}
		}
	}
	check(results(""),
		"job-restart-policy at  message names the template",
		"job-missing-ttl at  message names the template",
		"job-restart-policy at ../../testdata/inputs/chart/templates/cronjob.yaml:17:11 related ../../testdata/inputs/chart/values.yaml:3:1 .Values.restartPolicy is set here",
	)
	check(results(chartDir),
		"job-restart-policy at ../../testdata/inputs/chart/templates/cronjob.yaml:17:11 related ../../testdata/inputs/chart/values.yaml:3:1 .Values.restartPolicy is set here",
		"job-missing-ttl at ../../testdata/inputs/chart/charts/worker/templates/job.yaml:7:1",
	)
}

// where is a SARIF location as file:line:column, "" when it has no physical location.
func where(l sarifLocation) string {
	if l.PhysicalLocation == nil {
		return ""
	}
	s := l.PhysicalLocation.ArtifactLocation.URI
	if r := l.PhysicalLocation.Region; r != nil {
		s += fmt.Sprintf(":%d:%d", r.StartLine, r.StartColumn)
	}
	return s
}
