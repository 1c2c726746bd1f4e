package rbac

import (
	"github.com/jobguard/jobguard/policies/workload"

	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/policies/kubectl"
)

// inventory adds docs (YAML flow style) as lint does: Jobs and CronJobs as their models.
func inventory(t *testing.T, docs ...string) *Inventory {
	t.Helper()
	inv := NewInventory("")
	for _, d := range docs {
		obj := object(t, d)
		if w, ok := workload.Of(obj, workload.Options{}); ok {
			inv.AddWorkload(w)
			continue
		}
		if err := inv.Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	return inv
}

func object(t *testing.T, doc string) ast.Object {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	v, err := ast.InterfaceToValue(m)
	if err != nil {
		t.Fatal(err)
	}
	return v.(ast.Object)
}

func model(t *testing.T, doc string) *workload.Workload {
	t.Helper()
	w, ok := workload.Of(object(t, doc), workload.Options{})
	if !ok {
		t.Fatalf("not a Job or CronJob: %s", doc)
	}
	return w
}

const (
	roleGetPods = `{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r, namespace: a},
  rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]}`
	bindingInA = `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: a},
  roleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: sa, namespace: ci}]}`
	aggregate = `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: agg},
  aggregationRule: {clusterRoleSelectors: [{matchLabels: {team: ops}}]}, rules: []}`
	part = `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: part, labels: {team: ops}},
  rules: [{apiGroups: [apps], resources: [deployments/scale], verbs: [patch]}]}`
	clusterBinding = `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: cb},
  roleRef: {kind: ClusterRole, name: agg, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: sa, namespace: ci}]}`
)

func check(t *testing.T, inv *Inventory, sa ServiceAccount, req kubectl.Request) Verdict {
	t.Helper()
	v, err := inv.Check(context.Background(), sa, req)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCheckRoleBindingIsNamespaced(t *testing.T) {
	inv := inventory(t, roleGetPods, bindingInA)
	sa := ServiceAccount{Namespace: "ci", Name: "sa"}
	if v := check(t, inv, sa, kubectl.Request{Resource: "pods", Verb: "get", Namespace: "a", Name: "p"}); !v.Known || !v.Allowed {
		t.Errorf("get pods in a: %+v, want allowed", v)
	}
	for _, req := range []kubectl.Request{
		{Resource: "pods", Verb: "get", Namespace: "b"},
		{Resource: "pods", Verb: "get", AllNamespaces: true},
		{Resource: "pods", Verb: "list", Namespace: "a"},
		{Resource: "pods", Subresource: "exec", Verb: "create", Namespace: "a"},
	} {
		if v := check(t, inv, sa, req); !v.Known || v.Allowed {
			t.Errorf("%s: %+v, want denied", req, v)
		}
	}
	if v := check(t, inv, ServiceAccount{Namespace: "ci", Name: "other"}, kubectl.Request{Resource: "pods", Verb: "get", Namespace: "a"}); v.Known {
		t.Errorf("a ServiceAccount no binding names is known: %+v", v)
	}
}

func TestCheckAggregatedClusterRole(t *testing.T) {
	inv := inventory(t, aggregate, part, clusterBinding)
	req := kubectl.Request{Group: "apps", Resource: "deployments", Subresource: "scale", Verb: "patch", Namespace: "x", Name: "web"}
	if v := check(t, inv, ServiceAccount{Namespace: "ci", Name: "sa"}, req); !v.Allowed {
		t.Errorf("aggregated rule not applied: %+v", v)
	}
}

func TestCheckNearMiss(t *testing.T) {
	inv := inventory(t, roleGetPods, bindingInA)
	v := check(t, inv, ServiceAccount{Namespace: "default", Name: "sa"}, kubectl.Request{Resource: "pods", Verb: "get", Namespace: "a"})
	if !v.Known || v.Allowed || !strings.Contains(v.Note, `names ServiceAccount sa in namespace "ci", not "default"`) {
		t.Errorf("verdict %+v", v)
	}
}

const flushJob = `{apiVersion: batch/v1, kind: Job, metadata: {name: flush, namespace: ci}, spec: {template: {spec: {
  serviceAccountName: sa, restartPolicy: Never,
  containers: [{name: c, image: k, command: [sh, -c, "kubectl exec redis-0 -n cache -- redis-cli flushall"]}]}}}}`

func TestExcess(t *testing.T) {
	role := `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: wide},
  rules: [{apiGroups: [""], resources: [pods, services], verbs: [get, list]}, {apiGroups: [""], resources: [pods/exec], verbs: [create]}]}`
	binding := `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: wide},
  roleRef: {kind: ClusterRole, name: wide, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: sa, namespace: ci}]}`
	inv := inventory(t, flushJob, role, binding)
	var got []string
	for _, e := range inv.ExcessOf("ClusterRole", "", "wide") {
		got = append(got, ast.MustInterfaceToValue(e.Path).String()+" "+e.Message)
	}
	want := []string{
		`["rules", 0, "verbs", 1] verb "list" on pods, services is used by no command of Job flush; remove it`,
		`["rules", 0, "resources", 1] resource "services" is used by no command of Job flush; remove it`,
		`["rules", 1] grants create on every object of pods/exec; the commands of Job flush touch only "redis-0": add resourceNames: ["redis-0"]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("excess:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	cb := inv.ExcessOf("ClusterRoleBinding", "", "wide")
	if len(cb) != 1 || !strings.Contains(cb[0].Message, `needs it only in "cache"`) {
		t.Errorf("ClusterRoleBinding excess = %+v", cb)
	}
}

func TestExcessNeedsKnownUsers(t *testing.T) {
	role := `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: wide}, rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]}`
	toGroup := `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: wide},
  roleRef: {kind: ClusterRole, name: wide, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]}`
	if e := inventory(t, flushJob, role, toGroup).ExcessOf("ClusterRole", "", "wide"); len(e) != 0 {
		t.Errorf("judged a role bound to a group: %+v", e)
	}
}

func TestSuggestMergesAndScopes(t *testing.T) {
	job := `{apiVersion: batch/v1, kind: CronJob, metadata: {name: rotate, namespace: ops}, spec: {schedule: "@daily", jobTemplate: {spec: {template: {spec: {
  restartPolicy: Never, containers: [{name: c, image: k, command: [sh, -c,
  "kubectl rollout restart deploy/a -n shop && kubectl rollout restart deploy/b -n shop && kubectl get nodes && kubectl apply -f \"$F\""]}]}}}}}}`
	out := Suggest(model(t, job))
	for _, want := range []string{
		"name: rotate\n  namespace: ops\n", // its own ServiceAccount, not default
		`resources: ["deployments"]` + "\n    verbs: [\"get\", \"patch\"]\n    resourceNames: [\"a\", \"b\"]", // merged names
		"kind: ClusterRole\nmetadata:\n  name: ops-rotate\n",                                                  // nodes are cluster-scoped
		"# Not covered: `kubectl apply -f \"$F\"`",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("suggestion lacks %q:\n%s", want, out)
		}
	}
}

// TestCheckSubjectForms: a ServiceAccount is granted through every way a binding can name it
// (as itself, as its User, as its namespace's group, as all ServiceAccounts' group) and through
// no other namespace's group.
func TestCheckSubjectForms(t *testing.T) {
	req := kubectl.Request{Resource: "pods", Verb: "get", Namespace: "a"}
	sa := ServiceAccount{Namespace: "ci", Name: "sa"}
	for _, c := range []struct {
		subject string
		allowed bool
	}{
		{`{kind: ServiceAccount, name: sa, namespace: ci}`, true},
		{`{kind: User, name: "system:serviceaccount:ci:sa", apiGroup: rbac.authorization.k8s.io}`, true},
		{`{kind: Group, name: "system:serviceaccounts:ci", apiGroup: rbac.authorization.k8s.io}`, true},
		{`{kind: Group, name: "system:serviceaccounts", apiGroup: rbac.authorization.k8s.io}`, true},
		{`{kind: Group, name: "system:serviceaccounts:other", apiGroup: rbac.authorization.k8s.io}`, false},
		{`{kind: User, name: "system:serviceaccount:other:sa", apiGroup: rbac.authorization.k8s.io}`, false},
	} {
		// The ServiceAccount object makes sa known whatever the subject.
		account := `{apiVersion: v1, kind: ServiceAccount, metadata: {name: sa, namespace: ci}}`
		b := `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: a},
  roleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}, subjects: [` + c.subject + `]}`
		if v := check(t, inventory(t, account, roleGetPods, b), sa, req); !v.Known || v.Allowed != c.allowed {
			t.Errorf("subject %s: %+v, want allowed %v", c.subject, v, c.allowed)
		}
	}
}

// TestCheckReportsFirstMissingRole: when several bindings grant through roles that are not in
// the input, the note names the first ClusterRoleBinding, whatever the order of the documents;
// a binding that names the ServiceAccount twice counts once.
func TestCheckReportsFirstMissingRole(t *testing.T) {
	rb := `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: rb, namespace: a},
  roleRef: {kind: Role, name: gone, apiGroup: rbac.authorization.k8s.io},
  subjects: [{kind: ServiceAccount, name: sa, namespace: ci}, {kind: Group, name: "system:serviceaccounts", apiGroup: rbac.authorization.k8s.io}]}`
	crb := func(name string) string {
		return `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: ` + name + `},
  roleRef: {kind: ClusterRole, name: gone, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: sa, namespace: ci}]}`
	}
	inv := inventory(t, rb, crb("first"), crb("second"))
	sa := ServiceAccount{Namespace: "ci", Name: "sa"}
	v := check(t, inv, sa, kubectl.Request{Resource: "pods", Verb: "get", Namespace: "a"})
	if v.Allowed || !strings.Contains(v.Note, "ClusterRoleBinding first is not in the input") {
		t.Errorf("verdict %+v, want the note to name ClusterRoleBinding first", v)
	}
	if g := inv.grants(sa); len(g) != 3 {
		t.Errorf("grants = %+v, want 3 (each binding once)", g)
	}
}

// BenchmarkCheckLargeInventory: a Check costs what it finds, not the size of the inventory.
func BenchmarkCheckLargeInventory(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			inv := NewInventory("")
			for i := range n {
				ns := fmt.Sprintf("ns-%d", i)
				for _, doc := range []map[string]any{
					{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": map[string]any{"name": "r", "namespace": ns},
						"rules": []any{map[string]any{"apiGroups": []any{""}, "resources": []any{"pods"}, "verbs": []any{"get"}}}},
					{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": map[string]any{"name": "b", "namespace": ns},
						"roleRef":  map[string]any{"kind": "Role", "name": "r", "apiGroup": "rbac.authorization.k8s.io"},
						"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "sa", "namespace": ns}}},
				} {
					if err := inv.Add(ast.MustInterfaceToValue(doc).(ast.Object)); err != nil {
						b.Fatal(err)
					}
				}
			}
			sa := ServiceAccount{Namespace: "ns-7", Name: "sa"}
			req := kubectl.Request{Resource: "pods", Verb: "get", Namespace: "ns-7"}
			for b.Loop() {
				if v, _ := inv.Check(context.Background(), sa, req); !v.Allowed {
					b.Fatal("denied")
				}
			}
		})
	}
}

// TestNearMissIsTheFirstElsewhere: the note names the first binding (ClusterRoleBindings
// first, then in input order) whose subject has the ServiceAccount's name in another namespace.
func TestNearMissIsTheFirstElsewhere(t *testing.T) {
	rb := func(name, ns string) string {
		return `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: ` + name + `, namespace: a},
  roleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: sa, namespace: ` + ns + `}]}`
	}
	crb := func(name, ns string) string {
		return `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: ` + name + `},
  roleRef: {kind: ClusterRole, name: r, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: sa, namespace: ` + ns + `}]}`
	}
	inv := inventory(t, roleGetPods, rb("rb-x", "x"), rb("rb-w", "w"), crb("crb-x", "x"), crb("crb-z", "z"))
	for ns, want := range map[string]string{
		"x":     `ClusterRoleBinding crb-z names ServiceAccount sa in namespace "z", not "x"`,
		"z":     `ClusterRoleBinding crb-x names ServiceAccount sa in namespace "x", not "z"`,
		"other": `ClusterRoleBinding crb-x names ServiceAccount sa in namespace "x", not "other"`,
	} {
		if got := inv.nearMiss(ServiceAccount{Namespace: ns, Name: "sa"}); !strings.HasPrefix(got, want) {
			t.Errorf("nearMiss in %s = %q, want %q", ns, got, want)
		}
	}
	if got := inventory(t, rb("rb-x", "x")).nearMiss(ServiceAccount{Namespace: "x", Name: "sa"}); got != "" {
		t.Errorf("nearMiss with a binding in the same namespace = %q, want none", got)
	}
}

// TestDuplicateDefinitions: lint reads files concurrently, so a role defined twice must not
// depend on which definition was added last. What either definition grants is granted, in both
// orders; the unneeded-grant analysis, which points into one definition, says nothing about a
// role defined twice differently, and judges one defined twice the same as usual.
func TestDuplicateDefinitions(t *testing.T) {
	getOnly := roleGetPods
	execToo := `{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r, namespace: a},
  rules: [{apiGroups: [""], resources: [pods/exec], verbs: [create]}]}`
	sa := ServiceAccount{Namespace: "ci", Name: "sa"}
	exec := kubectl.Request{Resource: "pods", Subresource: "exec", Verb: "create", Namespace: "a", Name: "p"}
	get := kubectl.Request{Resource: "pods", Verb: "get", Namespace: "a", Name: "p"}
	for _, order := range [][]string{{getOnly, execToo}, {execToo, getOnly}} {
		inv := inventory(t, append(order, bindingInA)...)
		for _, req := range []kubectl.Request{exec, get} {
			if v := check(t, inv, sa, req); !v.Allowed {
				t.Errorf("%s with the role defined twice: %+v, want allowed by one of the definitions", req, v)
			}
		}
		if e := inv.ExcessOf("Role", "a", "r"); len(e) != 0 {
			t.Errorf("excess of a role defined twice differently: %+v, want none", e)
		}
	}
	same := inventory(t, flushJob, getOnly, getOnly, bindingInA)
	if same.ambiguous["Role a/r"] {
		t.Error("a role defined twice the same way is ambiguous")
	}

	crb := func(role string) string {
		return `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: cb},
  roleRef: {kind: ClusterRole, name: ` + role + `, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: sa, namespace: ci}]}`
	}
	wide := `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: wide},
  rules: [{apiGroups: [""], resources: [pods/exec], verbs: [create]}]}`
	for _, order := range [][]string{{crb("wide"), crb("other")}, {crb("other"), crb("wide")}} {
		inv := inventory(t, append([]string{flushJob, wide}, order...)...)
		if e := inv.ExcessOf("ClusterRoleBinding", "", "cb"); len(e) != 0 {
			t.Errorf("excess of a ClusterRoleBinding defined twice differently: %+v, want none", e)
		}
	}
}

// TestNearMissWithDuplicateBindings: two definitions of one binding that name the ServiceAccount
// in different namespaces give the same note in either order.
func TestNearMissWithDuplicateBindings(t *testing.T) {
	rb := func(ns string) string {
		return `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: a},
  roleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: sa, namespace: ` + ns + `}]}`
	}
	one := inventory(t, rb("mm"), rb("nn")).nearMiss(ServiceAccount{Namespace: "z", Name: "sa"})
	other := inventory(t, rb("nn"), rb("mm")).nearMiss(ServiceAccount{Namespace: "z", Name: "sa"})
	if one != other || !strings.Contains(one, `in namespace "mm"`) {
		t.Errorf("notes %q and %q, want the same, naming namespace mm", one, other)
	}
}

// TestSuggestEscalationCheck: binding a role takes bind on it (by name) besides creating the
// binding, as the API server's escalation check asks; writing a role, or binding one named at
// run time, gets a note instead.
func TestSuggestEscalationCheck(t *testing.T) {
	job := `{apiVersion: batch/v1, kind: Job, metadata: {name: onboard, namespace: ops}, spec: {template: {spec: {
  restartPolicy: Never, containers: [{name: c, image: k, command: [sh, -c,
  "kubectl create rolebinding deployer --role=deployer --serviceaccount=ci:bot -n shop && kubectl create clusterrolebinding viewers --clusterrole view --group=devs && kubectl create rolebinding x --clusterrole=\"$ROLE\" --user=u -n shop && kubectl create role r --verb=get --resource=pods -n shop"]}]}}}}`
	out := Suggest(model(t, job))
	for _, want := range []string{
		"resources: [\"roles\"]\n    verbs: [\"bind\"]\n    resourceNames: [\"deployer\"]",    // in shop's Role
		"resources: [\"clusterroles\"]\n    verbs: [\"bind\"]\n    resourceNames: [\"view\"]", // in the ClusterRole
		"# Note: `kubectl create rolebinding x --clusterrole=\"$ROLE\" --user=u -n shop` binds a role not named literally",
		"# Note: `kubectl create role r --verb=get --resource=pods -n shop` writes a role",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("suggestion lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "escalate") && !strings.Contains(out, "(or escalate on roles") {
		t.Errorf("the suggestion grants escalate:\n%s", out)
	}
}

// kubectl keeps the last value of a repeated flag: `--role=a --role=b` binds b, and the
// suggestion grants bind on b only (the mapper parses the flags; Suggest reads its requests).
func TestSuggestBindsTheLastRoleFlag(t *testing.T) {
	out := Suggest(model(t, `{apiVersion: batch/v1, kind: Job, metadata: {name: onboard, namespace: ops}, spec: {template: {spec: {
  restartPolicy: Never, containers: [{name: c, image: k, command: [kubectl, create, rolebinding, x, --role=a, --role=b, --serviceaccount=ci:bot]}]}}}}`))
	if want := "resources: [\"roles\"]\n    verbs: [\"bind\"]\n    resourceNames: [\"b\"]"; !strings.Contains(out, want) {
		t.Errorf("suggestion lacks bind on b:\n%s", out)
	}
	if strings.Contains(out, `resourceNames: ["a"]`) {
		t.Errorf("suggestion grants bind on a, which the command does not bind:\n%s", out)
	}
}

// The escalation check's other half: a ServiceAccount that already holds every permission of the
// role it binds needs no bind on it.
func TestCheckBindWithoutBindVerb(t *testing.T) {
	holder := `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: a},
  roleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: sa, namespace: a}]}`
	bind := kubectl.Request{Group: "rbac.authorization.k8s.io", Resource: "roles", Verb: "bind", Namespace: "a", Name: "r", Escalation: true}
	if v := check(t, inventory(t, roleGetPods, holder), ServiceAccount{Namespace: "a", Name: "sa"}, bind); !v.Allowed {
		t.Errorf("binding a role whose permissions the ServiceAccount holds: %+v, want allowed", v)
	}
	bind.Escalation = false
	if v := check(t, inventory(t, roleGetPods, holder), ServiceAccount{Namespace: "a", Name: "sa"}, bind); v.Allowed {
		t.Errorf("a plain bind request without bind: %+v, want denied", v)
	}
	bind.Escalation, bind.Name = true, "unknown"
	if v := check(t, inventory(t, roleGetPods, holder), ServiceAccount{Namespace: "a", Name: "sa"}, bind); v.Allowed {
		t.Errorf("binding a role not in the input: %+v, want denied", v)
	}
}
