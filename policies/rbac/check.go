package rbac

import (
	"context"
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/component-helpers/auth/rbac/validation"

	"github.com/jobguard/jobguard/policies/kubectl"
)

// Verdict answers whether a ServiceAccount may make a request.
type Verdict struct {
	// Known is false when nothing is known of the ServiceAccount's RBAC (no binding in the input
	// names it), so Allowed means nothing.
	Known   bool `json:"known"`
	Allowed bool `json:"allowed"`
	// Note explains a denial when something near-miss is in the inventory: a binding for the same
	// ServiceAccount name in another namespace, a binding to a role that is not in the input.
	Note string `json:"note,omitempty"`
}

// grant is a set of rules a ServiceAccount holds through one binding.
type grant struct {
	binding     string // "ClusterRoleBinding restart-binding"
	namespace   string // "" for cluster-wide
	rules       []rbacv1.PolicyRule
	roleMissing bool
}

// grants lists what sa holds through the bindings of the inventory.
func (inv *Inventory) grants(sa ServiceAccount) []grant {
	inv.mu.Lock()
	rbs, crbs := slices.Clone(inv.roleBindings), slices.Clone(inv.clusterRoleBindings)
	inv.mu.Unlock()
	var out []grant
	for _, b := range crbs {
		if slices.ContainsFunc(b.Subjects, func(s rbacv1.Subject) bool { return subjectIs(s, "", sa) }) {
			rules, ok := inv.roleRefRules("", b.RoleRef)
			out = append(out, grant{binding: "ClusterRoleBinding " + b.Name, rules: rules, roleMissing: !ok})
		}
	}
	for _, b := range rbs {
		if slices.ContainsFunc(b.Subjects, func(s rbacv1.Subject) bool { return subjectIs(s, b.Namespace, sa) }) {
			rules, ok := inv.roleRefRules(b.Namespace, b.RoleRef)
			out = append(out, grant{binding: "RoleBinding " + b.Namespace + "/" + b.Name, namespace: b.Namespace, rules: rules, roleMissing: !ok})
		}
	}
	return out
}

// Knows reports whether the inventory says anything about sa's RBAC: a binding names a
// ServiceAccount of that name (in any namespace: a wrong namespace is a mistake worth reporting),
// or the ServiceAccount object itself is in the input.
func (inv *Inventory) Knows(sa ServiceAccount) bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.serviceAccounts[sa] {
		return true
	}
	names := func(subjects []rbacv1.Subject) bool {
		return slices.ContainsFunc(subjects, func(s rbacv1.Subject) bool {
			return s.Kind == rbacv1.ServiceAccountKind && s.Name == sa.Name
		})
	}
	return slices.ContainsFunc(inv.roleBindings, func(b *rbacv1.RoleBinding) bool { return names(b.Subjects) }) ||
		slices.ContainsFunc(inv.clusterRoleBindings, func(b *rbacv1.ClusterRoleBinding) bool { return names(b.Subjects) })
}

// PolicyRule is the narrowest rule that allows req.
func PolicyRule(req kubectl.Request) rbacv1.PolicyRule {
	resource := req.Resource
	if req.Subresource != "" {
		resource += "/" + req.Subresource
	}
	rule := rbacv1.PolicyRule{APIGroups: []string{req.Group}, Resources: []string{resource}, Verbs: []string{req.Verb}}
	if req.Name != "" {
		rule.ResourceNames = []string{req.Name}
	}
	return rule
}

// Check answers from the inventory whether sa may make req.
func (inv *Inventory) Check(_ context.Context, sa ServiceAccount, req kubectl.Request) (Verdict, error) {
	if !inv.Knows(sa) {
		return Verdict{}, nil
	}
	var owned []rbacv1.PolicyRule
	var missingRoles []string
	for _, g := range inv.grants(sa) {
		// A RoleBinding grants only in its namespace; a namespaced request elsewhere, a
		// cluster-scoped one or one across all namespaces needs a ClusterRoleBinding.
		if g.namespace != "" && (req.AllNamespaces || req.Namespace != g.namespace) {
			continue
		}
		if g.roleMissing {
			missingRoles = append(missingRoles, g.binding)
		}
		owned = append(owned, g.rules...)
	}
	if ok, _ := validation.Covers(owned, []rbacv1.PolicyRule{PolicyRule(req)}); ok {
		return Verdict{Known: true, Allowed: true}, nil
	}
	v := Verdict{Known: true, Note: inv.nearMiss(sa)}
	if len(missingRoles) > 0 {
		v.Note = fmt.Sprintf("the role of %s is not in the input, so its rules are unknown", missingRoles[0])
	}
	return v, nil
}

// nearMiss explains why no binding applies when one names the ServiceAccount in another namespace.
func (inv *Inventory) nearMiss(sa ServiceAccount) string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	check := func(kind, name string, subjects []rbacv1.Subject) string {
		for _, s := range subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Name == sa.Name && s.Namespace != sa.Namespace {
				return fmt.Sprintf("%s %s names ServiceAccount %s in namespace %q, not %q, so it does not apply", kind, name, s.Name, s.Namespace, sa.Namespace)
			}
		}
		return ""
	}
	for _, b := range inv.clusterRoleBindings {
		if n := check("ClusterRoleBinding", b.Name, b.Subjects); n != "" {
			return n
		}
	}
	for _, b := range inv.roleBindings {
		if n := check("RoleBinding", b.Namespace+"/"+b.Name, b.Subjects); n != "" {
			return n
		}
	}
	return ""
}
