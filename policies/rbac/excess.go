package rbac

import (
	"github.com/jobguard/jobguard/policies/workload"

	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	rbacvalidation "k8s.io/component-helpers/auth/rbac/validation"

	"github.com/jobguard/jobguard/policies/kubectl"
)

// Excess is a grant that no workload of the input needs, at a field of the RBAC object.
type Excess struct {
	Path    []any  `json:"path"`
	Message string `json:"message"`
}

// users are the workloads that run as the subjects of some bindings, and what they request.
type users struct {
	workloads []*workload.Workload
	requests  []kubectl.Request
}

// names lists the workloads, sorted: lint adds them in the order it happens to read files.
func (u users) names() string {
	var names []string
	for _, w := range u.workloads {
		names = appendNew(names, w.Kind+" "+w.Name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// usersOf returns the workloads that run as the subjects; ok is false when the grants cannot be
// judged: a subject that is not a ServiceAccount, a ServiceAccount with no workload in the input,
// or a workload whose commands are not all understood.
func (inv *Inventory) usersOf(subjects []rbacv1.Subject, bindingNamespace string) (u users, ok bool) {
	if len(subjects) == 0 {
		return u, false
	}
	for _, s := range subjects {
		if s.Kind != rbacv1.ServiceAccountKind {
			return u, false
		}
		ns := cmpOr(s.Namespace, bindingNamespace)
		inv.mu.Lock()
		named := inv.workloadsByName[s.Name]
		inv.mu.Unlock()
		var found []*workload.Workload
		for _, w := range named {
			// A subject namespace that cannot exist (exampleNamespace) still shows whom the binding was meant for.
			if w.ServiceAccount.Namespace == ns || len(validation.IsDNS1123Label(ns)) > 0 {
				found = append(found, w)
			}
		}
		if len(found) == 0 {
			return u, false
		}
		for _, w := range found {
			if !w.Understood() {
				return u, false
			}
			for _, inv := range w.Invocations {
				u.requests = append(u.requests, inv.Requests...)
			}
			if !slices.Contains(u.workloads, w) {
				u.workloads = append(u.workloads, w)
			}
		}
	}
	return u, len(u.requests) > 0
}

// ExcessOf reports what an RBAC object grants beyond what the input's workloads need: a
// ClusterRoleBinding where RoleBindings would do, verbs and resources no command uses, exec or
// scale on every object where resourceNames would do. It says nothing when it cannot judge.
func (inv *Inventory) ExcessOf(kind, namespace, name string) []Excess {
	namespace = cmpOr(namespace, inv.namespace)
	switch kind {
	case "ClusterRoleBinding":
		return inv.clusterBindingExcess(name)
	case "Role", "ClusterRole":
		return inv.roleExcess(kind, namespace, name)
	}
	return nil
}

func (inv *Inventory) clusterBindingExcess(name string) []Excess {
	inv.mu.Lock()
	b, ambiguous := inv.clusterBinding[name], inv.ambiguous["ClusterRoleBinding "+name]
	inv.mu.Unlock()
	if b == nil || ambiguous {
		return nil
	}
	u, ok := inv.usersOf(b.subjects, "")
	if !ok {
		return nil
	}
	var namespaces []string
	for _, r := range u.requests {
		if r.ClusterScoped() || r.AllNamespaces {
			return nil // something needs the cluster-wide grant
		}
		if !slices.Contains(namespaces, r.Namespace) {
			namespaces = append(namespaces, r.Namespace)
		}
	}
	slices.Sort(namespaces)
	return []Excess{{
		Path: []any{"roleRef"},
		Message: fmt.Sprintf("grants %s %s in every namespace, but %s needs it only in %s: use a Role and a RoleBinding in each (`jobguard rbac suggest` writes them)",
			b.roleRef.Kind, b.roleRef.Name, u.names(), quoteList(namespaces)),
	}}
}

// roleExcess checks each verb, resource and missing resourceNames of a role's own rules against
// the requests of every workload bound to it.
func (inv *Inventory) roleExcess(kind, namespace, name string) []Excess {
	inv.mu.Lock()
	var rules []rbacv1.PolicyRule
	var found bool
	if kind == "Role" {
		rules, found = inv.roles[namespace+"/"+name]
		found = found && !inv.ambiguous["Role "+namespace+"/"+name]
	} else if r, ok := inv.clusterRoles[name]; ok && r.aggregation == nil && !inv.ambiguous["ClusterRole "+name] {
		rules, found = r.rules, true
	}
	// RoleBindings first, then ClusterRoleBindings (the order matters only to messages, which
	// name the workloads sorted).
	var subjects [][]rbacv1.Subject
	var bindingNamespaces []string
	for _, cluster := range []bool{false, true} {
		for _, b := range inv.byRole[roleKey{kind, name}] {
			if b.cluster == cluster && (kind == "ClusterRole" || b.namespace == namespace) {
				subjects, bindingNamespaces = append(subjects, b.subjects), append(bindingNamespaces, b.namespace)
			}
		}
	}
	inv.mu.Unlock()
	if !found || len(subjects) == 0 {
		return nil
	}
	var all users
	for i, s := range subjects {
		u, ok := inv.usersOf(s, bindingNamespaces[i])
		if !ok {
			return nil
		}
		all.workloads = append(all.workloads, u.workloads...)
		all.requests = append(all.requests, u.requests...)
	}
	var out []Excess
	for i, rule := range rules {
		if len(rule.NonResourceURLs) > 0 {
			continue
		}
		for j, verb := range rule.Verbs {
			if !standardVerbs[verb] {
				continue // rbac-unknown-verb reports verbs that grant nothing
			}
			narrowed := rule
			narrowed.Verbs = []string{verb}
			if !coversAny(narrowed, all.requests) {
				out = append(out, Excess{
					Path:    []any{"rules", i, "verbs", j},
					Message: fmt.Sprintf("verb %q on %s is used by no command of %s; remove it", verb, strings.Join(rule.Resources, ", "), all.names()),
				})
			}
		}
		for j, resource := range rule.Resources {
			narrowed := rule
			narrowed.Resources = []string{resource}
			if !coversAny(narrowed, all.requests) {
				out = append(out, Excess{
					Path:    []any{"rules", i, "resources", j},
					Message: fmt.Sprintf("resource %q is used by no command of %s; remove it", resource, all.names()),
				})
			}
		}
		if names, ok := literalNames(rule, all.requests); ok && len(rule.ResourceNames) == 0 {
			out = append(out, Excess{
				Path: []any{"rules", i},
				Message: fmt.Sprintf("grants %s on every object of %s; the commands of %s touch only %s: add resourceNames: [%s]",
					strings.Join(rule.Verbs, ", "), strings.Join(rule.Resources, ", "), all.names(), quoteList(names), quoteList(names)),
			})
		}
	}
	return out
}

var standardVerbs = map[string]bool{"*": true, "get": true, "list": true, "watch": true, "create": true,
	"update": true, "patch": true, "delete": true, "deletecollection": true}

func coversAny(rule rbacv1.PolicyRule, reqs []kubectl.Request) bool {
	for _, r := range reqs {
		if ok, _ := rbacvalidation.Covers([]rbacv1.PolicyRule{rule}, []rbacv1.PolicyRule{r.PolicyRule()}); ok {
			return true
		}
	}
	return false
}

// literalNames returns the object names of the exec and scale requests a rule allows, when every
// one of them names its object: then resourceNames can narrow the rule. Other rules are left alone.
func literalNames(rule rbacv1.PolicyRule, reqs []kubectl.Request) ([]string, bool) {
	var names []string
	for _, r := range reqs {
		if !dangerous(r) {
			continue
		}
		if ok, _ := rbacvalidation.Covers([]rbacv1.PolicyRule{rule}, []rbacv1.PolicyRule{r.PolicyRule()}); !ok {
			continue
		}
		if r.Name == "" {
			return nil, false
		}
		if !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	slices.Sort(names)
	return names, len(names) > 0
}

// dangerous requests are the ones whose rules should name their objects: exec into pods and
// scaling workloads.
func dangerous(r kubectl.Request) bool {
	return r.Resource == "pods" && (r.Subresource == "exec" || r.Subresource == "attach" || r.Subresource == "portforward") ||
		r.Subresource == "scale"
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
