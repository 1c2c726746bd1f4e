package policies

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Rule is a rule's metadata, read from the `# METADATA` annotation of its package. There is no
// second list of rules in Go: this is the registry.
type Rule struct {
	ID          string   `json:"id"`
	Severity    Severity `json:"severity"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Remediation string   `json:"remediation"`
	// Kinds the rule applies to, as group/Kind ("batch/CronJob"; core kinds have an empty group: "/Pod").
	Kinds []GroupKind `json:"kinds"`
	// Params are the rule's parameters with their defaults; configuration overrides them.
	Params map[string]any `json:"params,omitempty"`
	// Fix describes the default the rule can inject, if any.
	Fix *FixSpec `json:"fix,omitempty"`
	// Sources are the METADATA related_resources: the source code, at the Kubernetes release
	// jobguard targets, that shows each claim of the description and messages.
	Sources []Source `json:"sources,omitempty"`
	// File is the Rego file that defines the rule.
	File string `json:"file"`
	// Inventory marks a rule that needs the cross-object inventory (custom.inventory: true): it
	// asks the access checker about other objects (jobguard.rbac.check, jobguard.rbac.excess).
	// Lint evaluates such rules only once every file is read, on the object's identity and a
	// workload's model (Batch), and every other rule at once; see WithRuleSet.
	Inventory bool `json:"inventory,omitempty"`

	pkg ast.Ref // data.jobguard.rules.<area>.<id with underscores>

	// readsWorkload: the rule refers to input.workload (the model is built for it).

	readsWorkload bool
}

// FixSpec documents a rule's fix: which field it sets and to what.
type FixSpec struct {
	// Field is the field path the fix sets, relative to the object.
	Field string `json:"field"`
	// Param names the rule parameter that holds the injected value; empty for a constant.
	Param string `json:"param,omitempty"`
	// Value is the constant injected when Param is empty.
	Value any `json:"value,omitempty"`
	// OptIn marks a fix that changes behaviour: it is applied only when configured.
	OptIn bool `json:"optIn,omitempty"`
}

// Source is one related_resources entry: where to read a claim, and what that place shows.
type Source struct {
	Ref         string `json:"ref"`
	Description string `json:"description,omitempty"`
}

// GroupKind identifies a kind of object independently of its API version.
type GroupKind struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
}

func (gk GroupKind) String() string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Group + "/" + gk.Kind
}

// AnyGroup as the group of a rule's kind ("*/Job") makes the rule check objects of that kind in
// every API group, including groups no other rule checks (deprecated-api: extensions/v1beta1 Job).
const AnyGroup = "*"

// knownGroups lets rule metadata name kinds without their group.
var knownGroups = map[string]string{
	"Job":                "batch",
	"CronJob":            "batch",
	"Role":               "rbac.authorization.k8s.io",
	"ClusterRole":        "rbac.authorization.k8s.io",
	"RoleBinding":        "rbac.authorization.k8s.io",
	"ClusterRoleBinding": "rbac.authorization.k8s.io",
}

// BuiltinKinds lists the kinds the built-in rules know with their API group (Job: batch), so that
// readers can tell a misspelt kind from one nothing checks.
func BuiltinKinds() map[string]string { return maps.Clone(knownGroups) }

// parseGroupKind reads "Kind" (group from knownGroups, else core), "group/Kind" or "*/Kind".
func parseGroupKind(s string) GroupKind {
	if group, kind, ok := strings.Cut(s, "/"); ok {
		return GroupKind{Group: group, Kind: kind}
	}
	return GroupKind{Group: knownGroups[s], Kind: s}
}

// rulesPrefix is where rule packages live; a package under it without a custom.id is an error.
var rulesPrefix = ast.MustParseRef("data.jobguard.rules")

// ruleFromModule reads the metadata of a rule module. It returns nil, nil for modules outside
// data.jobguard.rules (libraries).
func ruleFromModule(file string, m *ast.Module) (*Rule, error) {
	if !m.Package.Path.HasPrefix(rulesPrefix) {
		return nil, nil
	}
	var ann *ast.Annotations
	for _, a := range m.Annotations {
		if a.Scope == "package" {
			ann = a
		}
	}
	if ann == nil {
		return nil, fmt.Errorf("%s: package %s has no `# METADATA` block with scope package", file, m.Package.Path)
	}
	r := &Rule{
		Title:       strings.TrimSpace(ann.Title),
		Description: strings.TrimSpace(ann.Description),
		File:        file,
		pkg:         m.Package.Path,
	}
	var errs []error
	for _, rr := range ann.RelatedResources {
		if rr == nil || rr.Ref.String() == "" {
			errs = append(errs, errors.New("related_resources: every entry needs a ref"))
			continue
		}
		r.Sources = append(r.Sources, Source{Ref: rr.Ref.String(), Description: strings.TrimSpace(rr.Description)})
	}
	field := func(name string) string {
		v, ok := ann.Custom[name].(string)
		if !ok || strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("custom.%s must be a non-empty string", name))
		}
		return strings.TrimSpace(v)
	}
	r.ID = field("id")
	r.Remediation = field("remediation")
	sev, err := ParseSeverity(field("severity"))
	if err != nil {
		errs = append(errs, fmt.Errorf("custom.severity: %w", err))
	}
	r.Severity = sev
	if r.Title == "" {
		errs = append(errs, errors.New("title is missing"))
	}
	if r.Description == "" {
		errs = append(errs, errors.New("description is missing"))
	}
	if want := strings.ReplaceAll(r.ID, "-", "_"); r.ID != "" && m.Package.Path[len(m.Package.Path)-1].Value.Compare(ast.String(want)) != 0 {
		errs = append(errs, fmt.Errorf("the package name must be the rule id with underscores (%s)", want))
	}
	kinds, _ := ann.Custom["kinds"].([]any)
	for _, k := range kinds {
		if s, ok := k.(string); ok && s != "" {
			r.Kinds = append(r.Kinds, parseGroupKind(s))
		}
	}
	if len(r.Kinds) == 0 || len(r.Kinds) != len(kinds) {
		errs = append(errs, errors.New("custom.kinds must be a non-empty list of kind names"))
	}
	if p, ok := ann.Custom["params"]; ok {
		if r.Params, ok = p.(map[string]any); !ok {
			errs = append(errs, errors.New("custom.params must be a map"))
		}
	}
	if v, ok := ann.Custom["inventory"]; ok {
		if r.Inventory, ok = v.(bool); !ok {
			errs = append(errs, errors.New("custom.inventory must be true or false"))
		}
	}
	if f, ok := ann.Custom["fix"]; ok {
		if r.Fix, err = parseFixSpec(f, r.Params); err != nil {
			errs = append(errs, fmt.Errorf("custom.fix: %w", err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: rule metadata: %w", file, errors.Join(errs...))
	}
	return r, nil
}

func parseFixSpec(v any, params map[string]any) (*FixSpec, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("must be a map with field, and param or value")
	}
	fs := &FixSpec{Value: m["value"]}
	fs.Field, _ = m["field"].(string)
	fs.Param, _ = m["param"].(string)
	fs.OptIn, _ = m["optIn"].(bool)
	switch {
	case fs.Field == "":
		return nil, errors.New("field is missing")
	case fs.Param != "":
		if _, ok := params[fs.Param]; !ok {
			return nil, fmt.Errorf("param %q is not declared in custom.params", fs.Param)
		}
	case fs.Value == nil:
		return nil, errors.New("needs param or value")
	}
	return fs, nil
}

// AppliesTo reports whether the rule checks objects of this group and kind.
func (r *Rule) AppliesTo(gk GroupKind) bool { return slices.Contains(r.Kinds, gk) }
