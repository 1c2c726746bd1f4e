package webhook

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/jobguard/jobguard/policies"
)

func TestReportContent(t *testing.T) {
	now := time.Unix(1700000000, 0)
	cron := policies.ObjectRef{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "team-a", Name: "leap"}
	findings := []policies.Finding{
		{Rule: "cron-schedule-never-runs", Severity: policies.SeverityError, Message: "never", Object: cron, Path: policies.FieldPath{"spec", "schedule"}},
		{Rule: "image-latest-tag", Severity: policies.SeverityWarning, Message: "latest", Object: cron},
		{Rule: "job-missing-active-deadline", Severity: policies.SeverityInfo, Message: "deadline", Object: cron},
	}
	results, summary, truncated := reportContent(findings, now)
	if truncated != 0 || len(results) != 3 {
		t.Fatalf("%d results, %d truncated", len(results), truncated)
	}
	for i, want := range []struct{ result, severity string }{{"fail", "high"}, {"warn", "medium"}, {"warn", "info"}} {
		r := results[i].(map[string]any)
		if r["result"] != want.result || r["severity"] != want.severity || r["policy"] != findings[i].Rule || r["source"] != "jobguard" {
			t.Errorf("result %d: %v, want result %s severity %s", i, r, want.result, want.severity)
		}
	}
	first := results[0].(map[string]any)
	if first["properties"].(map[string]any)["path"] != "spec.schedule" || first["timestamp"].(map[string]any)["seconds"] != now.Unix() {
		t.Errorf("path and timestamp: %v", first)
	}
	if res := first["resources"].([]any)[0].(map[string]any); res["kind"] != "CronJob" || res["namespace"] != "team-a" || res["name"] != "leap" {
		t.Errorf("resource: %v", res)
	}
	if summary["fail"] != int64(1) || summary["warn"] != int64(2) {
		t.Errorf("summary %v", summary)
	}
	// The results are plain JSON values, as the API server stores them.
	if err := unstructured.SetNestedSlice(map[string]any{}, results, "results"); err != nil {
		t.Errorf("results are not JSON-compatible: %v", err)
	}

	many := make([]policies.Finding, MaxReportResults+5)
	for i := range many {
		many[i] = findings[1]
	}
	results, summary, truncated = reportContent(many, now)
	if len(results) != MaxReportResults || truncated != 5 || summary["warn"] != int64(MaxReportResults+5) {
		t.Errorf("%d results, %d truncated, summary %v: want %d, 5, and every finding counted", len(results), truncated, summary, MaxReportResults)
	}
	report := &unstructured.Unstructured{Object: map[string]any{}}
	setContent(report, results, summary, truncated)
	if report.GetAnnotations()[TruncatedAnnotation] != "5" {
		t.Errorf("annotations %v", report.GetAnnotations())
	}
	setContent(report, results[:1], summary, 0)
	if _, ok := report.GetAnnotations()[TruncatedAnnotation]; ok {
		t.Error("the truncation annotation stays after a report that lists everything")
	}
}

func TestStartAuditNeedsItsOptions(t *testing.T) {
	s, err := New(Options{HealthAddr: Disabled, MetricsAddr: Disabled})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartAudit(t.Context(), AuditOptions{Interval: time.Minute}); err == nil {
		t.Error("StartAudit without a cluster connection and a Lease namespace is an error")
	}
}
