package lint_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// TestRuleContract keeps the rule catalogue honest: every rule has complete metadata, Rego tests
// beside it, and fixtures in testdata/<rule-id>/ where bad.yaml fires it on every object it checks
// and good.yaml on none. Removing or breaking a rule fails here.
func TestRuleContract(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	rules := engine.Rules()
	if len(rules) == 0 {
		t.Fatal("no rules loaded")
	}
	for _, r := range rules {
		t.Run(r.ID, func(t *testing.T) {
			if !strings.HasSuffix(r.Remediation, ".") {
				t.Errorf("remediation must end with a period: %q", r.Remediation)
			}
			if strings.HasSuffix(r.Title, ".") {
				t.Errorf("title must not end with a period: %q", r.Title)
			}
			testFile := strings.TrimSuffix(r.File, ".rego") + "_test.rego"
			if _, err := fs.Stat(policies.Bundled, testFile); err != nil {
				t.Errorf("no Rego tests beside the rule: want %s", testFile)
			}
			dir := filepath.Join("..", "testdata", r.ID)
			checkFixture(t, engine, r, filepath.Join(dir, "bad.yaml"), true)
			checkFixture(t, engine, r, filepath.Join(dir, "good.yaml"), false)
		})
	}
}

func checkFixture(t *testing.T, engine *policies.Engine, r *policies.Rule, file string, wantFire bool) {
	t.Helper()
	if _, err := os.Stat(file); err != nil {
		t.Errorf("fixture missing: %v", err)
		return
	}
	// Lint the file as a whole, so that cross-object rules see the RBAC beside the workloads.
	report, err := lint.New(engine, lint.WithCheckedObjects(true)).Lint(context.Background(), []string{file})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range report.InputErrors {
		t.Errorf("fixture does not parse: %v", e)
	}
	checked := 0
	for _, obj := range report.Checked {
		applies := false
		for _, gk := range r.Kinds {
			applies = applies || gk.Kind == obj.Object.Kind
		}
		if !applies {
			continue
		}
		checked++
		fired := false
		for _, f := range report.Findings {
			fired = fired || f.Rule == r.ID && f.Object == obj.Object
		}
		switch {
		case wantFire && !fired:
			t.Errorf("%s:%d: %s %s: want a %s finding, got none", file, obj.Position.Line, obj.Object.Kind, obj.Object.Name, r.ID)
		case !wantFire && fired:
			t.Errorf("%s:%d: %s %s: want no %s finding, got one", file, obj.Position.Line, obj.Object.Kind, obj.Object.Name, r.ID)
		}
	}
	if checked == 0 {
		t.Errorf("%s holds no object the rule checks (%v)", file, r.Kinds)
	}
}
