package rbac

import (
	"slices"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/workload"
)

// rolloutJob runs kubectl rollout status in image.
func rolloutJob(image string) string {
	return `{apiVersion: batch/v1, kind: Job, metadata: {name: wait, namespace: team}, spec: {template: {spec: {
  serviceAccountName: deployer, restartPolicy: Never,
  containers: [{name: c, image: "` + image + `", command: [sh, -c, "kubectl rollout status deployment/web -n team"]}]}}}}`
}

func modelIn(t *testing.T, doc string, cluster kubectl.Version) *workload.Workload {
	t.Helper()
	w, ok := workload.Of(object(t, doc), workload.Options{Cluster: cluster})
	if !ok {
		t.Fatalf("not a Job: %s", doc)
	}
	return w
}

// TestSuggestKubectlVersions: the suggested rule grants list where the image's kubectl lists
// (1.31, or a version not known), not for kubectl 1.36 against a 1.36 cluster, and says why.
func TestSuggestKubectlVersions(t *testing.T) {
	v136 := kubectl.Version{Major: 1, Minor: 36}
	tests := []struct {
		image   string
		cluster kubectl.Version
		verbs   string
		note    string
	}{
		{"bitnami/kubectl:1.31.0", v136, `["get", "list", "watch"]`, "# kubectl 1.31 lists before it watches"},
		{"bitnami/kubectl:1.36.3", v136, `["get", "watch"]`, "# kubectl 1.36 streams the list over its watch on a 1.36 cluster: no list"},
		{"bitnami/kubectl:1.36.3", kubectl.Version{}, `["get", "list", "watch"]`, "# kubectl 1.36 lists before it watches on clusters without watch-list (set --kube-version)"},
		{"bitnami/kubectl:1.36.3", kubectl.Version{Major: 1, Minor: 33}, `["get", "list", "watch"]`, "# kubectl 1.36 lists before it watches on a 1.33 cluster, which does not serve watch-list"},
		{"bitnami/kubectl:latest", v136, `["get", "list", "watch"]`, `# image "bitnami/kubectl:latest" does not say its kubectl version, and kubectl before 1.35 lists before it watches`},
	}
	for _, tt := range tests {
		out := Suggest(modelIn(t, rolloutJob(tt.image), tt.cluster))
		want := "  # kubectl rollout status deployment/web -n team\n  " + tt.note + "\n" +
			"  - apiGroups: [\"apps\"]\n    resources: [\"deployments\"]\n    verbs: " + tt.verbs + "\n    resourceNames: [\"web\"]\n"
		if !strings.Contains(out, want) {
			t.Errorf("%s on a %s cluster: the suggestion lacks\n%s\ngot:\n%s", tt.image, tt.cluster, want, out)
		}
	}
}

// TestInsufficientKubectlVersions: RBAC without list is insufficient for kubectl 1.31 (Check
// refuses the list its mapping requires) and sufficient for kubectl 1.36 against 1.36.
func TestInsufficientKubectlVersions(t *testing.T) {
	role := `{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: deployer, namespace: team},
  rules: [{apiGroups: [apps], resources: [deployments], verbs: [get, watch], resourceNames: [web]}]}`
	binding := `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: deployer, namespace: team},
  roleRef: {kind: Role, name: deployer, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: deployer, namespace: team}]}`
	inv := inventory(t, role, binding)
	sa := ServiceAccount{Namespace: "team", Name: "deployer"}
	refused := func(image string) []string {
		var out []string
		for _, i := range modelIn(t, rolloutJob(image), kubectl.Version{Major: 1, Minor: 36}).Invocations {
			for _, r := range i.Requests {
				if !r.Optional && !check(t, inv, sa, r).Allowed {
					out = append(out, r.String())
				}
			}
		}
		return out
	}
	if got, want := refused("bitnami/kubectl:1.31.0"), []string{`list deployments.apps "web" in namespace "team"`}; !slices.Equal(got, want) {
		t.Errorf("kubectl 1.31: refused %q, want %q", got, want)
	}
	if got := refused("registry.k8s.io/kubectl:v1.36.3"); len(got) != 0 {
		t.Errorf("kubectl 1.36 on 1.36: refused %q, want nothing", got)
	}
}

// TestExcessKeepsListSomeKubectlNeeds: list is not unneeded for a workload whose kubectl streams
// the list over its watch: an older kubectl, or the same one on an older cluster, lists.
func TestExcessKeepsListSomeKubectlNeeds(t *testing.T) {
	role := `{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: deployer, namespace: team},
  rules: [{apiGroups: [apps], resources: [deployments], verbs: [get, list, watch, delete], resourceNames: [web]}]}`
	binding := `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: deployer, namespace: team},
  roleRef: {kind: Role, name: deployer, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: deployer, namespace: team}]}`
	inv := NewInventory("")
	inv.AddWorkload(modelIn(t, rolloutJob("registry.k8s.io/kubectl:v1.36.3"), kubectl.Version{Major: 1, Minor: 36}))
	for _, d := range []string{role, binding} {
		if err := inv.Add(object(t, d)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, e := range inv.ExcessOf("Role", "team", "deployer") {
		got = append(got, e.Message)
	}
	if want := []string{`verb "delete" on deployments is used by no command of Job wait; remove it`}; !slices.Equal(got, want) {
		t.Errorf("excess = %q, want %q", got, want)
	}
}

// TestUnneeded: the seed's ClusterRole and ClusterRoleBinding, which bind the default
// ServiceAccount its CronJob ran as, are unnecessary once the suggestion gives it its own; RBAC
// that something else may use is kept.
func TestUnneeded(t *testing.T) {
	cron := `{apiVersion: batch/v1, kind: CronJob, metadata: {name: restart-cronjob}, spec: {schedule: "@daily", jobTemplate: {spec: {template: {spec: {
  serviceAccountName: default, restartPolicy: Never,
  containers: [{name: c, image: "bitnami/kubectl:latest", command: [sh, -c, "kubectl scale deployment example-deployment -n example-namespace --replicas=0"]}]}}}}}}`
	role := `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: restart-role},
  rules: [{apiGroups: [apps], resources: [deployments, deployments/scale], verbs: [get, patch]}]}`
	binding := func(name, subjects string) string {
		return `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: ` + name + `},
  roleRef: {kind: ClusterRole, name: restart-role, apiGroup: rbac.authorization.k8s.io}, subjects: [` + subjects + `]}`
	}
	seedBinding := binding("restart-binding", `{kind: ServiceAccount, name: default, namespace: exampleNamespace}`)
	names := func(objs []Object) []string {
		var s []string
		for _, o := range objs {
			s = append(s, o.String())
		}
		return s
	}

	got := names(inventory(t, cron, role, seedBinding).Unneeded())
	if want := []string{"ClusterRoleBinding restart-binding", "ClusterRole restart-role"}; !slices.Equal(got, want) {
		t.Errorf("seed: unneeded %q, want %q", got, want)
	}
	note := UnneededNote(inventory(t, cron, role, seedBinding).Unneeded())
	for _, want := range []string{"#   kubectl delete clusterrolebinding restart-binding\n", "#   kubectl delete clusterrole restart-role\n"} {
		if !strings.Contains(note, want) {
			t.Errorf("note lacks %q:\n%s", want, note)
		}
	}

	// A second binding of the role to a user the input knows nothing of keeps the role.
	toUser := binding("ops", `{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}`)
	if got, want := names(inventory(t, cron, role, seedBinding, toUser).Unneeded()), []string{"ClusterRoleBinding restart-binding"}; !slices.Equal(got, want) {
		t.Errorf("role bound to a user too: unneeded %q, want %q", got, want)
	}
	// A binding that also names a ServiceAccount no workload of the input runs as is kept.
	shared := binding("restart-binding", `{kind: ServiceAccount, name: default, namespace: default}, {kind: ServiceAccount, name: backup, namespace: default}`)
	if got := inventory(t, cron, role, shared).Unneeded(); len(got) != 0 {
		t.Errorf("binding shared with another ServiceAccount: unneeded %q, want none", names(got))
	}
	// A workload with a command not understood keeps its RBAC: the suggestion does not cover it.
	unknown := strings.Replace(cron, `--replicas=0"`, `--replicas=0 && kubectl apply -f \"$F\""`, 1)
	if got := inventory(t, unknown, role, seedBinding).Unneeded(); len(got) != 0 {
		t.Errorf("workload not understood: unneeded %q, want none", names(got))
	}
	// An object the suggestion writes itself (same kind, namespace and name) is replaced, not deleted.
	own := `{apiVersion: batch/v1, kind: Job, metadata: {name: w, namespace: team}, spec: {template: {spec: {
  serviceAccountName: deployer, restartPolicy: Never,
  containers: [{name: c, image: k, command: [sh, -c, "kubectl get deploy web -n team"]}]}}}}`
	ownRole := `{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: deployer, namespace: team}, rules: []}`
	ownBinding := `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: deployer, namespace: team},
  roleRef: {kind: Role, name: deployer, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: deployer, namespace: team}]}`
	if got := inventory(t, own, ownRole, ownBinding).Unneeded(); len(got) != 0 {
		t.Errorf("the suggestion's own objects: unneeded %q, want none", names(got))
	}
	// A role of another name bound to that ServiceAccount is unnecessary.
	oldRole := strings.Replace(ownRole, "name: deployer,", "name: old,", 1)
	oldBinding := `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: old, namespace: team},
  roleRef: {kind: Role, name: old, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: ServiceAccount, name: deployer, namespace: team}]}`
	if got, want := names(inventory(t, own, oldRole, oldBinding).Unneeded()), []string{"RoleBinding team/old", "Role team/old"}; !slices.Equal(got, want) {
		t.Errorf("an older role of the same ServiceAccount: unneeded %q, want %q", got, want)
	}
}
