package webhook_test

// The permission mapping, asked of the real API server through SubjectAccessReview: for each
// kubectl command line, the minimal RBAC that kubectl.Analyze maps it to (one rule per
// non-optional request, with resourceNames where the request names an object) is sufficient, and
// every rule in it is necessary. policies/kubectl's envtest test runs kubectl itself; this one
// checks the same mapping through webhook.SubjectAccessReviewer, the path rbac-insufficient takes
// in the webhook.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
	"github.com/jobguard/jobguard/policies/workload"
	"github.com/jobguard/jobguard/webhook"
)

// envtestKubectlCommands are the command lines checked, as a Job's container would run them.
var envtestKubectlCommands = []string{
	// the seed's (testdata/seeds/000-restart-cronjob.yaml)
	"kubectl scale deployment example-deployment -n example-namespace --replicas=0",
	"kubectl exec example-redis -n redis -- redis-cli flushall",
	"kubectl get pods -l app=web",
	"kubectl get deployment web -o jsonpath='{.status.readyReplicas}'",
	"kubectl get pods --all-namespaces",
	"kubectl logs web-1 --tail=100",
	"kubectl logs deploy/web",
	"kubectl rollout restart deployment/web",
	"kubectl delete pod web-1",
	"kubectl delete jobs -l app=cleanup",
	"kubectl create job manual-1 --from=cronjob/backup",
	"kubectl port-forward svc/web 8080:80",
	"kubectl get nodes",
}

// envtestRule is one rule of the minimal RBAC: the PolicyRule of a request, and where it goes.
type envtestRule struct {
	namespace string // "" for a ClusterRole (cluster-scoped, or across all namespaces)
	rule      rbacv1.PolicyRule
	requests  []kubectl.Request // the requests it grants
}

func (r envtestRule) String() string {
	where := "ClusterRole"
	if r.namespace != "" {
		where = "Role in " + r.namespace
	}
	return fmt.Sprintf("%s %s", where, r.requests[0].Rule())
}

// envtestMinimalRBAC turns the non-optional requests of the command's invocations into rules,
// one per distinct request.
func envtestMinimalRBAC(t *testing.T, command, podNamespace string) []envtestRule {
	t.Helper()
	results := kubectl.Analyze([]string{"sh", "-c", command}, nil, podNamespace)
	if len(results) == 0 {
		t.Fatalf("%s: kubectl.Analyze finds no invocation", command)
	}
	var rules []envtestRule
	for _, res := range results {
		if res.Unresolved != "" {
			t.Fatalf("%s: unresolved: %s", command, res.Unresolved)
		}
		for _, req := range res.Requests {
			if req.Optional {
				continue
			}
			r := envtestRule{rule: req.PolicyRule()}
			if !req.AllNamespaces {
				r.namespace = req.Namespace
			}
			i := slices.IndexFunc(rules, func(o envtestRule) bool {
				return o.namespace == r.namespace && fmt.Sprint(o.rule) == fmt.Sprint(r.rule)
			})
			if i < 0 {
				rules = append(rules, r)
				i = len(rules) - 1
			}
			rules[i].requests = append(rules[i].requests, req)
		}
	}
	if len(rules) == 0 {
		t.Fatalf("%s: no request to check", command)
	}
	return rules
}

func envtestKubectlRBAC(t *testing.T, ec *envtestCluster) {
	checker := &webhook.SubjectAccessReviewer{Client: ec.c}
	for i, command := range envtestKubectlCommands {
		t.Run(strings.TrimPrefix(command, "kubectl "), func(t *testing.T) {
			t.Parallel()
			ns := fmt.Sprintf("envtest-rbac-%02d", i)
			prefix := "envtest-rbac-" + fmt.Sprint(i)
			ec.namespace(t, ns)
			rules := envtestMinimalRBAC(t, command, ns)
			for _, r := range rules {
				t.Logf("%s", r)
			}

			// The ServiceAccount "full" holds every rule; "without-<j>" all but rule j.
			full := rbac.ServiceAccount{Namespace: ns, Name: "full"}
			ec.grant(t, prefix+"-full", full, rules)
			without := make([]rbac.ServiceAccount, len(rules))
			for j := range rules {
				without[j] = rbac.ServiceAccount{Namespace: ns, Name: fmt.Sprintf("without-%d", j)}
				ec.grant(t, fmt.Sprintf("%s-without-%d", prefix, j), without[j], slices.Delete(slices.Clone(rules), j, j+1))
			}

			// Sufficient: every request is allowed.
			var all []kubectl.Request
			for _, r := range rules {
				all = append(all, r.requests...)
			}
			envtestEventually(t, 10*time.Second, func() error { return envtestAllowed(checker, full, all) })

			// Necessary: without rule j, its requests are denied, once the other rules are in
			// effect (so that the denial is not the authorizer being behind).
			for j, r := range rules {
				var others []kubectl.Request
				for k, o := range rules {
					if k != j {
						others = append(others, o.requests...)
					}
				}
				envtestEventually(t, 10*time.Second, func() error { return envtestAllowed(checker, without[j], others) })
				for _, req := range r.requests {
					v, err := checker.Check(context.Background(), without[j], req)
					if err != nil {
						t.Fatal(err)
					}
					if v.Allowed {
						t.Errorf("without %s, %s is still allowed: the rule is not necessary", r, req)
					}
				}
			}
		})
	}
}

// envtestAllowed returns an error naming the first request sa may not make.
func envtestAllowed(checker *webhook.SubjectAccessReviewer, sa rbac.ServiceAccount, reqs []kubectl.Request) error {
	for _, req := range reqs {
		v, err := checker.Check(context.Background(), sa, req)
		if err != nil {
			return err
		}
		if !v.Known || !v.Allowed {
			return fmt.Errorf("ServiceAccount %s may not %s (%s)", sa, req, v.Note)
		}
	}
	return nil
}

// grant creates ServiceAccount sa and binds it the rules: a Role and RoleBinding named name in
// each namespace the rules name, a ClusterRole and ClusterRoleBinding named name for the others.
// The objects are created by envtestUnreviewedUser, so that jobguard's webhooks play no part; the
// cluster-scoped ones are deleted when t ends.
func (ec *envtestCluster) grant(t *testing.T, name string, sa rbac.ServiceAccount, rules []envtestRule) {
	t.Helper()
	ctx := context.Background()
	objs := []client.Object{&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: sa.Namespace, Name: sa.Name}}}
	byNamespace := map[string][]rbacv1.PolicyRule{}
	for _, r := range rules {
		byNamespace[r.namespace] = append(byNamespace[r.namespace], r.rule)
	}
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: sa.Namespace, Name: sa.Name}}
	for ns, policy := range byNamespace {
		if ns == "" {
			objs = append(objs,
				&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: policy},
				&rbacv1.ClusterRoleBinding{
					ObjectMeta: metav1.ObjectMeta{Name: name},
					RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
					Subjects:   subjects,
				})
			continue
		}
		ec.namespace(t, ns)
		objs = append(objs,
			&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: policy},
			&rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
				Subjects:   subjects,
			})
	}
	c, _ := ec.client(t, ec.unreviewed)
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
		}
		if o.GetNamespace() == "" {
			t.Cleanup(func() { _ = ec.c.Delete(ctx, o) })
		}
	}
}

// envtestSuggestBinds: the RBAC `jobguard rbac suggest` writes for a Job that binds a role lets
// its ServiceAccount create the binding on the real API server, whose escalation check refuses a
// binding of permissions the creator does not hold; without the suggested bind rule it refuses.
func envtestSuggestBinds(t *testing.T, ec *envtestCluster) {
	ctx := context.Background()
	ops, shop := "envtest-suggest-ops", "envtest-suggest-shop"
	ec.namespace(t, ops)
	ec.namespace(t, shop)
	admin, _ := ec.client(t, ec.unreviewed)
	deployer := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: shop, Name: "deployer"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}}}
	if err := admin.Create(ctx, deployer); err != nil {
		t.Fatal(err)
	}

	command := "kubectl create rolebinding deployer --role=deployer --serviceaccount=" + ops + ":bot -n " + shop
	job := map[string]any{"apiVersion": "batch/v1", "kind": "Job", "metadata": map[string]any{"name": "onboard", "namespace": ops},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"serviceAccountName": "onboarder", "restartPolicy": "Never",
			"containers": []any{map[string]any{"name": "c", "image": "k", "command": []any{"sh", "-c", command}}},
		}}}}
	w, ok := workload.Of(envtestValue(t, job), workload.Options{})
	if !ok {
		t.Fatal("not a Job")
	}
	suggested := rbac.Suggest(w)
	if !strings.Contains(suggested, `verbs: ["bind"]`) {
		t.Fatalf("the suggestion has no bind rule:\n%s", suggested)
	}
	var withoutBind []byte
	for _, doc := range strings.Split(suggested, "\n---\n") {
		var u unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("the suggestion does not parse: %v\n%s", err, doc)
		}
		if err := admin.Create(ctx, &u); err != nil {
			t.Fatalf("applying the suggestion's %s %s: %v", u.GetKind(), u.GetName(), err)
		}
		if u.GetKind() == "Role" {
			withoutBind = []byte(doc)
		}
	}
	// The same Role without the bind rule, bound to a second ServiceAccount.
	var role rbacv1.Role
	if err := yaml.Unmarshal(withoutBind, &role); err != nil {
		t.Fatal(err)
	}
	role.Name = "onboarder-nobind"
	role.Rules = slices.DeleteFunc(role.Rules, func(r rbacv1.PolicyRule) bool { return slices.Contains(r.Verbs, "bind") })
	for _, o := range []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ops, Name: "onboarder-nobind"}},
		&role,
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: shop, Name: "onboarder-nobind"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ops, Name: "onboarder-nobind"}}},
	} {
		if err := admin.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}

	bind := func(sa, name string) error {
		cfg := rest.CopyConfig(ec.unreviewed)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ops + ":" + sa}
		c, _ := ec.client(t, cfg)
		return c.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: shop, Name: name},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "deployer"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ops, Name: "bot"}}})
	}
	if err := bind("onboarder", "deployer"); err != nil {
		t.Errorf("with the suggested RBAC, creating the RoleBinding failed: %v\n%s", err, suggested)
	}
	if err := bind("onboarder-nobind", "deployer-2"); err == nil || !apierrors.IsForbidden(err) {
		t.Errorf("without the bind rule, creating the RoleBinding gave %v, want forbidden by the escalation check", err)
	}
}
