package policies

import (
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// RuleSet selects which of the rules that apply to an object one evaluation runs.
type RuleSet int

const (
	// AllRules runs every enabled rule of the object's kind (the default).
	AllRules RuleSet = iota
	// NonInventoryRules runs every rule but those marked `custom: inventory: true`, the ones that
	// need the cross-object inventory. Lint runs them as soon as an object is read.
	NonInventoryRules
	// InventoryRules runs only the rules marked `custom: inventory: true`. Lint runs them once
	// every file is read, on a summary of the object that holds what they read.
	InventoryRules
)

// WithRuleSet selects the rules one evaluation runs. Kinds with no inventory rule run every rule
// with NonInventoryRules and none with InventoryRules.
func WithRuleSet(s RuleSet) EvalOption { return func(o *evalOptions) { o.rules = s } }

// preparePartial prepares, for each kind that has an inventory rule, one query without the
// inventory rules and one with only them.
func (e *Engine) preparePartial(compiler *ast.Compiler, store storage.Store) error {
	e.partial = map[RuleSet]map[GroupKind]rego.PreparedEvalQuery{NonInventoryRules: {}, InventoryRules: {}}
	for gk, rules := range e.rulesByKind() {
		inventory := slices.DeleteFunc(slices.Clone(rules), func(r *Rule) bool { return !r.Inventory })
		if len(inventory) == 0 {
			continue
		}
		others := slices.DeleteFunc(rules, func(r *Rule) bool { return r.Inventory })
		for set, rules := range map[RuleSet][]*Rule{NonInventoryRules: others, InventoryRules: inventory} {
			pq, err := prepare(compiler, store, rules)
			if err != nil {
				return fmt.Errorf("preparing the query for %s: %w", gk, err)
			}
			e.partial[set][gk] = pq
		}
	}
	return nil
}

// partialQuery returns the query of a kind for a rule set other than AllRules.
func (e *Engine) partialQuery(gk GroupKind, set RuleSet) (rego.PreparedEvalQuery, bool) {
	if pq, ok := e.partial[set][gk]; ok {
		return pq, true
	}
	if set == NonInventoryRules { // no inventory rule for this kind: every rule
		pq, ok := e.queries[gk]
		return pq, ok
	}
	return rego.PreparedEvalQuery{}, false
}
