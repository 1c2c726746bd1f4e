// Package policies is jobguard's rule engine: it loads the Rego rules (the bundled ones under
// rules/, custom ones from WithPolicyDir), checks their `# METADATA` contract, compiles them once
// with the jobguard.* Go builtins, and evaluates Kubernetes objects against them.
//
// The rules run as OPA plans them (package irvm runs the plan, calling OPA's builtins and ours):
// several times faster than OPA's top-down evaluator, which still runs a rule that fails at run
// time, to name it and say why in OPA's words, and custom rules OPA cannot plan.
//
// Engine.Evaluate judges one object, as the webhook does; Batch judges a set of objects that refer
// to each other, as lint does, running the rules that need the RBAC inventory (custom.inventory)
// once every object is added. Rules read input.object, and for a Job or CronJob input.workload,
// the model of package workload. Findings carry a field path; front ends turn it into a position.
//
// Subpackages: workload (the model of a Job), kubectl (the API requests a kubectl command makes),
// rbac (the inventory, RBAC checks and suggestions), irvm (the evaluator of OPA's plans).
package policies
