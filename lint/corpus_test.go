package lint_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// corpusDir holds ~500 real manifests from public projects (../shared/corpus, not part of this
// repository); the test skips when it is absent.
const corpusDir = "../../shared/corpus"

// apiMirroringRules are the error rules that mirror what the API server rejects; with
// cron-schedule-never-runs (accepted, but can never work) they are the only errors allowed on
// manifests that projects publish to be applied as they are.
var apiMirroringRules = []string{
	"job-restart-policy", "name-too-long", "invalid-name", "cron-schedule-invalid", "cron-timezone-invalid",
	"rbac-invalid-subject", "deprecated-api", "invalid-field", "cron-schedule-never-runs",
}

// TestCorpus lints the whole corpus: no crash, every unreadable input explained, and no error
// on a deployable example that the API server would accept.
func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("no corpus at %s", corpusDir)
	}
	categories := corpusCategories(t)
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	report, err := lint.New(engine).Lint(context.Background(), []string{corpusDir})
	if err != nil {
		t.Fatal(err)
	}
	if report.Objects < 900 || report.Objects+report.Skipped < 1300 {
		t.Errorf("checked %d objects and skipped %d, expected the corpus's 950 or so Jobs, CronJobs and RBAC objects of 1,370 documents", report.Objects, report.Skipped)
	}
	if len(report.InputErrors) > 2 {
		t.Errorf("%d inputs could not be read; the corpus has two broken on purpose (a tab, a missing ---)", len(report.InputErrors))
	}
	for _, e := range report.InputErrors {
		if e.Line == 0 {
			t.Errorf("input error without a line: %v", e)
		}
	}
	for _, f := range report.Findings {
		rel, _ := filepath.Rel(corpusDir, f.Position.File)
		if f.Severity != policies.SeverityError || categories[filepath.Base(rel)] != "deployable/example" {
			continue
		}
		if !slices.Contains(apiMirroringRules, f.Rule) {
			t.Errorf("%s: error %s on a deployable example: %s", f.Position, f.Rule, f.Message)
		}
	}
}

func corpusCategories(t *testing.T) map[string]string {
	file, err := os.Open(filepath.Join(corpusDir, "SOURCES.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	categories := map[string]string{}
	s := bufio.NewScanner(file)
	for s.Scan() {
		fields := strings.Split(s.Text(), "\t")
		if len(fields) >= 6 {
			categories[filepath.Base(fields[0])] = fields[5]
		}
	}
	return categories
}
