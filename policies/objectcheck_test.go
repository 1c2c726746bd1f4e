package policies_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/jobguard/jobguard/policies"
)

func decode(t testing.TB, doc string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDecodeProblems(t *testing.T) {
	jobType := reflect.TypeFor[batchv1.Job]()
	valid := `{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "a", "labels": {"v": "1"}},
		"spec": {"completions": 2, "template": {"spec": {"restartPolicy": "Never",
		"containers": [{"name": "main", "image": "busybox", "resources": {"limits": {"cpu": 1, "memory": "1Gi"}}}]}}}}`
	if got := policies.DecodeProblems(decode(t, valid), jobType); got != nil {
		t.Errorf("valid Job: %+v", got)
	}

	bad := `{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "a", "labels": {"v": 1}},
		"spec": {"completions": "${N}", "template": {"spec": {"RestartPolicy": "Never", "ttlSecondsAfterFinished": 5, "restartPolicy": 5,
		"containers": [{"name": "main", "image": "busybox"}, {"name": "b", "image": "x", "resources": {"limits": {"cpu": "lots"}},
		"ports": [{"containerPort": "80"}]}]}}}}`
	got := policies.DecodeProblems(decode(t, bad), jobType)
	type brief struct {
		path, problem, want string
		hint                map[string]any
	}
	var briefs []brief
	for _, p := range got {
		path, _ := json.Marshal(p.Path)
		briefs = append(briefs, brief{string(path), p.Problem, p.Want, p.Hint})
	}
	want := []brief{
		{`["metadata","labels","v"]`, "wrong type", "string", nil},
		{`["spec","completions"]`, "wrong type", "int32", nil},
		{`["spec","template","spec","RestartPolicy"]`, "unknown field", "", map[string]any{"case": "restartPolicy"}},
		{`["spec","template","spec","containers",1,"ports",0,"containerPort"]`, "wrong type", "int32", nil},
		{`["spec","template","spec","containers",1,"resources","limits","cpu"]`, "wrong type", "resource.Quantity", nil},
		{`["spec","template","spec","restartPolicy"]`, "wrong type", "string", nil}, // a v1.RestartPolicy
		{`["spec","template","spec","ttlSecondsAfterFinished"]`, "unknown field", "", map[string]any{"at": []any{"spec", "ttlSecondsAfterFinished"}}},
	}
	if !reflect.DeepEqual(briefs, want) {
		t.Errorf("problems:\n got %+v\nwant %+v", briefs, want)
	}
	for _, p := range got {
		if p.Detail == "" {
			t.Errorf("%v: no detail", p.Path)
		}
	}
}

// A Job or CronJob under a version no release serves reaches deprecated-api (and only it: the
// other rules judge batch/v1 objects); a Job of another API group reaches nothing.
func TestEvaluateKindInAnyGroup(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ apiVersion, want string }{
		{"extensions/v1beta1", "deprecated-api"},
		{"batch.volcano.sh/v1alpha1", ""},
		{"batch/v2", "deprecated-api,job-missing-active-deadline,job-missing-ttl,job-restart-policy"},
	} {
		doc := job("backup", nil)
		doc["apiVersion"] = tc.apiVersion
		findings, err := engine.Evaluate(context.Background(), object(t, doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := rules(findings); got != tc.want {
			t.Errorf("%s Job: rules = %q, want %q", tc.apiVersion, got, tc.want)
		}
	}
	disabled, err := policies.New(policies.WithDisabled("deprecated-api"))
	if err != nil {
		t.Fatal(err)
	}
	doc := job("backup", nil)
	doc["apiVersion"] = "extensions/v1beta1"
	if findings, err := disabled.Evaluate(context.Background(), object(t, doc)); err != nil || len(findings) != 0 {
		t.Errorf("deprecated-api disabled: %v, %v", findings, err)
	}
}

func BenchmarkDecodeProblemsValidJob(b *testing.B) {
	v := decode(b, `{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "a", "labels": {"app": "x"}},
		"spec": {"completions": 2, "template": {"spec": {"restartPolicy": "Never",
		"containers": [{"name": "main", "image": "busybox", "env": [{"name": "A", "value": "b"}]}]}}}}`)
	jobType := reflect.TypeFor[batchv1.Job]()
	for b.Loop() {
		if policies.DecodeProblems(v, jobType) != nil {
			b.Fatal("problems in a valid Job")
		}
	}
}
