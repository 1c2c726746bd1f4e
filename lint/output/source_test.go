package output

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// renderedReport lints testdata/inputs/helm-template.yaml as standard input (a helm template
// stream with `# Source:` comments) and the chart it came from as a directory.
func renderedReport(t *testing.T) *lint.Report {
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
	r, err := lint.New(engine, lint.WithStdin(stream)).Lint(t.Context(),
		[]string{lint.StdinName, filepath.Join("..", "..", "testdata", "inputs", "chart")})
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

func TestTextShowsSource(t *testing.T) {
	out := formatted(t, Text, renderedReport(t))
	for _, want := range []string{
		"-:27:11 (reports/templates/cronjob.yaml): error job-restart-policy:",
		"-:39:1 (reports/charts/worker/templates/job.yaml): warning job-missing-ttl:",
		filepath.Join("..", "..", "testdata", "inputs", "chart", "templates", "cronjob.yaml") + ":18:11 (reports/templates/cronjob.yaml): error job-restart-policy:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// TestGitHubAnnotatesTemplates: findings from standard input are annotated on the template their
// document names; findings in files keep their file.
func TestGitHubAnnotatesTemplates(t *testing.T) {
	out := formatted(t, GitHub, renderedReport(t))
	for _, want := range []string{
		"::error file=reports/templates/cronjob.yaml,line=27,col=11,title=job-restart-policy::",
		"::warning file=reports/charts/worker/templates/job.yaml,line=39,col=1,title=job-missing-ttl::",
		"::error file=../../testdata/inputs/chart/templates/cronjob.yaml,line=18,col=11,title=job-restart-policy::",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestSARIFCarriesSource(t *testing.T) {
	data := []byte(formatted(t, SARIF, renderedReport(t)))
	if err := validateSARIF(t, data); err != nil {
		t.Fatalf("not valid SARIF: %v\n%s", err, data)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				RelatedLocations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           any                  `json:"region"`
					} `json:"physicalLocation"`
				} `json:"relatedLocations"`
				Properties struct{ Source string } `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range log.Runs[0].Results {
		s := r.RuleID + " " + r.Locations[0].PhysicalLocation.ArtifactLocation.URI + " source=" + r.Properties.Source
		for _, rl := range r.RelatedLocations {
			s += " related=" + rl.PhysicalLocation.ArtifactLocation.URI
			if rl.PhysicalLocation.Region != nil {
				t.Errorf("%s: the related location has a region, but the line is the rendered one", r.RuleID)
			}
		}
		got = append(got, s)
	}
	want := []string{
		"job-restart-policy stdin source=reports/templates/cronjob.yaml related=reports/templates/cronjob.yaml",
		"job-missing-ttl stdin source=reports/charts/worker/templates/job.yaml related=reports/charts/worker/templates/job.yaml",
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("no result %q in:\n%s", w, strings.Join(got, "\n"))
		}
	}
}
