package rbac

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/policies/kubectl"
)

func inventory(t *testing.T, docs ...string) *Inventory {
	t.Helper()
	inv := NewInventory()
	for _, d := range docs {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		v, err := ast.InterfaceToValue(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inv.Add(v.(ast.Object)); err != nil {
			t.Fatal(err)
		}
	}
	return inv
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
	sa := ServiceAccount{"ci", "sa"}
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
	if v := check(t, inv, ServiceAccount{"ci", "other"}, kubectl.Request{Resource: "pods", Verb: "get", Namespace: "a"}); v.Known {
		t.Errorf("a ServiceAccount no binding names is known: %+v", v)
	}
}

func TestCheckAggregatedClusterRole(t *testing.T) {
	inv := inventory(t, aggregate, part, clusterBinding)
	req := kubectl.Request{Group: "apps", Resource: "deployments", Subresource: "scale", Verb: "patch", Namespace: "x", Name: "web"}
	if v := check(t, inv, ServiceAccount{"ci", "sa"}, req); !v.Allowed {
		t.Errorf("aggregated rule not applied: %+v", v)
	}
}

func TestCheckNearMiss(t *testing.T) {
	inv := inventory(t, roleGetPods, bindingInA)
	v := check(t, inv, ServiceAccount{"default", "sa"}, kubectl.Request{Resource: "pods", Verb: "get", Namespace: "a"})
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
	inv := NewInventory()
	var m map[string]any
	yaml.Unmarshal([]byte(job), &m)
	w, err := inv.Add(ast.MustInterfaceToValue(m).(ast.Object))
	if err != nil {
		t.Fatal(err)
	}
	out := Suggest(w)
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
