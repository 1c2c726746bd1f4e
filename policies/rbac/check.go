package rbac

import (
	"cmp"
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

// grants lists what sa holds through the bindings of the inventory, ClusterRoleBindings first.
func (inv *Inventory) grants(sa ServiceAccount) []grant {
	inv.mu.Lock()
	bound := slices.Concat(inv.boundAccounts[sa], inv.boundNamespaces[sa.Namespace], inv.boundAll)
	inv.mu.Unlock()
	slices.SortFunc(bound, func(a, b *binding) int { return cmp.Or(a.compare(b), cmp.Compare(a.seq, b.seq)) })
	bound = slices.Compact(bound) // a binding naming sa both directly and as a group
	out := make([]grant, 0, len(bound))
	for _, b := range bound {
		rules, ok := inv.roleRefRules(b.namespace, b.roleRef)
		out = append(out, grant{binding: b.String(), namespace: b.namespace, rules: rules, roleMissing: !ok})
	}
	return out
}

// Knows reports whether the inventory says anything about sa's RBAC: a binding names a
// ServiceAccount of that name (in any namespace: a wrong namespace is a mistake worth reporting),
// or the ServiceAccount object itself is in the input.
func (inv *Inventory) Knows(sa ServiceAccount) bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	_, defined := inv.serviceAccounts[sa]
	return defined || inv.accountSubjects[sa.Name] != nil
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
	if ok, _ := validation.Covers(owned, []rbacv1.PolicyRule{req.PolicyRule()}); ok {
		return Verdict{Known: true, Allowed: true}, nil
	}
	if req.Escalation && inv.holdsRole(owned, req) {
		return Verdict{Known: true, Allowed: true}, nil
	}
	v := Verdict{Known: true, Note: inv.nearMiss(sa)}
	if len(missingRoles) > 0 {
		v.Note = fmt.Sprintf("the role of %s is not in the input, so its rules are unknown", missingRoles[0])
	}
	return v, nil
}

// nearMiss explains why no binding applies when one names the ServiceAccount in another
// namespace: the first such binding, ClusterRoleBindings first.
func (inv *Inventory) nearMiss(sa ServiceAccount) string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	named := inv.accountSubjects[sa.Name]
	if named == nil {
		return ""
	}
	s := named.firstOutside(sa.Namespace)
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%s names ServiceAccount %s in namespace %q, not %q, so it does not apply", s.binding, sa.Name, s.namespace, sa.Namespace)
}

// holdsRole answers the other half of the escalation check a bind request stands for
// (BindingAuthorized in pkg/registry/rbac/escalation_check.go): creating a binding is allowed
// without bind when the creator already holds every permission of the role it binds.
func (inv *Inventory) holdsRole(owned []rbacv1.PolicyRule, req kubectl.Request) bool {
	kind := "Role"
	if req.Resource == "clusterroles" {
		kind = "ClusterRole"
	}
	rules, known := inv.roleRefRules(req.Namespace, rbacv1.RoleRef{Kind: kind, Name: req.Name})
	if !known {
		return false
	}
	covered, _ := validation.Covers(owned, rules)
	return covered
}
