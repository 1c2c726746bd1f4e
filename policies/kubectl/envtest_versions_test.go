package kubectl_test

// TestEnvtestKubectlVersions runs two real kubectl releases, v1.36.3 (KUBEBUILDER_ASSETS) and
// v1.31.14 (JOBGUARD_KUBECTL_OLD, built by hack/kubectl-binary.sh from hack/kubectl-1.31; `make
// test` sets both), against the v1.36.3 API server, as the ServiceAccount of the RBAC `jobguard
// rbac suggest` writes for a Job whose image does not say its kubectl version. For rollout
// status, wait, scale, exec and logs: with that RBAC both kubectl releases get as far as with
// every permission, and without any one verb of any suggested rule at least one of them is
// refused it and stops short (or, where the case says why, is refused it). For the rules that
// depend on the version (list, which kubectl 1.31 makes before it watches and kubectl 1.36
// streams over its watch), the test also checks that exactly the kubectl the mapping says needs
// it fails without it.
//
// For the commands whose requests depend on the version (pinned), each release is also run
// alone with the RBAC suggested for an image that pins it, on a 1.36 cluster: kubectl 1.36
// succeeds without list, and then stops short without watch, which the RBAC for every version
// (list granted) cannot show.

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
	"github.com/jobguard/jobguard/policies/workload"
)

// oldKubectlVersion is the release of $JOBGUARD_KUBECTL_OLD (hack/kubectl-1.31/go.mod).
const oldKubectlVersion = "v1.31."

// versionCases are the commands whose suggested RBAC is run with both kubectl releases.
var versionCases = []envCase{
	{cmd: `rollout status deploy/web --timeout=60s`, objects: objs(deployment("web")), tolerated: relists},
	{cmd: `wait --for=condition=Available deploy/web --timeout=30s`, objects: objs(deployment("web")), tolerated: relists},
	{cmd: `scale deploy/web --replicas=0`, objects: objs(deployment("web"))},
	{cmd: `exec web-1 -- true`, objects: objs(onGhostNode(pod("web-1"))), fails: noKubelet},
	{cmd: `logs deploy/web`, objects: objs(deployment("web"), onGhostNode(pod("web-1"))), fails: noKubelet},
}

// pinned are the versionCases whose suggested RBAC depends on the kubectl version.
var pinned = map[string]bool{versionCases[0].cmd: true, versionCases[1].cmd: true}

// relists: with list granted, a refused watch does not stop kubectl. client-go's reflector
// treats a 403 on its watch as not retriable (isWatchErrorRetriable), ends ListAndWatch, and Run
// lists again after a backoff of 800ms doubling to 30s (tools/cache/reflector.go at v0.31.14
// and v0.36.3): kubectl logs the refused watch and polls with lists, late but not failing. The
// watch is needed by kubectl 1.35 and later without list (the pinned runs show it) and keeps
// the others from polling.
var relists = map[string]string{
	`watch deployments.apps "web" in namespace "$NS"`: "with list granted, kubectl logs the refused watch and lists again after a backoff (client-go reflector)",
}

// kubectlRelease is one kubectl binary and what the mapping assumes of it.
type kubectlRelease struct {
	name     string // "1.36"
	binary   string
	cacheDir string
	versions kubectl.Versions
}

func TestEnvtestKubectlVersions(t *testing.T) {
	ec := startCluster(t)
	old := os.Getenv("JOBGUARD_KUBECTL_OLD")
	if old == "" {
		t.Skip("JOBGUARD_KUBECTL_OLD is not set: run `JOBGUARD_KUBECTL_OLD=$(hack/kubectl-binary.sh) KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh) go test ./policies/kubectl/` " +
			"(make test does) to check the suggested RBAC with an older kubectl too")
	}
	out, err := exec.Command(old, "version", "--client").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Client Version: "+oldKubectlVersion) {
		t.Fatalf("JOBGUARD_KUBECTL_OLD=%s is not kubectl %sx (%v):\n%s", old, oldKubectlVersion, err, out)
	}
	cluster := kubectl.Version{Major: 1, Minor: 36}
	releases := []kubectlRelease{
		{"1.36", ec.kubectl, ec.cacheDir, kubectl.Versions{Kubectl: kubectl.Version{Major: 1, Minor: 36}, Cluster: cluster}},
		{"1.31", old, filepath.Join(ec.dir, "cache-1.31"), kubectl.Versions{Kubectl: kubectl.Version{Major: 1, Minor: 31}, Cluster: cluster}},
	}
	ctx := t.Context()
	kc, err := ec.kubeconfig("default")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range releases {
		if out, err := exec.CommandContext(ctx, k.binary, "--kubeconfig="+kc, "--cache-dir="+k.cacheDir, "api-resources").CombinedOutput(); err != nil {
			t.Fatalf("kubectl %s api-resources: %v\n%s", k.name, err, out)
		}
	}
	for i, tc := range versionCases {
		t.Run(tc.cmd, func(t *testing.T) {
			t.Parallel()
			(&versionsRun{envRun: envRun{ec: ec, tc: tc, ns: fmt.Sprintf("versions-%02d", i)},
				image: "bitnami/kubectl:latest", releases: releases}).check(t)
		})
		if !pinned[tc.cmd] {
			continue
		}
		for _, k := range releases {
			t.Run(tc.cmd+"/pinned-"+k.name, func(t *testing.T) {
				t.Parallel()
				ns := fmt.Sprintf("versions-%02d-%s", i, strings.ReplaceAll(k.name, ".", "-"))
				(&versionsRun{envRun: envRun{ec: ec, tc: tc, ns: ns},
					image: "registry.k8s.io/kubectl:v" + k.name + ".0", cluster: cluster, releases: []kubectlRelease{k}}).check(t)
			})
		}
	}
}

type versionsRun struct {
	envRun
	image    string          // the Job's image, which may pin the kubectl version
	cluster  kubectl.Version // the cluster version the suggestion is written for
	releases []kubectlRelease
	roles    []suggestedRole
}

// suggestedRole is a Role or ClusterRole of the suggestion.
type suggestedRole struct {
	kind, namespace, name string
	rules                 []rbacv1.PolicyRule
}

// grantRef is one verb on one resource of one suggested rule.
type grantRef struct {
	role, rule int
	resource   string
	verb       string
}

func (r *versionsRun) check(t *testing.T) {
	// The Job: no serviceAccountName, so the suggestion runs it as ServiceAccount "job", its own;
	// an image that does not say its kubectl version (no cluster version either), so the
	// suggestion works for every version, or one that pins it.
	job := map[string]any{"apiVersion": "batch/v1", "kind": "Job", "metadata": map[string]any{"name": "job", "namespace": r.ns},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"restartPolicy": "Never",
			"containers":    []any{map[string]any{"name": "c", "image": r.image, "command": []any{"sh", "-c", "kubectl " + r.tc.cmd}}},
		}}}}
	value, err := ast.InterfaceToValue(job)
	if err != nil {
		t.Fatal(err)
	}
	w, ok := workload.Of(value.(ast.Object), workload.Options{Cluster: r.cluster})
	if !ok || len(w.Invocations) != 1 || w.Invocations[0].Unresolved != "" {
		t.Fatalf("the Job's kubectl command is not understood: %+v", w)
	}
	for _, a := range w.Invocations[0].Invocation.Args {
		r.args = append(r.args, a.Value)
	}
	suggestion := rbac.Suggest(w)
	r.apply(t, suggestion)
	t.Logf("suggested:\n%s", suggestion)
	for _, g := range r.grants() {
		r.waitFor(t, g, true)
	}

	// What each release requests, for telling which refusals its mapping expects.
	requests := map[string][]kubectl.Request{}
	for _, k := range r.releases {
		reqs, err := w.Invocations[0].Invocation.RequestsFor(r.ns, k.versions)
		if err != nil {
			t.Fatal(err)
		}
		requests[k.name] = reqs
	}
	deadline := cmp.Or(r.tc.runFor, 30*time.Second)

	// Sufficient for both: each gets as far as the case says, refused at most requests its
	// mapping marks optional.
	for _, k := range r.releases {
		run := r.run(t, k.binary, k.cacheDir, deadline)
		r.checkOutcome(t, run, "kubectl "+k.name+" with the suggested RBAC")
		for _, ev := range run.events {
			if ev.denied() && !slices.ContainsFunc(requests[k.name], func(req kubectl.Request) bool { return req.Optional && covers(req, ev) }) {
				t.Errorf("kubectl %s with the suggested RBAC: the API server refused %s\n%s", k.name, ev, run.text)
			}
		}
		t.Logf("kubectl %s %s with the suggested RBAC", k.name, run.outcome())
	}

	// Necessary: without any one verb on any one resource of a suggested rule, some release is
	// refused it and stops short; a release whose mapping does not require it gets as far.
	for _, g := range r.grants() {
		r.setRules(t, g)
		var failed []string
		for _, k := range r.releases {
			run := r.run(t, k.binary, k.cacheDir, cmp.Or(r.tc.runFor, removedDeadline))
			refused := slices.ContainsFunc(run.events, func(ev auditEvent) bool { return ev.denied() && r.grantCovers(g, ev.request()) })
			stoppedShort := !r.asFar(run)
			needs := slices.ContainsFunc(requests[k.name], func(req kubectl.Request) bool { return !req.Optional && r.grantCovers(g, req) })
			tolerated := ""
			for _, req := range requests[k.name] {
				if reason, ok := r.tc.tolerated[strings.ReplaceAll(req.String(), r.ns, "$NS")]; ok && !req.Optional && r.grantCovers(g, req) {
					tolerated = reason
				}
			}
			switch {
			case needs && refused && stoppedShort:
				failed = append(failed, k.name)
				t.Logf("without %s: kubectl %s is refused it and %s", r.grantString(g), k.name, run.outcome())
			case needs && refused && tolerated != "":
				failed = append(failed, k.name)
				t.Logf("without %s: kubectl %s is refused it, and still %s here (%s)", r.grantString(g), k.name, run.outcome(), tolerated)
			case needs:
				t.Errorf("without %s, which the mapping of kubectl %s requires: refused %v, kubectl %s\n%s", r.grantString(g), k.name, refused, run.outcome(), run.text)
			case stoppedShort:
				t.Errorf("without %s, which the mapping of kubectl %s does not require, kubectl %s\n%s", r.grantString(g), k.name, run.outcome(), run.text)
			default:
				t.Logf("without %s: kubectl %s, whose mapping does not require it, %s", r.grantString(g), k.name, run.outcome())
			}
		}
		if len(failed) == 0 {
			t.Errorf("without %s, neither kubectl release is refused it and stops short: the suggested rule is not needed", r.grantString(g))
		}
	}
}

// apply creates the suggestion's objects as the admin, and the namespaces they go to.
func (r *versionsRun) apply(t *testing.T, suggestion string) {
	ctx := t.Context()
	r.user = "system:serviceaccount:" + r.ns + ":job"
	var err error
	if r.kubeconfig, err = r.ec.kubeconfig(r.ns); err != nil {
		t.Fatal(err)
	}
	r.dir = filepath.Join(r.ec.dir, "work-"+r.ns)
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	namespaces := []string{r.ns}
	var objects []*unstructured.Unstructured
	for _, doc := range strings.Split(suggestion, "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("the suggestion does not parse: %v\n%s", err, doc)
		}
		if ns := u.GetNamespace(); ns != "" && !slices.Contains(namespaces, ns) {
			namespaces = append(namespaces, ns)
		}
		objects = append(objects, u)
		if k := u.GetKind(); k == "Role" || k == "ClusterRole" {
			var role rbacv1.Role // the same rules field
			if err := yaml.Unmarshal([]byte(doc), &role); err != nil {
				t.Fatal(err)
			}
			r.roles = append(r.roles, suggestedRole{kind: k, namespace: u.GetNamespace(), name: u.GetName(), rules: role.Rules})
		}
	}
	for _, ns := range namespaces {
		if err := createIfMissing(ctx, r.ec.c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range objects {
		if err := r.ec.c.Create(ctx, o); err != nil {
			t.Fatalf("applying the suggestion's %s %s: %v", o.GetKind(), o.GetName(), err)
		}
		if o.GetNamespace() == "" {
			t.Cleanup(func() { _ = r.ec.c.Delete(context.Background(), o) })
		}
	}
	if len(r.roles) == 0 {
		t.Fatalf("the suggestion has no role:\n%s", suggestion)
	}
}

// grants lists every verb on every resource of every suggested rule.
func (r *versionsRun) grants() []grantRef {
	var out []grantRef
	for i, role := range r.roles {
		for j, rule := range role.rules {
			for _, res := range rule.Resources {
				for _, verb := range rule.Verbs {
					out = append(out, grantRef{role: i, rule: j, resource: res, verb: verb})
				}
			}
		}
	}
	return out
}

func (r *versionsRun) grantString(g grantRef) string {
	role := r.roles[g.role]
	rule := role.rules[g.rule]
	where := role.kind + " " + role.name
	if role.namespace != "" {
		where = role.kind + " " + role.namespace + "/" + role.name
	}
	names := ""
	if len(rule.ResourceNames) > 0 {
		names = fmt.Sprintf(" %q", rule.ResourceNames)
	}
	return fmt.Sprintf("%s on %s%s (%s)", g.verb, g.resource, names, where)
}

// setRules sets every suggested role to its suggested rules, less the grant g, and waits until
// the authorizer denies it.
func (r *versionsRun) setRules(t *testing.T, g grantRef) {
	ctx := t.Context()
	for i, role := range r.roles {
		rules := slices.Clone(role.rules)
		if i == g.role {
			rule := rules[g.rule]
			rules = slices.Delete(rules, g.rule, g.rule+1)
			if others := slices.DeleteFunc(slices.Clone(rule.Resources), func(s string) bool { return s == g.resource }); len(others) > 0 {
				rest := rule
				rest.Resources = others
				rules = append(rules, rest)
			}
			if verbs := slices.DeleteFunc(slices.Clone(rule.Verbs), func(s string) bool { return s == g.verb }); len(verbs) > 0 {
				rest := rule
				rest.Resources, rest.Verbs = []string{g.resource}, verbs
				rules = append(rules, rest)
			}
		}
		var obj client.Object = &rbacv1.ClusterRole{}
		if role.kind == "Role" {
			obj = &rbacv1.Role{}
		}
		if err := r.ec.c.Get(ctx, client.ObjectKey{Namespace: role.namespace, Name: role.name}, obj); err != nil {
			t.Fatal(err)
		}
		switch o := obj.(type) {
		case *rbacv1.Role:
			o.Rules = rules
		case *rbacv1.ClusterRole:
			o.Rules = rules
		}
		if err := r.ec.c.Update(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	r.waitFor(t, g, false)
}

// waitFor waits until subject access reviews allow (or deny) the grant: the RBAC authorizer
// reads roles from an informer.
func (r *versionsRun) waitFor(t *testing.T, g grantRef, allowed bool) {
	role, rule := r.roles[g.role], r.roles[g.role].rules[g.rule]
	resource, sub, _ := strings.Cut(g.resource, "/")
	name := ""
	if len(rule.ResourceNames) > 0 {
		name = rule.ResourceNames[0]
	}
	err := wait.PollUntilContextTimeout(t.Context(), 5*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: r.user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + r.ns, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: cmp.Or(role.namespace, r.ns), Verb: g.verb,
				Group: rule.APIGroups[0], Resource: resource, Subresource: sub, Name: name},
		}}
		if err := r.ec.c.Create(ctx, sar); err != nil {
			return false, err
		}
		return sar.Status.Allowed == allowed, nil
	})
	if err != nil {
		t.Fatalf("waiting for RBAC to allow (%v) %s: %v", allowed, r.grantString(g), err)
	}
}

// grantCovers reports whether the removed grant allowed the request, mapped or audited.
func (r *versionsRun) grantCovers(g grantRef, req kubectl.Request) bool {
	role, rule := r.roles[g.role], r.roles[g.role].rules[g.rule]
	return req.Verb == g.verb && req.ResourcePath() == g.resource && slices.Contains(rule.APIGroups, req.Group) &&
		(len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, req.Name)) &&
		(role.namespace == "" || req.Namespace == role.namespace)
}
