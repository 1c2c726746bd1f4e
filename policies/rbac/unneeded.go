package rbac

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jobguard/jobguard/policies/workload"
)

// Object names an RBAC object of the input.
type Object struct {
	Kind, Namespace, Name string
}

func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// DeleteCommand is the kubectl command that deletes the object.
func (o Object) DeleteCommand() string {
	cmd := "kubectl delete " + strings.ToLower(o.Kind) + " " + o.Name
	if o.Namespace != "" {
		cmd += " -n " + o.Namespace
	}
	return cmd
}

// Unneeded returns the RBAC objects of the inventory that the RBAC Suggest writes for its
// workloads makes unnecessary, sorted: bindings whose every subject is a ServiceAccount that only
// workloads of the input run as, each of them understood (Suggest covers all their commands), and
// the roles that only such bindings reference. Objects Suggest itself writes (the same kind,
// namespace and name) are left out: applying the output replaces them. So are objects defined
// more than once, and ClusterRoles with labels, which an aggregated ClusterRole may select.
//
// A binding whose subject is no workload's of the input, or a workload with a command not
// understood, keeps the binding and its role: something not in the input may need them.
func (inv *Inventory) Unneeded() []Object {
	written := map[Object]bool{}
	for _, w := range inv.Workloads() {
		if w.UsesAPI() {
			for _, o := range suggestedObjects(w) {
				written[o] = true
			}
		}
	}
	inv.mu.Lock()
	var all []*binding
	byRole := map[roleKey][]*binding{}
	for key, bs := range inv.byRole {
		all = append(all, bs...)
		byRole[key] = bs
	}
	ambiguous := maps.Clone(inv.ambiguous)
	inv.mu.Unlock()

	unneededBinding := map[*binding]bool{}
	var out []Object
	for _, b := range all {
		o := bindingObject(b)
		if written[o] || b.cluster && ambiguous["ClusterRoleBinding "+b.name] {
			continue
		}
		if _, ok := inv.usersOf(b.subjects, b.namespace); !ok {
			continue
		}
		unneededBinding[b] = true
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	for _, b := range all {
		if !unneededBinding[b] {
			continue
		}
		role := Object{Kind: b.roleRef.Kind, Name: b.roleRef.Name}
		if role.Kind == "Role" {
			role.Namespace = b.namespace
		}
		if slices.Contains(out, role) || written[role] || !inv.defines(role) {
			continue
		}
		// Every binding of the role (RoleBindings of a ClusterRole included) must go.
		stillBound := slices.ContainsFunc(byRole[roleKey{b.roleRef.Kind, b.roleRef.Name}], func(o *binding) bool {
			return (role.Kind == "ClusterRole" || o.namespace == role.Namespace) && !unneededBinding[o]
		})
		if !stillBound {
			out = append(out, role)
		}
	}
	// Bindings first: deleting them first never leaves a binding to a missing role.
	slices.SortFunc(out, func(a, b Object) int {
		aRole, bRole := !strings.HasSuffix(a.Kind, "Binding"), !strings.HasSuffix(b.Kind, "Binding")
		if aRole != bRole {
			if aRole {
				return 1
			}
			return -1
		}
		return strings.Compare(a.String(), b.String())
	})
	return out
}

// defines reports whether the input defines the role once, and nothing may aggregate it.
func (inv *Inventory) defines(role Object) bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if role.Kind == "Role" {
		key := role.Namespace + "/" + role.Name
		_, ok := inv.roles[key]
		return ok && !inv.ambiguous["Role "+key]
	}
	c, ok := inv.clusterRoles[role.Name]
	return ok && len(c.labels) == 0 && !inv.ambiguous["ClusterRole "+role.Name]
}

func bindingObject(b *binding) Object {
	if b.cluster {
		return Object{Kind: "ClusterRoleBinding", Name: b.name}
	}
	return Object{Kind: "RoleBinding", Namespace: b.namespace, Name: b.name}
}

// UnneededNote is the comment Suggest's caller prints after the suggestions: the objects to
// delete once the suggested RBAC is applied, or "" when there are none.
func UnneededNote(objs []Object) string {
	if len(objs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("# Once this RBAC is applied and the pods run as its ServiceAccounts, no Job or CronJob of the\n")
	b.WriteString("# input needs these RBAC objects of the input any more; delete them (and their manifests):\n")
	for _, o := range objs {
		fmt.Fprintf(&b, "#   %s\n", o.DeleteCommand())
	}
	return b.String()
}

// suggestedObjects are the RBAC objects Suggest writes for w (ServiceAccount aside), in every
// namespace a Role might go to: the namespaces of its requests.
func suggestedObjects(w *workload.Workload) []Object {
	sa := suggestedAccount(w)
	var out []Object
	for _, inv := range w.Invocations {
		for _, r := range inv.Requests {
			if r.AllNamespaces || r.Namespace == "" {
				name := sa.Namespace + "-" + sa.Name
				out = append(out, Object{Kind: "ClusterRole", Name: name}, Object{Kind: "ClusterRoleBinding", Name: name})
				continue
			}
			out = append(out, Object{Kind: "Role", Namespace: r.Namespace, Name: sa.Name}, Object{Kind: "RoleBinding", Namespace: r.Namespace, Name: sa.Name})
		}
	}
	return out
}

// suggestedAccount is the ServiceAccount Suggest runs w as: its own, never "default".
func suggestedAccount(w *workload.Workload) ServiceAccount {
	sa := w.ServiceAccount
	if !w.ServiceAccountSet || sa.Name == "default" {
		sa.Name = w.Name
	}
	return sa
}
