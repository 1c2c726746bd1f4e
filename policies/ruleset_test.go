package policies_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jobguard/jobguard/policies"
)

// TestRuleSets: NonInventoryRules and InventoryRules split AllRules between them, for a kind
// with an inventory rule (Job) and one without (Role).
func TestRuleSets(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	var inventory []string
	for _, r := range engine.Rules() {
		if r.Inventory {
			inventory = append(inventory, r.ID)
		}
	}
	if got := strings.Join(inventory, ","); got != "rbac-insufficient" {
		t.Errorf("inventory rules: %s, want rbac-insufficient", got)
	}
	kubectlJob := job("restart", nil)
	pod := kubectlJob["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	pod["containers"].([]any)[0].(map[string]any)["command"] = []any{"kubectl", "delete", "pod", "x"}
	role := map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": map[string]any{"name": "r"},
		"rules": []any{map[string]any{"apiGroups": []any{"*"}, "resources": []any{"*"}, "verbs": []any{"*"}}},
	}
	ctx := context.Background()
	for name, doc := range map[string]map[string]any{"Job": kubectlJob, "Role": role} {
		obj := object(t, doc)
		eval := func(set policies.RuleSet) []string {
			findings, err := engine.Evaluate(ctx, obj, policies.WithRuleSet(set))
			if err != nil {
				t.Fatal(err)
			}
			return strings.Split(rules(findings), ",")
		}
		all, others, only := eval(policies.AllRules), eval(policies.NonInventoryRules), eval(policies.InventoryRules)
		if name == "Job" && (strings.Join(only, ",") != "rbac-insufficient" || slices.Contains(others, "rbac-insufficient")) {
			t.Errorf("Job: inventory rules found %v, the others %v", only, others)
		}
		if name == "Role" && strings.Join(only, ",") != "" {
			t.Errorf("Role: inventory rules found %v, want nothing", only)
		}
		union := slices.DeleteFunc(append(others, only...), func(s string) bool { return s == "" })
		slices.Sort(union)
		if !slices.Equal(union, all) {
			t.Errorf("%s: all rules found %v, the two sets %v", name, all, union)
		}
	}
}

func TestInventoryMetadataMustBeBool(t *testing.T) {
	rule := `# METADATA
# title: T
# description: D
# custom:
#   id: my-rule
#   severity: info
#   kinds: [Job]
#   inventory: yes please
#   remediation: R.
package jobguard.rules.custom.my_rule

deny contains "x" if false
`
	_, err := policies.New(policies.WithPolicies(fstest.MapFS{"my_rule.rego": {Data: []byte(rule)}}))
	if err == nil || !strings.Contains(err.Error(), "custom.inventory must be true or false") {
		t.Errorf("New: %v, want an error about custom.inventory", err)
	}
}
