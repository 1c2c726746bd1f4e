package policies_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/policies"
)

// TestRuleSets: NonInventoryRules and InventoryRules split AllRules between them, for a Job whose
// inventory rule finds something without other objects, and a Role, whose inventory rule
// (rbac-overbroad) has no workload to judge it by.
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
	if got := strings.Join(inventory, ","); got != "rbac-insufficient,rbac-overbroad" {
		t.Errorf("inventory rules: %s, want rbac-insufficient,rbac-overbroad", got)
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

// TestFixRules: FixRules finds exactly what AllRules finds with the rules that have a fix, on
// every fixture: every finding that carries a fix (the mutating webhook uses no other).
func TestFixRules(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*", "*.yaml"))
	if err != nil || len(files) < 40 {
		t.Fatalf("fixtures: %d, %v", len(files), err)
	}
	fixing := map[string]bool{}
	for _, r := range engine.Rules() {
		fixing[r.ID] = r.Fix != nil
	}
	ctx := context.Background()
	withFix := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(data), "\n---\n") {
			var m map[string]any
			if yaml.Unmarshal([]byte(doc), &m) != nil || m == nil {
				continue
			}
			obj := object(t, m)
			all, err := engine.Evaluate(ctx, obj)
			if err != nil {
				t.Fatal(err)
			}
			fixes, err := engine.Evaluate(ctx, obj, policies.WithRuleSet(policies.FixRules))
			if err != nil {
				t.Fatal(err)
			}
			want := slices.DeleteFunc(all, func(f policies.Finding) bool {
				if f.Fix != nil {
					withFix++
				}
				return !fixing[f.Rule]
			})
			if (len(fixes) > 0 || len(want) > 0) && !reflect.DeepEqual(fixes, want) {
				t.Errorf("%s, document %d: FixRules found %s, AllRules with the rules that fix %s", file, i, rules(fixes), rules(want))
			}
		}
	}
	if withFix < 10 {
		t.Errorf("only %d findings with a fix in the fixtures; the test proves little", withFix)
	}
}

// TestInventoryCallNeedsInventoryMetadata: a rule that asks the inventory (jobguard.rbac.excess)
// must say so (custom.inventory), or lint would run it before every file is read; the error names
// the call's place and what to add, and the marked rule loads.
func TestInventoryCallNeedsInventoryMetadata(t *testing.T) {
	const rule = `# METADATA
# title: T
# description: D
# custom:
#   id: my-rule
#   severity: info
#   kinds: [Role]%s
#   remediation: R.
package jobguard.rules.custom.my_rule

deny contains e.message if {
	some e in jobguard.rbac.excess("Role", "a", input.object.metadata.name)
}
`
	load := func(extra string) error {
		_, err := policies.New(policies.WithPolicies(fstest.MapFS{"my_rule.rego": {Data: []byte(fmt.Sprintf(rule, extra))}}))
		return err
	}
	err := load("")
	if err == nil || !strings.Contains(err.Error(), "my_rule.rego:12:") || !strings.Contains(err.Error(), "rule my-rule calls jobguard.rbac.excess") ||
		!strings.Contains(err.Error(), "add `inventory: true` under custom") {
		t.Errorf("New: %v, want the call's file and line, the rule, the builtin and what to add", err)
	}
	if err := load("\n#   inventory: true"); err != nil {
		t.Errorf("New with inventory: true: %v", err)
	}
}
