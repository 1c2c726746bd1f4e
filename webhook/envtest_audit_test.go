package webhook_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/jobguard/jobguard/internal/testkit"
	"github.com/jobguard/jobguard/webhook"
)

// envtestBackgroundAudit: objects created without review, then two servers audit in the
// background with one Lease and only the RBAC deploy/ grants the audit: only one audits; with the
// CRD of deploy/components/policy-reports installed, the leader writes a PolicyReport, updates it
// in place when an object is fixed and drops the results of a deleted object; when the leader
// stops, the other takes over.
func envtestBackgroundAudit(t *testing.T, ec *envtestCluster) {
	ctx := context.Background()
	const ns = "background-audit"
	unreviewed, err := client.New(ec.unreviewed, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	never := testkit.NeverFiresCronJob(ns, "never")
	latest := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "latest"},
		Spec: batchv1.JobSpec{
			TTLSecondsAfterFinished: ptr.To[int32](60), ActiveDeadlineSeconds: ptr.To[int64](60),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "c", Image: "busybox:latest"}},
			}},
		},
	}
	wildcard := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "background-audit-wildcard"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
	}
	for _, o := range []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, never, latest, wildcard} {
		if err := unreviewed.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}

	// The replicas run as jobguard's ServiceAccount would: a user with only the RBAC that
	// deploy/base/rbac-background-audit.yaml grants it (its Role in the Lease's namespace).
	auditConfig := backgroundAuditUser(t, ec, ns)

	// Two replicas, as two pods of the Deployment would be.
	type replica struct {
		srv    *webhook.Server
		cancel context.CancelFunc
		done   chan struct{}
		logs   *testkit.SyncBuffer
	}
	start := func(name string) *replica {
		logs := &testkit.SyncBuffer{}
		srv, err := webhook.New(webhook.Options{
			Logger:      slog.New(slog.NewTextHandler(logs, nil)).With("replica", name),
			HealthAddr:  webhook.Disabled,
			MetricsAddr: webhook.Disabled,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(ctx)
		r := &replica{srv: srv, cancel: cancel, done: make(chan struct{}), logs: logs}
		go func() {
			defer close(r.done)
			if err := srv.StartAudit(ctx, webhook.AuditOptions{
				Config: auditConfig, Interval: time.Second, LeaseNamespace: ns,
				LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond,
			}); err != nil {
				t.Errorf("StartAudit: %v", err)
			}
		}()
		for srv.AuditMetrics() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		return r
	}
	a, b := start("a"), start("b")
	stopped := map[*replica]bool{}
	stop := func(r *replica) {
		if !stopped[r] {
			stopped[r] = true
			r.cancel()
			<-r.done
		}
	}
	t.Cleanup(func() { stop(a); stop(b) })
	leader := func(r *replica) float64 { return testutil.ToFloat64(r.srv.AuditMetrics().Leader) }
	runs := func(r *replica) float64 {
		return testutil.ToFloat64(r.srv.AuditMetrics().Runs.WithLabelValues("success"))
	}

	// One leader, and the other never audits meanwhile.
	var lead, other *replica
	waitUntil(t, 30*time.Second, "a leader that has audited", func() bool {
		if leader(a)+leader(b) > 1 {
			t.Fatal("both replicas lead at once")
		}
		switch {
		case leader(a) == 1 && runs(a) > 0:
			lead, other = a, b
		case leader(b) == 1 && runs(b) > 0:
			lead, other = b, a
		}
		return lead != nil
	})
	for range 20 {
		if leader(a)+leader(b) != 1 || runs(other) != 0 {
			t.Fatalf("leaders a=%v b=%v; audits by the other replica: %v", leader(a), leader(b), runs(other))
		}
		time.Sleep(100 * time.Millisecond)
	}
	findings := lead.srv.AuditMetrics().Findings
	if n := testutil.ToFloat64(findings.WithLabelValues("cron-schedule-never-runs", "error", ns)); n != 1 {
		t.Errorf("jobguard_audit_findings{rule=cron-schedule-never-runs,severity=error,namespace=%s} = %v, want 1", ns, n)
	}
	if !strings.Contains(lead.logs.String(), "the wgpolicyk8s.io/v1alpha2 CRD is not installed") {
		t.Errorf("without the CRD the leader says it writes no reports; logs:\n%s", lead.logs)
	}

	// The CRD installed: the leader writes the namespace's PolicyReport.
	installPolicyReportCRDs(t, ec)
	reports, err := dynamic.NewForConfig(ec.admin)
	if err != nil {
		t.Fatal(err)
	}
	resultsOf := func(ri dynamic.ResourceInterface) (map[string]bool, error) {
		r, err := ri.Get(ctx, webhook.ReportName, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		got := map[string]bool{}
		list, _, _ := unstructured.NestedSlice(r.Object, "results")
		for _, item := range list {
			res := item.(map[string]any)
			for _, o := range res["resources"].([]any) {
				ref := o.(map[string]any)
				got[fmt.Sprintf("%s/%s %s %s", ref["kind"], ref["name"], res["policy"], res["result"])] = true
			}
		}
		return got, nil
	}
	results := func() (map[string]bool, error) {
		return resultsOf(reports.Resource(webhook.PolicyReportResource).Namespace(ns))
	}
	var got map[string]bool
	waitUntil(t, 30*time.Second, "PolicyReport "+ns+"/jobguard with the CronJob's and the Job's findings", func() bool {
		got, err = results()
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		return got["CronJob/never cron-schedule-never-runs fail"] && got["Job/latest image-latest-tag warn"]
	})

	// Cluster-scoped objects go to the ClusterPolicyReport.
	waitUntil(t, 30*time.Second, "ClusterPolicyReport jobguard with the ClusterRole's findings", func() bool {
		got, err := resultsOf(reports.Resource(webhook.ClusterPolicyReportResource))
		return err == nil && got["ClusterRole/background-audit-wildcard rbac-wildcard warn"]
	})

	// Fixed: the CronJob's result goes away, in the same report (the same object, updated).
	uid := func() types.UID {
		r, err := reports.Resource(webhook.PolicyReportResource).Namespace(ns).Get(ctx, webhook.ReportName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetUID()
	}
	first := uid()
	var cj batchv1.CronJob
	if err := unreviewed.Get(ctx, client.ObjectKeyFromObject(never), &cj); err != nil {
		t.Fatal(err)
	}
	cj.Spec.Schedule = "0 3 * * *"
	if err := unreviewed.Update(ctx, &cj); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the fixed CronJob's result removed", func() bool {
		got, err = results()
		return err == nil && !got["CronJob/never cron-schedule-never-runs fail"] && got["Job/latest image-latest-tag warn"]
	})
	if uid() != first {
		t.Error("the PolicyReport was replaced, not updated in place")
	}

	// Deleted: the Job's results go away.
	if err := unreviewed.Delete(ctx, latest, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the deleted Job's results removed", func() bool {
		got, err = results()
		if err != nil {
			return false
		}
		for k := range got {
			if strings.HasPrefix(k, "Job/latest ") {
				return false
			}
		}
		return true
	})
	if n := testutil.ToFloat64(findings.WithLabelValues("cron-schedule-never-runs", "error", ns)); n != 0 {
		t.Errorf("the fixed CronJob is still counted: %v", n)
	}

	// The leader stops (its pod is deleted): it releases the Lease, and the other takes over.
	stop(lead)
	waitUntil(t, 30*time.Second, "the other replica leading and auditing", func() bool {
		return leader(other) == 1 && runs(other) > 0
	})
	if leader(lead) != 0 {
		t.Errorf("the stopped replica still says it leads")
	}
}

// installPolicyReportCRDs applies deploy/components/policy-reports/crds.yaml and waits until the
// API server serves them.
func installPolicyReportCRDs(t *testing.T, ec *envtestCluster) {
	t.Helper()
	dc, err := dynamic.NewForConfig(ec.admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range envtestReadDocs(t, filepath.Join("..", "deploy", "components", "policy-reports", "crds.yaml")) {
		u := d.object(t)
		if err := ec.c.Create(context.Background(), u); err != nil {
			t.Fatalf("creating %s: %v", u.GetName(), err)
		}
	}
	waitUntil(t, 30*time.Second, "the PolicyReport CRDs served", func() bool {
		_, e1 := dc.Resource(webhook.PolicyReportResource).List(context.Background(), metav1.ListOptions{Limit: 1})
		_, e2 := dc.Resource(webhook.ClusterPolicyReportResource).List(context.Background(), metav1.ListOptions{Limit: 1})
		return e1 == nil && e2 == nil
	})
}

// waitUntil polls cond until it holds or the timeout passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// backgroundAuditUser returns the connection of a user that has only what
// deploy/base/rbac-background-audit.yaml grants jobguard's ServiceAccount: its objects are
// created with that user as their subject, and its Role and RoleBinding in leaseNamespace.
func backgroundAuditUser(t *testing.T, ec *envtestCluster, leaseNamespace string) *rest.Config {
	t.Helper()
	const name = "jobguard-envtest-background-audit"
	user, err := ec.env.AddUser(envtest.User{Name: name}, &rest.Config{QPS: 1000, Burst: 2000})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range envtestReadDocs(t, filepath.Join("..", "deploy", "base", "rbac-background-audit.yaml")) {
		u := d.object(t)
		if u.GetNamespace() != "" {
			u.SetNamespace(leaseNamespace)
		}
		if _, ok := u.Object["subjects"]; ok {
			u.Object["subjects"] = []any{map[string]any{"kind": rbacv1.UserKind, "apiGroup": rbacv1.GroupName, "name": name}}
		}
		if err := ec.c.Create(context.Background(), u); err != nil {
			t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
	return user.Config()
}

// envtestAuditNeverDelaysReviews: the background audit runs in the server that answers the
// reviews, and its list requests hang, then fail: the reviews the API server sends meanwhile are
// answered as before (they are made while the audit is still stuck, so they cannot have waited
// for it), and the audit retries and succeeds once the API server answers again.
func envtestAuditNeverDelaysReviews(t *testing.T, ec *envtestCluster) {
	ctx, cancel := context.WithCancel(context.Background())
	const ns = "audit-availability"
	ec.namespace(t, ns)
	unreviewed, err := client.New(ec.unreviewed, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := unreviewed.Create(ctx, envtestCronJob(ns, "never", "0 0 30 2 *")); err != nil {
		t.Fatal(err)
	}

	gate := &listGate{release: make(chan struct{}), stuck: make(chan struct{})}
	gate.mode.Store(gateHang)
	cfg := rest.CopyConfig(ec.admin)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { gate.next = rt; return gate })

	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ec.server.StartAudit(ctx, webhook.AuditOptions{
			Config: cfg, Interval: time.Second, LeaseNamespace: ns, LeaseName: "jobguard-audit-availability",
			LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond,
		}); err != nil {
			t.Errorf("StartAudit: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-gate.stuck:
	case <-time.After(30 * time.Second):
		t.Fatal("the audit never listed Jobs or CronJobs")
	}
	m := ec.server.AuditMetrics()
	runs := func(result string) float64 { return testutil.ToFloat64(m.Runs.WithLabelValues(result)) }

	c, _ := ec.client(t, ec.admin)
	review := func(when string) {
		t.Helper()
		never := envtestCronJob(ns, "", "0 0 30 2 *")
		never.GenerateName = "never-"
		err := c.Create(ctx, never)
		if lines, ok := envtestDenial(err); !ok || !strings.Contains(strings.Join(lines, "\n"), "[cron-schedule-never-runs]") {
			t.Errorf("%s: a CronJob that never runs: %v, want denied by cron-schedule-never-runs", when, err)
		}
		job := envtestJob(ns, "")
		job.GenerateName = "ok-"
		if err := c.Create(ctx, job); err != nil {
			t.Errorf("%s: a valid Job: %v, want created", when, err)
		}
	}
	review("while the audit's lists hang")
	if n := runs("success") + runs("failure"); n != 0 {
		t.Fatalf("the audit finished %v times while its lists hung: the reviews above did not run beside a stuck audit", n)
	}

	// The API server fails the audit's lists: the audit fails, says so, and tries again.
	gate.mode.Store(gateFail)
	close(gate.release)
	waitUntil(t, 30*time.Second, "two failed audits", func() bool { return runs("failure") >= 2 })
	review("while the audit's lists fail")

	// The API server answers again: the next try succeeds and counts the CronJob.
	gate.mode.Store(gatePass)
	waitUntil(t, 30*time.Second, "an audit that succeeded", func() bool { return runs("success") >= 1 })
	if n := testutil.ToFloat64(m.Findings.WithLabelValues("cron-schedule-never-runs", "error", ns)); n != 1 {
		t.Errorf("jobguard_audit_findings{rule=cron-schedule-never-runs,namespace=%s} = %v, want 1", ns, n)
	}
}

// The states of a listGate.
const (
	gateHang int32 = iota // a list waits until release is closed, then fails
	gateFail              // a list fails at once with 500
	gatePass              // a list reaches the API server
)

// listGate stands between the background audit and the API server: it holds or fails the lists of
// Jobs and CronJobs, and passes everything else (the Lease, discovery, the reports).
type listGate struct {
	next    http.RoundTripper
	mode    atomic.Int32
	release chan struct{} // closed: hanging lists end
	stuck   chan struct{} // closed by the first list that hangs
	once    sync.Once
}

func (g *listGate) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || !strings.HasPrefix(req.URL.Path, "/apis/batch/") || g.mode.Load() == gatePass {
		return g.next.RoundTrip(req)
	}
	if g.mode.Load() == gateHang {
		g.once.Do(func() { close(g.stuck) })
		select {
		case <-g.release:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	body := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"listGate: failing on purpose","reason":"InternalError","code":500}`
	return &http.Response{
		StatusCode: http.StatusInternalServerError, Status: "500 Internal Server Error",
		Header: http.Header{"Content-Type": []string{"application/json"}},
		Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
		Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}
