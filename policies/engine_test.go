package policies_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/jobguard/jobguard/policies"
)

func object(t testing.TB, doc map[string]any) ast.Object {
	t.Helper()
	v, err := ast.InterfaceToValue(doc)
	if err != nil {
		t.Fatal(err)
	}
	return v.(ast.Object)
}

func job(name string, annotations map[string]any) map[string]any {
	return map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   map[string]any{"name": name, "annotations": annotations},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "main", "image": "busybox:1.36"}},
		}}},
	}
}

func rules(fs []policies.Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.Rule)
	}
	return strings.Join(ids, ",")
}

func TestEvaluate(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	findings, err := engine.Evaluate(ctx, object(t, job("backup", nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(findings); got != "job-missing-active-deadline,job-missing-ttl,job-restart-policy" {
		t.Errorf("rules = %s", got)
	}
	for _, f := range findings {
		if f.Rule == "job-restart-policy" {
			if f.Severity != policies.SeverityError || f.Path.String() != "spec.template.spec.restartPolicy" || f.Object.Name != "backup" || f.Remediation == "" {
				t.Errorf("finding = %+v", f)
			}
		}
		if f.Rule == "job-missing-ttl" && (f.Fix == nil || f.Fix.Value != int64(86400) || f.Fix.Path.String() != "spec.ttlSecondsAfterFinished") {
			t.Errorf("job-missing-ttl fix = %+v", f.Fix)
		}
	}
}

// newEngine is policies.New that fails the test with New's error.
func newEngine(t testing.TB, opts ...policies.Option) *policies.Engine {
	t.Helper()
	engine, err := policies.New(opts...)
	if err != nil {
		t.Fatalf("policies.New: %v", err)
	}
	return engine
}

func TestEvaluateIgnoreAnnotation(t *testing.T) {
	engine := newEngine(t)
	obj := object(t, job("backup", map[string]any{policies.IgnoreAnnotation: "job-missing-ttl, job-restart-policy"}))
	findings, err := engine.Evaluate(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(findings); got != "job-missing-active-deadline" {
		t.Errorf("rules = %s, want only job-missing-active-deadline", got)
	}
}

// A Job of a custom resource group is another kind; a Job in the core group is Kubernetes'
// Job under a version no release serves, which only deprecated-api judges.
func TestEvaluateSkipsOtherKindsAndGroups(t *testing.T) {
	engine := newEngine(t)
	for apiVersion, want := range map[string]string{"v1": "deprecated-api", "batch.tutorial.kubebuilder.io/v1": ""} {
		doc := job("x", nil)
		doc["apiVersion"] = apiVersion
		findings, err := engine.Evaluate(context.Background(), object(t, doc))
		if err != nil || rules(findings) != want {
			t.Errorf("%s Job: findings %q, err %v; want %q", apiVersion, rules(findings), err, want)
		}
	}
}

func TestOptions(t *testing.T) {
	engine, err := policies.New(
		policies.WithDisabled("job-missing-active-deadline"),
		policies.WithSeverity("job-restart-policy", policies.SeverityWarning),
		policies.WithParams("job-missing-ttl", map[string]any{"ttlSecondsAfterFinished": 60}),
	)
	if err != nil {
		t.Fatal(err)
	}
	findings, err := engine.Evaluate(context.Background(), object(t, job("backup", nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(findings); got != "job-missing-ttl,job-restart-policy" {
		t.Fatalf("rules = %s", got)
	}
	if findings[0].Fix.Value != int64(60) || findings[1].Severity != policies.SeverityWarning {
		t.Errorf("fix %v, severity %s", findings[0].Fix.Value, findings[1].Severity)
	}
	if engine.Enabled("job-missing-active-deadline") {
		t.Error("disabled rule reported enabled")
	}
	var want []string
	for _, r := range engine.Rules() {
		if r.ID != "job-missing-active-deadline" {
			want = append(want, r.ID)
		}
	}
	var got []string
	for _, r := range engine.EnabledRules() {
		got = append(got, r.ID)
	}
	if !slices.Equal(got, want) || len(want) != len(engine.Rules())-1 {
		t.Errorf("EnabledRules = %v, want every rule but job-missing-active-deadline, in order", got)
	}
}

func TestOptionErrors(t *testing.T) {
	for name, opt := range map[string]policies.Option{
		"unknown disabled rule": policies.WithDisabled("no-such-rule"),
		"unknown severity rule": policies.WithSeverity("no-such-rule", policies.SeverityInfo),
		"unknown parameter":     policies.WithParams("job-missing-ttl", map[string]any{"ttl": 1}),
	} {
		if _, err := policies.New(opt); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// TestRuleMetadataComplete: New refuses a rule whose metadata lacks what docs, configs and
// findings need, naming the file and what is missing; the bundled rules all load.
func TestRuleMetadataComplete(t *testing.T) {
	const complete = `# METADATA
# title: T
# description: D
# custom:
#   id: broken-rule
#   severity: warning
#   kinds: [Job]
#   remediation: R.
package jobguard.rules.custom.broken_rule
`
	for _, tt := range []struct{ drop, want string }{
		{"# title: T\n", "title is missing"},
		{"# description: D\n", "description is missing"},
		{"#   id: broken-rule\n", "custom.id must be a non-empty string"},
		{"#   remediation: R.\n", "custom.remediation must be a non-empty string"},
		{"#   kinds: [Job]\n", "custom.kinds must be a non-empty list of kind names"},
		{"#   severity: warning\n", "custom.severity"},
	} {
		src := strings.Replace(complete, tt.drop, "", 1)
		_, err := policies.New(policies.WithPolicies(fstest.MapFS{"broken.rego": {Data: []byte(src)}}))
		if err == nil || !strings.Contains(err.Error(), "policies#1/broken.rego") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("without %q: New = %v, want an error naming policies#1/broken.rego and saying %q", strings.TrimSpace(tt.drop), err, tt.want)
		}
	}
	if _, err := policies.New(policies.WithPolicies(fstest.MapFS{"broken.rego": {Data: []byte(complete)}})); err != nil {
		t.Errorf("the complete rule: %v", err)
	}
	for _, r := range newEngine(t).Rules() {
		if r.ID == "" || r.Title == "" || r.Description == "" || r.Remediation == "" || len(r.Kinds) == 0 {
			t.Errorf("%s: incomplete metadata %+v", r.File, r)
		}
	}
}

// Evaluate a CronJob whose schedule never fires.
func Example() {
	engine, err := policies.New()
	if err != nil {
		panic(err)
	}
	cronjob, _ := ast.InterfaceToValue(map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "CronJob",
		"metadata":   map[string]any{"name": "month-end"},
		"spec": map[string]any{
			"schedule":                "0 0 30 2 *",
			"concurrencyPolicy":       "Forbid",
			"startingDeadlineSeconds": 300,
			"jobTemplate": map[string]any{"spec": map[string]any{
				"activeDeadlineSeconds": 600,
				"template": map[string]any{"spec": map[string]any{
					"restartPolicy": "Never",
					"containers":    []any{map[string]any{"name": "close-books", "image": "example/ledger:2.0"}},
				}},
			}},
		},
	})
	findings, err := engine.Evaluate(context.Background(), cronjob.(ast.Object))
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		fmt.Printf("%s %s at %s: %s\n", f.Severity, f.Rule, f.Path, f.Message)
	}
	// Output:
	// error cron-schedule-never-runs at spec.schedule: schedule "0 0 30 2 *" never fires: no time matches it in the next five years
}
