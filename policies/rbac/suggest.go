package rbac

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/workload"
)

// Suggest writes the smallest RBAC that lets a workload's kubectl commands run, as ready-to-apply
// YAML: a ServiceAccount of its own (never "default"), a Role and RoleBinding in each namespace the
// commands touch (a ClusterRole and ClusterRoleBinding only for cluster-scoped or all-namespaces
// requests), resourceNames wherever the target is literal, and a comment per rule naming the
// commands that need it. Optional requests (kubectl copes without them) are left out. Where a
// rule depends on the kubectl and cluster versions (kubectl.Request.Assumed), a comment says
// which were assumed and why: "# kubectl 1.31 lists before it watches".
func Suggest(w *workload.Workload) string {
	sa := suggestedAccount(w)
	var b strings.Builder
	fmt.Fprintf(&b, "# RBAC for %s %s/%s, written by jobguard rbac suggest.\n", w.Kind, w.Namespace, w.Name)
	fmt.Fprintf(&b, "# Run the pods as this ServiceAccount: set serviceAccountName: %s in the pod template.\n", sa.Name)
	for _, inv := range w.Invocations {
		if reason := inv.Unresolved; reason != "" {
			fmt.Fprintf(&b, "# Not covered: `%s` (%s); add what it needs by hand.\n", inv.Invocation.Text, strings.TrimPrefix(reason, "kubectl: "))
		}
	}

	scopes := map[string][]suggestedRule{} // namespace, or "" for cluster-wide
	for _, inv := range w.Invocations {
		for _, r := range inv.Requests {
			scope := r.Namespace
			if r.AllNamespaces {
				scope = ""
			}
			if r.Optional {
				// Left out; when that depends on the versions, say so at the rule it would join.
				if r.Assumed != "" {
					scopes[scope] = addNote(scopes[scope], r, fmt.Sprintf("%s: no %s", r.Assumed, r.Verb))
				}
				continue
			}
			scopes[scope] = addRequest(scopes[scope], r.Group, r.ResourcePath(), r.Verb, r.Name, inv.Invocation.Text)
			if r.Assumed != "" {
				scopes[scope] = addNote(scopes[scope], r, r.Assumed)
			}
		}
		if note := escalationNote(inv); note != "" {
			fmt.Fprintf(&b, "# Note: %s\n", note)
		}
	}
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n  namespace: %s\n", sa.Name, sa.Namespace)
	namespaces := make([]string, 0, len(scopes))
	for ns := range scopes {
		namespaces = append(namespaces, ns)
	}
	slices.Sort(namespaces)
	for _, ns := range namespaces {
		rules := mergeRules(scopes[ns])
		role, binding, name := "Role", "RoleBinding", sa.Name
		meta := fmt.Sprintf("  name: %s\n  namespace: %s\n", name, ns)
		if ns == "" {
			role, binding, name = "ClusterRole", "ClusterRoleBinding", sa.Namespace+"-"+sa.Name
			meta = fmt.Sprintf("  name: %s\n", name)
		}
		fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata:\n%srules:\n", role, meta)
		for _, r := range rules {
			for _, c := range r.commands {
				fmt.Fprintf(&b, "  # %s\n", c)
			}
			for _, n := range r.notes {
				fmt.Fprintf(&b, "  # %s\n", n)
			}
			fmt.Fprintf(&b, "  - apiGroups: [%s]\n    resources: [%s]\n    verbs: [%s]\n", quoted([]string{r.group}), quoted(r.resources), quoted(r.verbs))
			if len(r.names) > 0 {
				fmt.Fprintf(&b, "    resourceNames: [%s]\n", quoted(r.names))
			}
		}
		fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata:\n%s", binding, meta)
		fmt.Fprintf(&b, "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: %s\n  name: %s\n", role, name)
		fmt.Fprintf(&b, "subjects:\n  - kind: ServiceAccount\n    name: %s\n    namespace: %s\n", sa.Name, sa.Namespace)
	}
	return b.String()
}

// escalationNote says what the suggestion cannot grant of the API server's escalation check
// (pkg/registry/rbac/escalation_check.go). The mapper asks bind on the role a binding names
// (kubectl.Request.Escalation), which the rules above grant; writing a role takes every
// permission it grants, or escalate, which is not suggested: it lets the holder grant itself
// anything (rbac-escalation); and a role named at run time cannot be granted bind by name.
func escalationNote(inv workload.Invocation) string {
	var writesRole, writesBinding, binds bool
	var role string
	for _, r := range inv.Requests {
		if r.Group != "rbac.authorization.k8s.io" {
			continue
		}
		switch {
		case r.Escalation:
			binds = true
		case r.Verb == "create" && (r.Resource == "roles" || r.Resource == "clusterroles"):
			writesRole, role = true, r.Resource
		case r.Verb == "create" && (r.Resource == "rolebindings" || r.Resource == "clusterrolebindings"):
			writesBinding = true
		}
	}
	switch {
	case writesRole:
		return fmt.Sprintf("`%s` writes a role: the API server lets the ServiceAccount grant only permissions it holds itself; add them to its rules (or escalate on %s, which lets it grant itself anything).", inv.Invocation.Text, role)
	case writesBinding && !binds:
		return fmt.Sprintf("`%s` binds a role not named literally: add bind on it (rbac.authorization.k8s.io roles or clusterroles, resourceNames its name), or hold every permission it grants.", inv.Invocation.Text)
	}
	return ""
}

// suggestedRule is one PolicyRule being assembled, with the commands that need it.
type suggestedRule struct {
	group     string
	resources []string
	verbs     []string
	names     []string // empty: all objects
	commands  []string
	notes     []string // the kubectl and cluster versions a verb depends on (kubectl.Request.Assumed)
}

// addNote records, at the rule for r's resource and name (added by a request before it), which
// versions a verb of that rule, or its absence, depends on.
func addNote(rules []suggestedRule, r kubectl.Request, note string) []suggestedRule {
	resource, names := r.ResourcePath(), []string{}
	if r.Name != "" {
		names = []string{r.Name}
	}
	for i, rule := range rules {
		if rule.group == r.Group && slices.Equal(rule.resources, []string{resource}) && slices.Equal(rule.names, names) {
			rules[i].notes = appendNew(rule.notes, note)
			return rules
		}
	}
	return rules
}

// addRequest records that a command needs verb on group/resource (name "" for any object):
// first one rule per resource and name, with every verb it needs.
func addRequest(rules []suggestedRule, group, resource, verb, name, command string) []suggestedRule {
	names := []string{}
	if name != "" {
		names = []string{name}
	}
	for i, r := range rules {
		if r.group == group && slices.Equal(r.resources, []string{resource}) && slices.Equal(r.names, names) {
			rules[i].verbs = appendNew(r.verbs, verb)
			rules[i].commands = appendNew(r.commands, command)
			return rules
		}
	}
	return append(rules, suggestedRule{group: group, resources: []string{resource}, verbs: []string{verb}, names: names, commands: []string{command}})
}

// mergeRules joins rules that differ only in their object names, then only in their resources,
// so that the Role stays short without granting anything more.
func mergeRules(rules []suggestedRule) []suggestedRule {
	for i := range rules {
		slices.Sort(rules[i].verbs)
	}
	merge := func(rules []suggestedRule, same func(a, b suggestedRule) bool, join func(into *suggestedRule, from suggestedRule)) []suggestedRule {
		var out []suggestedRule
		for _, r := range rules {
			i := slices.IndexFunc(out, func(o suggestedRule) bool { return same(o, r) })
			if i < 0 {
				out = append(out, r)
				continue
			}
			join(&out[i], r)
			for _, c := range r.commands {
				out[i].commands = appendNew(out[i].commands, c)
			}
			for _, n := range r.notes {
				out[i].notes = appendNew(out[i].notes, n)
			}
		}
		return out
	}
	// Same group, resource and verbs, both with names: one rule listing every name.
	rules = merge(rules, func(a, b suggestedRule) bool {
		return a.group == b.group && slices.Equal(a.resources, b.resources) && slices.Equal(a.verbs, b.verbs) && len(a.names) > 0 && len(b.names) > 0
	}, func(into *suggestedRule, from suggestedRule) {
		for _, n := range from.names {
			into.names = appendNew(into.names, n)
		}
	})
	// Same group, verbs and names: one rule listing every resource.
	rules = merge(rules, func(a, b suggestedRule) bool {
		return a.group == b.group && slices.Equal(a.verbs, b.verbs) && slices.Equal(a.names, b.names)
	}, func(into *suggestedRule, from suggestedRule) {
		for _, r := range from.resources {
			into.resources = appendNew(into.resources, r)
		}
	})
	for i := range rules {
		slices.Sort(rules[i].names)
	}
	return rules
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
