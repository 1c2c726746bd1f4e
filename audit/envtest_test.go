package audit_test

// TestEnvtest audits a real kube-apiserver (and etcd) started by controller-runtime's envtest
// from the binaries in $KUBEBUILDER_ASSETS (hack/envtest-binaries.sh builds them; make test sets
// it). Without it the test is skipped. The objects are created first, as they would be in a
// cluster jobguard never saw, then audited.

import (
	"context"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/jobguard/jobguard/audit"
	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// startEnvtest starts an API server, or skips t without KUBEBUILDER_ASSETS; it stops when t ends.
func startEnvtest(t testing.TB) (*rest.Config, client.Client) {
	t.Helper()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Skip("KUBEBUILDER_ASSETS is not set: run `KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh) go test ./audit/` (make test does)")
	}
	env := &envtest.Environment{
		UseExistingCluster:       ptr.To(false),
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting envtest from KUBEBUILDER_ASSETS=%s: %v", assets, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	cfg.QPS, cfg.Burst = 1000, 2000
	c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, c
}

func create(t *testing.T, c client.Client, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := c.Create(context.Background(), o); err != nil {
			t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
		}
	}
}

func kubectlJob(ns, name, sa, script string) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: batchv1.JobSpec{
			TTLSecondsAfterFinished: ptr.To[int32](600),
			ActiveDeadlineSeconds:   ptr.To[int64](600),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy:      corev1.RestartPolicyNever,
				ServiceAccountName: sa,
				Containers: []corev1.Container{{
					Name: "k", Image: "registry.k8s.io/kubectl:v1.36.3",
					Command: []string{"sh", "-c", script},
				}},
			}},
		},
	}
}

func runAudit(t *testing.T, cfg *rest.Config, opts ...audit.Option) *lint.Report {
	t.Helper()
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Two objects a page: every kind with more is listed in several requests (Continue).
	opts = append([]audit.Option{audit.WithPageSize(2), audit.WithCluster("envtest")}, opts...)
	report, err := audit.New(engine, dc, opts...).Audit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(report.InputErrors) > 0 {
		t.Fatalf("input errors: %v", report.InputErrors)
	}
	return report
}

// findings lists "location rule" for every finding of the report, and the messages by that key.
func findings(r *lint.Report) ([]string, map[string]string) {
	var keys []string
	messages := map[string]string{}
	for _, f := range r.Findings {
		k := f.Position.File + " " + f.Rule
		keys = append(keys, k)
		messages[k] = f.Message
	}
	return keys, messages
}

func TestEnvtest(t *testing.T) {
	cfg, c := startEnvtest(t)
	ctx := context.Background()
	const ns = "team-a"
	create(t, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})

	// A CronJob that never fires (February 30th), and the Job it made: the Job is reported on
	// the CronJob, not on its own.
	cron := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "leap"},
		Spec: batchv1.CronJobSpec{
			Schedule: "0 0 30 2 *", ConcurrencyPolicy: batchv1.ForbidConcurrent,
			StartingDeadlineSeconds: ptr.To[int64](100),
			JobTemplate:             batchv1.JobTemplateSpec{Spec: kubectlJob(ns, "", "", "echo hi").Spec},
		},
	}
	cron.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image = "busybox:latest"
	create(t, c, cron)
	owned := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "leap-29000000", OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "batch/v1", Kind: "CronJob", Name: cron.Name, UID: cron.UID, Controller: ptr.To(true),
		}}},
		Spec: *cron.Spec.JobTemplate.Spec.DeepCopy(),
	}
	create(t, c, owned)

	// rbac-insufficient: "lister" may list pods only through the aggregated ClusterRole
	// pod-reader, whose rules are those of the ClusterRoles its selector matches (envtest runs no
	// controller-manager, so the API server's copy of pod-reader has no rules of its own: audit
	// resolves the aggregation itself). "cleaner" deletes Jobs with no binding at all.
	create(t, c,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lister"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cleaner"}},
		&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
				{MatchLabels: map[string]string{"jobguard.test/aggregate-to-pod-reader": "true"}},
			}},
		},
		&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "pod-reader-list", Labels: map[string]string{"jobguard.test/aggregate-to-pod-reader": "true"}},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}},
		},
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lister-reads-pods"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "pod-reader"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "lister", Namespace: ns}},
		},
		&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "everything"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
		},
		kubectlJob(ns, "list-pods", "lister", "kubectl get pods -o name"),
		kubectlJob(ns, "clean-jobs", "cleaner", "kubectl delete jobs --field-selector status.successful=1"),
		&rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "job-cleaner"},
			// create: more than clean-jobs needs, which rbac-overbroad says once a binding gives the Role to it.
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"list", "delete", "create"}}},
		},
	)

	t.Run("all namespaces", func(t *testing.T) {
		// The resources the audit lists with a limit of two objects (runAudit's page size), and
		// those it asks a next page of: every kind has more than two here but CronJobs (one) and
		// ServiceAccounts (two: envtest runs no controller-manager to make each namespace's default).
		var mu sync.Mutex
		limited, paged := map[string]bool{}, map[string]bool{}
		counted := rest.CopyConfig(cfg)
		counted.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				q, resource := r.URL.Query(), path.Base(r.URL.Path)
				mu.Lock()
				limited[resource] = limited[resource] || q.Get("limit") == "2"
				paged[resource] = paged[resource] || q.Get("continue") != ""
				mu.Unlock()
				return rt.RoundTrip(r)
			})
		})
		report := runAudit(t, counted)
		for _, k := range audit.Kinds {
			if r := k.Resource.Resource; !limited[r] || !paged[r] && k.Kind != "CronJob" && k.Kind != "ServiceAccount" {
				t.Errorf("%s: listed with limit 2: %v, a next page asked for: %v", r, limited[r], paged[r])
			}
		}
		keys, messages := findings(report)
		for _, want := range []string{
			"team-a/CronJob/leap cron-schedule-never-runs",
			"team-a/CronJob/leap image-latest-tag",
			"team-a/Job/clean-jobs rbac-insufficient",
			"ClusterRole/everything rbac-wildcard",
		} {
			if !slices.Contains(keys, want) {
				t.Errorf("no finding %q; findings:\n%s", want, strings.Join(keys, "\n"))
			}
		}
		for _, k := range keys {
			if strings.HasPrefix(k, "ClusterRole/system:") || strings.HasPrefix(k, "ClusterRole/cluster-admin ") {
				t.Errorf("%s: the API server's own roles are not reported: it reconciles them back on every start", k)
			}
			if strings.HasPrefix(k, "team-a/Job/leap-") {
				t.Errorf("%s: a Job its CronJob controls is reported on the CronJob only", k)
			}
			if k == "team-a/Job/list-pods rbac-insufficient" {
				t.Errorf("list-pods may list pods through the aggregated ClusterRole pod-reader: %s", messages[k])
			}
		}
		withBootstrap, _ := findings(runAudit(t, cfg, audit.WithBootstrapRBAC(true)))
		if !slices.Contains(withBootstrap, "ClusterRole/cluster-admin rbac-wildcard") {
			t.Errorf("WithBootstrapRBAC reports cluster-admin's wildcards; findings:\n%s", strings.Join(withBootstrap, "\n"))
		}
		if report.Cluster != "envtest" || report.Objects < 6 {
			t.Errorf("report: cluster %q, %d objects", report.Cluster, report.Objects)
		}
	})

	t.Run("one namespace", func(t *testing.T) {
		report := runAudit(t, cfg, audit.WithNamespace(ns), audit.WithCheckedObjects(true))
		keys, _ := findings(report)
		var checked []string
		for _, c := range report.Checked {
			checked = append(checked, c.Position.File)
		}
		if !slices.Contains(checked, "team-a/ServiceAccount/lister") || len(checked) != report.Objects {
			t.Errorf("Checked lists every object reported on, findings or not (%d objects): %v", report.Objects, checked)
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, ns+"/") {
				t.Errorf("%s: auditing namespace %s reports only its objects", k, ns)
			}
		}
		if !slices.Contains(keys, "team-a/Job/clean-jobs rbac-insufficient") || slices.Contains(keys, "team-a/Job/list-pods rbac-insufficient") {
			t.Errorf("the namespace's Jobs are judged against the cluster-scoped RBAC too; findings:\n%s", strings.Join(keys, "\n"))
		}
	})

	t.Run("aggregation removed", func(t *testing.T) {
		// Without the label, pod-reader aggregates nothing: list-pods may not list pods.
		var cr rbacv1.ClusterRole
		if err := c.Get(ctx, client.ObjectKey{Name: "pod-reader-list"}, &cr); err != nil {
			t.Fatal(err)
		}
		cr.Labels = nil
		if err := c.Update(ctx, &cr); err != nil {
			t.Fatal(err)
		}
		keys, _ := findings(runAudit(t, cfg, audit.WithNamespace(ns)))
		if !slices.Contains(keys, "team-a/Job/list-pods rbac-insufficient") {
			t.Errorf("list-pods loses its access with the aggregation; findings:\n%s", strings.Join(keys, "\n"))
		}
	})

	t.Run("binding created later", func(t *testing.T) {
		create(t, c, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cleaner-cleans-jobs"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "job-cleaner"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "cleaner", Namespace: ns}},
		})
		keys, messages := findings(runAudit(t, cfg, audit.WithNamespace(ns)))
		if k := "team-a/Job/clean-jobs rbac-insufficient"; slices.Contains(keys, k) {
			t.Errorf("the RoleBinding created later gives clean-jobs what it needs: %s", messages[k])
		}
		// rbac-overbroad compares the Role with what the Job it is now bound to uses.
		if k := "team-a/Role/job-cleaner rbac-overbroad"; !strings.Contains(messages[k], `"create"`) {
			t.Errorf("%s: want the unused verb create, got %q; findings:\n%s", k, messages[k], strings.Join(keys, "\n"))
		}
	})

	t.Run("ignore annotation", func(t *testing.T) {
		var cj batchv1.CronJob
		if err := c.Get(ctx, client.ObjectKeyFromObject(cron), &cj); err != nil {
			t.Fatal(err)
		}
		cj.Annotations = map[string]string{policies.IgnoreAnnotation: "image-latest-tag"}
		if err := c.Update(ctx, &cj); err != nil {
			t.Fatal(err)
		}
		keys, _ := findings(runAudit(t, cfg, audit.WithNamespace(ns)))
		if slices.Contains(keys, "team-a/CronJob/leap image-latest-tag") || !slices.Contains(keys, "team-a/CronJob/leap cron-schedule-never-runs") {
			t.Errorf("the annotation exempts image-latest-tag only; findings:\n%s", strings.Join(keys, "\n"))
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
