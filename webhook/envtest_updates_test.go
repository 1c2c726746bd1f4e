package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/jobguard/jobguard/config"
)

// envtestKubectl runs the real kubectl as a reviewed administrator.
type envtestKubectl struct {
	path, kubeconfig, home string
}

func (ec *envtestCluster) kubectlAs(t *testing.T, user string) envtestKubectl {
	t.Helper()
	u, err := ec.env.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := u.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	path := filepath.Join(home, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	return envtestKubectl{path: ec.kubectl, kubeconfig: path, home: home}
}

// run runs kubectl with args (stdin, when not empty, on its standard input) and returns its
// standard error, where it prints warnings and errors, and whether it succeeded.
func (k envtestKubectl) run(t *testing.T, stdin string, args ...string) (stderr string, ok bool) {
	t.Helper()
	cmd := exec.Command(k.path, append([]string{"--kubeconfig", k.kubeconfig, "--cache-dir", filepath.Join(k.home, "cache")}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+k.home, "KUBECONFIG="+k.kubeconfig)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	t.Logf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	return errOut.String(), err == nil
}

// envtestManifest is obj as JSON with its apiVersion and kind, for kubectl apply.
func envtestManifest(t *testing.T, obj client.Object, apiVersion, kind string) string {
	t.Helper()
	js, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	m["apiVersion"], m["kind"] = apiVersion, kind
	meta := m["metadata"].(map[string]any)
	delete(meta, "creationTimestamp")
	delete(meta, "resourceVersion")
	delete(meta, "uid")
	delete(meta, "managedFields")
	delete(m, "status")
	js, err = json.Marshal(envtestWithoutNulls(m))
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

// envtestWithoutNulls drops the null fields Go's encoding of a typed object writes
// (creationTimestamp: null), which an apply would read as "remove this field".
func envtestWithoutNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			v[k] = envtestWithoutNulls(e)
		}
	case []any:
		for i := range v {
			v[i] = envtestWithoutNulls(v[i])
		}
	}
	return v
}

const envtestExistingWarning = "the object had this finding before this change"

// envtestUpdates: objects that exist before jobguard reviews them (created by
// envtestUnreviewedUser, whom the webhook configurations' matchConditions skip, as if jobguard were
// not installed yet) and that violate enforced rules can be labelled, annotated, applied again
// with server-side apply by another field manager, and suspended; each answer warns about the
// existing findings. A CronJob's Job created with `kubectl create job --from=cronjob/...` is
// created although the CronJob's kubectl lacks RBAC. An UPDATE that introduces a new error finding,
// or changes a violating field to another violating value, is denied; with webhook.updates: all
// the whole object is judged again.
func envtestUpdates(t *testing.T, ec *envtestCluster) {
	ctx := context.Background()
	ns := "envtest-updates"
	ec.namespace(t, ns)
	unreviewed, _ := ec.client(t, ec.unreviewed)
	kubectl := ec.kubectlAs(t, "updates-admin")

	// A ServiceAccount without any RBAC: its kubectl commands lack every permission.
	restarter := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "restarter"}}
	if err := unreviewed.Create(ctx, restarter); err != nil {
		t.Fatal(err)
	}

	feb30 := envtestCronJob(ns, "feb30", "0 0 30 2 *")
	feb30.Spec.StartingDeadlineSeconds = ptr.To[int64](300)

	restartJob := envtestJob(ns, "restart-web")
	restartJob.Spec.Template.Spec.ServiceAccountName = "restarter"
	restartJob.Spec.Template.Spec.Containers[0].Image = "registry.k8s.io/kubectl:v1.36.3"
	restartJob.Spec.Template.Spec.Containers[0].Command = []string{"sh", "-c", "echo backup done; kubectl rollout restart deployment/web"}

	nightly := envtestCronJob(ns, "nightly-restart", "0 3 * * *")
	nightly.Spec.StartingDeadlineSeconds = ptr.To[int64](300)
	nightly.Spec.JobTemplate.Spec.Template.Spec = *restartJob.Spec.Template.Spec.DeepCopy()

	invalidBinding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "envtest-updates-invalid-namespace"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "reader", Namespace: "Data_Team"}},
	}
	t.Cleanup(func() { _ = ec.c.Delete(context.Background(), invalidBinding) })

	// What jobguard would have denied, had it been there.
	for _, o := range []client.Object{feb30, restartJob, nightly, invalidBinding} {
		if _, denied := envtestDenial(ec.c.Create(ctx, o.DeepCopyObject().(client.Object), client.DryRunAll)); !denied {
			t.Fatalf("%T %s: jobguard does not deny its CREATE; the test needs objects that violate enforced rules", o, o.GetName())
		}
		if err := unreviewed.Create(ctx, o); err != nil {
			t.Fatalf("creating %T %s without jobguard: %v", o, o.GetName(), err)
		}
	}

	type existing struct {
		resource, name string
		manifest       string
		rule           string // the rule whose finding existed and must be in a warning
		suspend        bool
	}
	objects := []existing{
		{"cronjob", "feb30", envtestManifest(t, feb30, "batch/v1", "CronJob"), "cron-schedule-never-runs", true},
		// Its rbac-insufficient finding is not asked again (no SubjectAccessReview for requests the
		// old object made), so the warning is of its other existing finding: no TTL.
		{"job", "restart-web", envtestManifest(t, restartJob, "batch/v1", "Job"), "job-missing-ttl", true},
		{"cronjob", "nightly-restart", envtestManifest(t, nightly, "batch/v1", "CronJob"), "", true},
		{"clusterrolebinding", invalidBinding.Name, envtestManifest(t, invalidBinding, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding"), "rbac-invalid-subject", false},
	}
	for _, o := range objects {
		t.Run(o.resource+"/"+o.name, func(t *testing.T) {
			nsArgs := []string{"-n", ns}
			if o.resource == "clusterrolebinding" {
				nsArgs = nil
			}
			steps := map[string][]string{
				"label":    {"label", o.resource, o.name, "team=data"},
				"annotate": {"annotate", o.resource, o.name, "argocd.argoproj.io/tracking-id=" + o.name},
				// Another field manager applies the same manifest, as a GitOps tool does.
				"server-side apply": {"apply", "--server-side", "--field-manager=gitops", "-f", "-"},
			}
			if o.suspend {
				steps["suspend"] = []string{"patch", o.resource, o.name, "--type=merge", "-p", `{"spec":{"suspend":true}}`}
			}
			for _, step := range []string{"label", "annotate", "server-side apply", "suspend"} {
				args, ok := steps[step]
				if !ok {
					continue
				}
				stdin := ""
				if step == "server-side apply" {
					stdin = o.manifest
				}
				stderr, ok := kubectl.run(t, stdin, append(args, nsArgs...)...)
				if !ok {
					t.Errorf("%s: kubectl failed: %s", step, stderr)
					continue
				}
				if strings.Contains(stderr, "denied the request") {
					t.Errorf("%s: denied: %s", step, stderr)
				}
				if o.rule != "" && !strings.Contains(stderr, "Warning: "+o.rule+": "+envtestExistingWarning) {
					t.Errorf("%s: no warning that the %s finding was there before, in:\n%s", step, o.rule, stderr)
				}
			}
		})
	}

	// The CronJob's Job has the CronJob's template: created, without a SubjectAccessReview's
	// denial, although the ServiceAccount lacks the permission.
	stderr, ok := kubectl.run(t, "", "create", "job", "run-1", "--from=cronjob/nightly-restart", "-n", ns)
	if !ok {
		t.Errorf("kubectl create job --from=cronjob/nightly-restart: %s", stderr)
	}
	job := &batchv1.Job{}
	if err := ec.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "run-1"}, job); err != nil {
		t.Errorf("the Job created from the CronJob: %v", err)
	} else if len(job.OwnerReferences) != 1 || job.OwnerReferences[0].Name != "nightly-restart" {
		t.Errorf("the Job created from the CronJob has owner references %v", job.OwnerReferences)
	}

	// The CronJob controller's own Job, built as getJobFromTemplate2 (k8s.io/kubernetes v1.36.3,
	// pkg/controller/cronjob/utils.go) builds it: a controller ownerReference from NewControllerRef
	// (blockOwnerDeletion too, unlike kubectl's), the scheduled-timestamp annotation, the name with
	// the scheduled time in minutes. No controller runs in envtest, so the test submits it.
	scheduledJob := func(scheduled time.Time) *batchv1.Job {
		t.Helper()
		cj := &batchv1.CronJob{}
		if err := ec.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "nightly-restart"}, cj); err != nil {
			t.Fatal(err)
		}
		job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{
			Namespace:       ns,
			Name:            fmt.Sprintf("%s-%d", cj.Name, scheduled.Unix()/60),
			Labels:          cj.Spec.JobTemplate.Labels,
			Annotations:     map[string]string{batchv1.CronJobScheduledTimestampAnnotation: scheduled.Format(time.RFC3339)},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, batchv1.SchemeGroupVersion.WithKind("CronJob"))},
		}}
		cj.Spec.JobTemplate.Spec.DeepCopyInto(&job.Spec)
		return job
	}
	scheduled := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	if err := ec.c.Create(ctx, scheduledJob(scheduled)); err != nil {
		t.Errorf("the CronJob controller's Job: %v", err)
	}

	// A change that introduces an error finding is denied.
	denied := []struct {
		what string
		args []string
		want string
	}{
		{"a violating schedule changed to another violating one",
			[]string{"patch", "cronjob", "feb30", "-n", ns, "--type=merge", "-p", `{"spec":{"schedule":"0 0 31 2 *"}}`},
			`[cron-schedule-never-runs] schedule "0 0 31 2 *" never fires`},
		{"a new kubectl command the ServiceAccount lacks RBAC for",
			[]string{"patch", "cronjob", "nightly-restart", "-n", ns, "--type=json", "-p",
				`[{"op":"replace","path":"/spec/jobTemplate/spec/template/spec/containers/0/command/2","value":"echo backup done; kubectl rollout restart deployment/web; kubectl delete pod cache-0"}]`},
			"[rbac-insufficient] `kubectl delete pod cache-0` needs delete on pods"},
		{"a second subject with an invalid namespace",
			[]string{"patch", "clusterrolebinding", invalidBinding.Name, "--type=json", "-p",
				`[{"op":"add","path":"/subjects/-","value":{"kind":"ServiceAccount","name":"writer","namespace":"Ops_Team"}}]`},
			`[rbac-invalid-subject] namespace "Ops_Team" is not a valid namespace name`},
	}
	for _, d := range denied {
		stderr, ok := kubectl.run(t, "", d.args...)
		if ok || !strings.Contains(stderr, "denied the request: "+d.want) {
			t.Errorf("%s: want a denial with %q, got success=%v:\n%s", d.what, d.want, ok, stderr)
		}
		// Only the change's finding denies: the object's old ones are warnings.
		if strings.Count(stderr, "\n[") > 0 {
			t.Errorf("%s: more than one denying finding:\n%s", d.what, stderr)
		}
	}

	// webhook.updates: all judges the whole object again, as before.
	previous := ec.server.Policy().Config
	all := *previous
	all.Webhook.Updates = config.UpdatesAll
	if err := ec.server.Reload(&all); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ec.server.Reload(previous); err != nil {
			t.Error(err)
		}
	})
	stderr, ok = kubectl.run(t, "", "label", "cronjob", "feb30", "-n", ns, "tier=batch")
	if ok || !strings.Contains(stderr, "denied the request: [cron-schedule-never-runs]") {
		t.Errorf("webhook.updates: all: labelling the CronJob: want denied by cron-schedule-never-runs, got success=%v:\n%s", ok, stderr)
	}
	stderr, ok = kubectl.run(t, "", "create", "job", "run-2", "--from=cronjob/nightly-restart", "-n", ns)
	if ok || !strings.Contains(stderr, "denied the request: [rbac-insufficient]") {
		t.Errorf("webhook.updates: all: the CronJob's Job: want denied by rbac-insufficient, got success=%v:\n%s", ok, stderr)
	}
	if lines, denied := envtestDenial(ec.c.Create(ctx, scheduledJob(scheduled.Add(24*time.Hour)))); !denied || !strings.HasPrefix(lines[0], "[rbac-insufficient] ") {
		t.Errorf("webhook.updates: all: the CronJob controller's Job: want denied by rbac-insufficient, got %q (denied=%v)", lines, denied)
	}
}
