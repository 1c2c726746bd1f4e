package policies

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/jobguard/jobguard/policies/irvm"
)

// customRule is a rule module of id for Jobs, with body as the rest of the module.
func customRule(id, body string) fstest.MapFS {
	module := fmt.Sprintf(`# METADATA
# title: %[1]s
# description: A test rule.
# custom:
#   id: %[1]s
#   severity: warning
#   kinds: [Job]
#   remediation: None.
package jobguard.rules.custom.%[2]s

import data.jobguard.lib.result

%[3]s`, id, strings.ReplaceAll(id, "-", "_"), body)
	return fstest.MapFS{id + ".rego": {Data: []byte(module)}}
}

func testJob(t *testing.T, name string) ast.Object {
	t.Helper()
	v, err := ast.InterfaceToValue(map[string]any{"apiVersion": "batch/v1", "kind": "Job", "metadata": map[string]any{"name": name},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "a", "image": "busybox:1.36"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return v.(ast.Object)
}

// TestEvaluateStopsWhenCancelled: a rule that would loop for hours (10^10 steps) stops when the
// context's deadline passes, with a cancellation error, through the plan and through top-down
// evaluation.
func TestEvaluateStopsWhenCancelled(t *testing.T) {
	planned, err := New(WithPolicies(customRule("endless", `
# Made once: numbers.range checks for cancellation itself, the loops below must.
nums := numbers.range(1, 100000)

deny contains result.fail("never", ["metadata"]) if {
	some i in nums
	some j in nums
	i * j < 0
}
`)))
	if err != nil {
		t.Fatal(err)
	}
	if planned.program == nil {
		t.Fatal("the rules were not planned")
	}
	for name, e := range map[string]*Engine{"plan": planned, "top-down": withoutPlan(planned)} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		obj, done := testJob(t, "endless"), make(chan error, 1)
		start := time.Now()
		go func() {
			_, err := e.Evaluate(ctx, obj)
			done <- err
		}()
		select {
		case err := <-done:
			if !topdown.IsCancel(err) && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: Evaluate = %v, want a cancellation error", name, err)
			}
			t.Logf("%s: stopped after %v: %v", name, time.Since(start), err)
		case <-time.After(30 * time.Second):
			t.Errorf("%s: Evaluate still runs 30 s after a 100 ms deadline", name)
		}
		cancel()
	}
}

// TestUnplannableRuleIsEvaluatedTopDown: a custom rule OPA's planner refuses (a rule reading a
// rule that shares its ref's ground prefix) leaves the engine without a plan; Evaluate then
// runs every rule top-down, so the custom rule still reports, and the bundled rules report
// what they report with a plan.
func TestUnplannableRuleIsEvaluatedTopDown(t *testing.T) {
	e, err := New(WithPolicies(customRule("unplannable", `
facts[k].kind := input.object.kind if k := "obj"

facts[k].job := true if {
	k := "obj"
	facts[k].kind == "Job"
}

deny contains result.fail("a Job", ["kind"]) if facts.obj.job
`)))
	if err != nil {
		t.Fatal(err)
	}
	if e.program != nil {
		t.Fatal("the rules were planned: the test no longer shows the fallback; find another construct the planner refuses")
	}
	compiler, err := e.topDown()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := irvm.Plan(context.Background(), e.queryOptions(compiler, e.EnabledRules())...); err == nil || !strings.Contains(err.Error(), "is not supported") {
		t.Fatalf("planning: %v, want the planner's refusal", err)
	}
	bundled, err := New()
	if err != nil {
		t.Fatal(err)
	}
	obj := testJob(t, "backup")
	got, err := e.Evaluate(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	want, err := bundled.Evaluate(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	custom := slices.DeleteFunc(slices.Clone(got), func(f Finding) bool { return f.Rule != "unplannable" })
	if len(custom) != 1 || custom[0].Message != "a Job" || custom[0].Path.String() != "kind" {
		t.Errorf("the unplannable rule found %v, want one finding at kind", custom)
	}
	others := slices.DeleteFunc(slices.Clone(got), func(f Finding) bool { return f.Rule == "unplannable" })
	if len(want) == 0 || !reflect.DeepEqual(others, want) {
		t.Errorf("the bundled rules found %v top-down, %v with a plan", others, want)
	}
}
