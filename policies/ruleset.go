package policies

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
	// FixRules runs only the rules that can set a default (`custom: fix`): the only findings the
	// mutating webhook can use.
	FixRules
)

// inSet says which rules each RuleSet but AllRules runs.
var inSet = map[RuleSet]func(*Rule) bool{
	NonInventoryRules: func(r *Rule) bool { return !r.Inventory },
	InventoryRules:    func(r *Rule) bool { return r.Inventory },
	FixRules:          func(r *Rule) bool { return r.Fix != nil },
}

// WithRuleSet selects the rules one evaluation runs. A kind none of whose rules is in the set
// is not evaluated: no findings.
func WithRuleSet(s RuleSet) EvalOption { return func(o *evalOptions) { o.rules = s } }
