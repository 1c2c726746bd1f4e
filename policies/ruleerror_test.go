package policies

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestEvaluateReportsAFailingRuleApart: a rule that fails at run time on an object does not take
// the other rules' findings with it; Evaluate returns them and a *RuleErrors naming the rule.
func TestEvaluateReportsAFailingRuleApart(t *testing.T) {
	rule := `# METADATA
# title: Conflicts on one name
# description: Fails at run time on the Job named broken.
# custom:
#   id: conflicting
#   severity: warning
#   kinds: [Job]
#   remediation: None.
package jobguard.rules.custom.conflicting

import data.jobguard.lib.result

x := 1 if input.object.kind == "Job"

x := 2 if input.object.metadata.name == "broken"

deny contains result.fail(sprintf("x is %d", [x]), ["metadata"])
`
	e, err := New(WithPolicies(fstest.MapFS{"conflicting.rego": {Data: []byte(rule)}}))
	if err != nil {
		t.Fatal(err)
	}
	if e.program == nil { // the conflict must surface from the plan, not from top-down alone
		t.Fatal("the rules were not planned")
	}
	job := func(name string) ast.Object {
		v, err := ast.InterfaceToValue(map[string]any{"apiVersion": "batch/v1", "kind": "Job", "metadata": map[string]any{"name": name},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"restartPolicy": "Always", "containers": []any{map[string]any{"name": "a", "image": "busybox:1.36"}}}}}})
		if err != nil {
			t.Fatal(err)
		}
		return v.(ast.Object)
	}
	findings, err := e.Evaluate(context.Background(), job("fine"))
	if err != nil || !hasRule(findings, "conflicting") {
		t.Fatalf("fine Job: %v, %v; want the rule's finding and no error", findings, err)
	}
	findings, err = e.Evaluate(context.Background(), job("broken"))
	var ruleErrs *RuleErrors
	if !errors.As(err, &ruleErrs) || len(ruleErrs.Errors) != 1 || ruleErrs.Errors[0].Rule != "conflicting" ||
		ruleErrs.Object.Name != "broken" || !strings.Contains(ruleErrs.Errors[0].Err.Error(), "eval_conflict_error") {
		t.Fatalf("broken Job: error %v; want one RuleError for conflicting", err)
	}
	if hasRule(findings, "conflicting") || !hasRule(findings, "job-restart-policy") {
		t.Errorf("broken Job: findings %v; want the built-in rules' (job-restart-policy) without the failing rule's", findings)
	}
}

func hasRule(findings []Finding, id string) bool {
	for _, f := range findings {
		if f.Rule == id {
			return true
		}
	}
	return false
}
