package output

import (
	"context"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// sampleReport is a hand-made report that exercises every case the formats handle: two files and
// standard input, all severities, a cluster-scoped object, a message that needs escaping, a rule
// without findings, and input errors with and without a line.
func sampleReport() *lint.Report {
	cron := policies.ObjectRef{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "ops", Name: "nightly"}
	role := policies.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "everything"}
	job := policies.ObjectRef{APIVersion: "batch/v1", Kind: "Job", Name: "piped"}
	return &lint.Report{
		Files:   3,
		Objects: 4,
		Rules: []*policies.Rule{
			{ID: "cron-concurrency-unset", Severity: policies.SeverityWarning, Title: "CronJobs that let a hung run overlap the next",
				Description: "concurrencyPolicy defaults to Allow: when a run is still going, a second\none starts beside it.",
				Remediation: "Set spec.concurrencyPolicy to Forbid.", Kinds: []policies.GroupKind{{Group: "batch", Kind: "CronJob"}},
				File: "rules/batch/cron_concurrency_unset.rego"},
			{ID: "job-missing-active-deadline", Severity: policies.SeverityInfo, Title: "Jobs that can run forever",
				Description: "Nothing stops a Job run that hangs (a stuck `kubectl exec`).", Remediation: "Set activeDeadlineSeconds.",
				Kinds: []policies.GroupKind{{Group: "batch", Kind: "Job"}, {Group: "batch", Kind: "CronJob"}},
				File:  "rules/batch/job_missing_active_deadline.rego"},
			{ID: "rbac-wildcard", Severity: policies.SeverityError, Title: "Roles that grant \"*\"",
				Description: "\"*\" in verbs grants every verb, <all> of them.", Remediation: "List the verbs instead of \"*\".",
				Kinds: []policies.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}}, File: "rules/rbac/wildcard.rego"},
			{ID: "never-fires", Severity: policies.SeverityWarning, Title: "A rule without findings", Description: "Listed all the same.",
				Remediation: "Nothing to do.", Kinds: []policies.GroupKind{{Kind: "Pod"}}, File: "rules/batch/never_fires.rego"},
		},
		Findings: []policies.Finding{
			{Rule: "job-missing-active-deadline", Severity: policies.SeverityInfo, Message: "activeDeadlineSeconds is not set",
				Remediation: "Set activeDeadlineSeconds.", Object: job, Path: policies.FieldPath{"spec"},
				Position: policies.Position{File: lint.StdinName, Line: 5, Column: 1}},
			{Rule: "cron-concurrency-unset", Severity: policies.SeverityWarning, Message: "concurrencyPolicy is not set",
				Remediation: "Set spec.concurrencyPolicy to Forbid.", Object: cron, Path: policies.FieldPath{"spec", "concurrencyPolicy"},
				Position: policies.Position{File: "deploy/a,b:c.yaml", Line: 7, Column: 1}},
			{Rule: "job-missing-active-deadline", Severity: policies.SeverityInfo, Message: "100% of runs\nmay hang, forever",
				Remediation: "Set activeDeadlineSeconds.", Object: cron, Path: policies.FieldPath{"spec", "jobTemplate", "spec"},
				Position: policies.Position{File: "deploy/a,b:c.yaml", Line: 10, Column: 5}},
			{Rule: "rbac-wildcard", Severity: policies.SeverityError, Message: `"*" in verbs grants every verb`,
				Remediation: `List the verbs instead of "*".`, Object: role, Path: policies.FieldPath{"rules", 0, "verbs", 0},
				Position: policies.Position{File: "deploy/rbac.yaml", Line: 9, Column: 13}},
		},
		InputErrors: []*lint.InputError{
			{File: "deploy/broken.yaml", Line: 3, Message: "not valid YAML (tabs); indent with spaces"},
			{File: "missing.yaml", Message: "no such file or directory"},
		},
	}
}

// lintFixture lints testdata/objects.yaml with the real rules.
func lintFixture(t *testing.T) *lint.Report {
	t.Helper()
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	r, err := lint.New(engine).Lint(context.Background(), []string{"testdata/objects.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || len(r.InputErrors) == 0 || len(r.Rules) == 0 {
		t.Fatalf("the fixture should give findings, an input error and rules: %+v", r)
	}
	return r
}

func TestGetEveryName(t *testing.T) {
	for _, name := range Names {
		f, err := Get(name, Options{})
		if err != nil || f == nil {
			t.Errorf("Get(%q) = %v, %v", name, f, err)
		}
		var b strings.Builder
		if err := f.Format(&b, sampleReport()); err != nil || b.Len() == 0 {
			t.Errorf("%s: Format wrote %d bytes, error %v", name, b.Len(), err)
		}
		if err := f.Format(&b, &lint.Report{}); err != nil {
			t.Errorf("%s: an empty report: %v", name, err)
		}
	}
	_, err := Get("xml", Options{})
	if err == nil {
		t.Fatal("Get(xml) should fail")
	}
	for _, name := range Names {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error should list %s: %v", name, err)
		}
	}
}
