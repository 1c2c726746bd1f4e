package webhook_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/testkit"
	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
	"github.com/jobguard/jobguard/webhook"
)

// update is the UPDATE request of old to obj.
func update(t testing.TB, old, obj []byte) admission.Request {
	t.Helper()
	req := request(t, admissionv1.Update, obj)
	req.OldObject = runtime.RawExtension{Raw: old}
	return req
}

// yamlJSON is a YAML object as JSON.
func yamlJSON(t *testing.T, y string) []byte {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// setPath sets the value at a dotted path of a JSON object, creating maps on the way.
func setPath(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	if v == nil {
		delete(m, keys[len(keys)-1])
		return
	}
	m[keys[len(keys)-1]] = v
}

func set(t testing.TB, obj []byte, path string, v any) []byte {
	return edit(t, obj, func(m map[string]any) { setPath(m, path, v) })
}

// hasWarning reports whether one of the response's warnings starts with prefix and contains all of parts.
func hasWarning(resp admission.Response, prefix string, parts ...string) bool {
	for _, w := range resp.Warnings {
		if !strings.HasPrefix(w, prefix) {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(w, p)
		}
		if ok {
			return true
		}
	}
	return false
}

const existingBefore = "the object had this finding before this change, so it does not deny the change"

func TestUpdateJudgesWhatTheChangeIntroduces(t *testing.T) {
	s := newServer(t, "", nil)
	never := fixture(t, "cron-schedule-never-runs/bad.yaml", "CronJob", "month-end")
	if resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, never)); resp.Allowed {
		t.Fatal("CREATE of a CronJob that never runs: allowed, want denied")
	}

	allowed := map[string][]byte{
		"label":    set(t, never, "metadata.labels.team", "data"),
		"annotate": set(t, never, "metadata.annotations", map[string]any{"argocd.argoproj.io/tracking-id": "x"}),
		"suspend":  set(t, never, "spec.suspend", true),
		// The annotation silenced a finding the object had: removing it introduces nothing.
		"ignore removed": never,
	}
	for name, obj := range allowed {
		t.Run(name, func(t *testing.T) {
			old := never
			if name == "ignore removed" {
				old = set(t, never, "metadata.annotations", map[string]any{policies.IgnoreAnnotation: "cron-schedule-never-runs"})
			}
			resp := s.Validator().Handle(ctx, update(t, old, obj))
			if !resp.Allowed {
				t.Fatalf("denied: %s", message(resp))
			}
			if !hasWarning(resp, "cron-schedule-never-runs: "+existingBefore, "never", "(spec.schedule)") {
				t.Errorf("no warning that the finding was there before in %q", resp.Warnings)
			}
		})
	}

	denied := map[string]struct {
		obj  []byte
		rule string
	}{
		// A violating field changed to another violating value: the change's finding.
		"schedule to another never-firing one": {set(t, never, "spec.schedule", "0 0 31 2 *"), "cron-schedule-never-runs"},
		// A new error finding next to the existing one.
		"new restartPolicy": {set(t, never, "spec.jobTemplate.spec.template.spec.restartPolicy", "Always"), "job-restart-policy"},
	}
	for name, c := range denied {
		t.Run(name, func(t *testing.T) {
			resp := s.Validator().Handle(ctx, update(t, never, c.obj))
			if resp.Allowed || code(resp) != 403 {
				t.Fatalf("allowed=%v code=%d, want denied", resp.Allowed, code(resp))
			}
			lines := strings.Split(message(resp), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "["+c.rule+"] ") {
				t.Errorf("denial %q: want exactly one line, by %s", message(resp), c.rule)
			}
			existing := hasWarning(resp, "cron-schedule-never-runs: "+existingBefore)
			if want := c.rule != "cron-schedule-never-runs"; existing != want {
				t.Errorf("warning that the schedule finding was there before: %v, want %v, in %q", existing, want, resp.Warnings)
			}
		})
	}

	// Fixing the schedule fixes the only denying finding: allowed, with no word about it.
	fixed := set(t, never, "spec.schedule", "0 0 28 2 *")
	resp := s.Validator().Handle(ctx, update(t, never, fixed))
	if !resp.Allowed || hasWarning(resp, "cron-schedule-never-runs") {
		t.Errorf("fixing the schedule: allowed=%v warnings %q", resp.Allowed, resp.Warnings)
	}

	// Each allowed update, and the one denied for its restartPolicy, warned about the schedule.
	if got, want := testutil.ToFloat64(s.Metrics().Findings.WithLabelValues("cron-schedule-never-runs", "error", webhook.ActionWarned, "true")), len(allowed)+1; got != float64(want) {
		t.Errorf(`jobguard_admission_findings_total{cron-schedule-never-runs,error,warned,existing="true"} = %v, want %d`, got, want)
	}
	if got := findings(s, "cron-schedule-never-runs", policies.SeverityError, webhook.ActionDenied); got != 2 {
		t.Errorf(`jobguard_admission_findings_total{cron-schedule-never-runs,error,denied,existing="false"} = %v, want 2 (the CREATE and the changed schedule)`, got)
	}
}

func TestUpdatesAllJudgesTheWholeObject(t *testing.T) {
	s := newServer(t, "webhook:\n  updates: all\n", nil)
	never := fixture(t, "cron-schedule-never-runs/bad.yaml", "CronJob", "month-end")
	resp := s.Validator().Handle(ctx, update(t, never, set(t, never, "metadata.labels.team", "data")))
	if resp.Allowed || !strings.HasPrefix(message(resp), "[cron-schedule-never-runs] ") {
		t.Errorf("allowed=%v %q; want the label denied by cron-schedule-never-runs, as before webhook.updates", resp.Allowed, message(resp))
	}
}

// Findings match by value, not by list index: removing a container does not make the next one's
// finding new, but a further container with the same violation is new.
func TestUpdateMatchesFindingsAcrossListIndexes(t *testing.T) {
	s := newServer(t, "rules:\n  image-latest-tag:\n    mode: enforce\n", nil)
	cron := yamlJSON(t, `
apiVersion: batch/v1
kind: CronJob
metadata: {name: two}
spec:
  schedule: "0 1 * * *"
  startingDeadlineSeconds: 300
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - {name: a, image: "busybox:latest"}
            - {name: b, image: "alpine"}
`)
	containers := func(cs ...map[string]any) []byte {
		list := make([]any, len(cs))
		for i, c := range cs {
			list[i] = c
		}
		return set(t, cron, "spec.jobTemplate.spec.template.spec.containers", list)
	}
	a := map[string]any{"name": "a", "image": "busybox:latest"}
	b := map[string]any{"name": "b", "image": "alpine"}
	c := map[string]any{"name": "c", "image": "alpine"}

	resp := s.Validator().Handle(ctx, update(t, cron, containers(b)))
	if !resp.Allowed {
		t.Errorf("removing the first container: denied: %s", message(resp))
	}
	resp = s.Validator().Handle(ctx, update(t, cron, containers(a, b, c)))
	if resp.Allowed || !strings.Contains(message(resp), "containers[2].image") || strings.Count(message(resp), "\n") != 0 {
		t.Errorf("adding a third container with an unpinned image: allowed=%v %q; want one denial, of containers[2]", resp.Allowed, message(resp))
	}
}

// accessLog is an AccessChecker that says every request is missing and records what it was asked.
type accessLog struct {
	mu    sync.Mutex
	asked []string
}

func (l *accessLog) Check(_ context.Context, sa rbac.ServiceAccount, req kubectl.Request) (rbac.Verdict, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, sa.String()+" "+req.Verb+" "+req.Resource+"/"+req.Subresource+" "+req.Name)
	return rbac.Verdict{Known: true, Allowed: false}, nil
}

func (l *accessLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.asked
	l.asked = nil
	return out
}

func newServerWith(tb testing.TB, opts webhook.Options) *webhook.Server {
	tb.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	s, err := webhook.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// enforcingServer is a webhook whose configuration enforces every rule (webhook.mode: enforce),
// with access answering its RBAC questions: where an UPDATE that should pass must still pass.
func enforcingServer(tb testing.TB, access policies.AccessChecker) *webhook.Server {
	tb.Helper()
	cfg := filepath.Join(tb.TempDir(), ".jobguard.yaml")
	if err := os.WriteFile(cfg, []byte("webhook:\n  mode: enforce\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return newServerWith(tb, webhook.Options{ConfigFile: cfg, AccessChecker: access})
}

const restartCronJob = `
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly-restart, namespace: apps, uid: cj-uid}
spec:
  schedule: "0 3 * * *"
  startingDeadlineSeconds: 300
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      activeDeadlineSeconds: 600
      template:
        spec:
          serviceAccountName: restarter
          restartPolicy: Never
          containers:
            - name: run
              image: registry.k8s.io/kubectl:v1.36.3
              command: ["sh", "-c", "echo backup done; kubectl rollout restart deployment/web"]
`

// rbac-insufficient on UPDATE asks only about the requests the change introduces.
func TestUpdateAsksOnlyAboutNewRequests(t *testing.T) {
	access := &accessLog{}
	s := newServerWith(t, webhook.Options{AccessChecker: access})
	cron := yamlJSON(t, restartCronJob)
	if resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, cron)); resp.Allowed || !strings.Contains(message(resp), "[rbac-insufficient] ") {
		t.Fatalf("CREATE: allowed=%v %q, want denied by rbac-insufficient", resp.Allowed, message(resp))
	}
	if len(access.take()) == 0 {
		t.Fatal("CREATE asked no access question")
	}

	resp := s.Validator().Handle(ctx, update(t, cron, set(t, cron, "metadata.labels.team", "ops")))
	if !resp.Allowed {
		t.Errorf("label: denied: %s", message(resp))
	}
	if asked := access.take(); len(asked) != 0 {
		t.Errorf("label: asked %q; want no access question", asked)
	}

	script := "echo backup done; kubectl rollout restart deployment/web; kubectl delete pod cache-0"
	resp = s.Validator().Handle(ctx, update(t, cron, edit(t, cron, func(m map[string]any) {
		c := m["spec"].(map[string]any)["jobTemplate"].(map[string]any)["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
		c["command"] = []any{"sh", "-c", script}
	})))
	if resp.Allowed || !strings.Contains(message(resp), "kubectl delete pod cache-0` needs delete on pods") {
		t.Errorf("new kubectl command: allowed=%v %q; want its missing permission denied", resp.Allowed, message(resp))
	}
	if strings.Contains(message(resp), "needs patch on deployments") {
		t.Errorf("the request the old object made already is reported: %q", message(resp))
	}
	for _, q := range access.take() {
		if !strings.Contains(q, "pods/ cache-0") {
			t.Errorf("asked %q, which the old object made already", q)
		}
	}

	// Another ServiceAccount makes every request new.
	resp = s.Validator().Handle(ctx, update(t, cron, set(t, cron, "spec.jobTemplate.spec.template.spec.serviceAccountName", "other")))
	if resp.Allowed || len(access.take()) == 0 {
		t.Errorf("new ServiceAccount: allowed=%v; want its requests asked and denied", resp.Allowed)
	}
}

// jobOf is the Job a CronJob's controller creates from it.
func jobOf(t *testing.T, cron []byte, name, uid string) []byte {
	t.Helper()
	var cj batchv1.CronJob
	if err := json.Unmarshal(cron, &cj); err != nil {
		t.Fatal(err)
	}
	job := batchv1.Job{Spec: cj.Spec.JobTemplate.Spec}
	job.APIVersion, job.Kind = "batch/v1", "Job"
	job.Name, job.Namespace = name, cj.Namespace
	job.Annotations = map[string]string{"cronjob.kubernetes.io/instantiate": "manual"}
	isController := true
	job.OwnerReferences = []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: cj.Name, UID: types.UID(uid), Controller: &isController}}
	// What the API server defaults in a Job (SetDefaults_Job).
	job.Spec.BackoffLimit = ptrTo[int32](6)
	job.Spec.Completions, job.Spec.Parallelism = ptrTo[int32](1), ptrTo[int32](1)
	out, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

func TestCronJobsJobJudgedAgainstItsTemplate(t *testing.T) {
	cron := yamlJSON(t, restartCronJob)
	var cj batchv1.CronJob
	if err := json.Unmarshal(cron, &cj); err != nil {
		t.Fatal(err)
	}
	reader := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(&cj).Build()
	access := &accessLog{}
	s := newServerWith(t, webhook.Options{AccessChecker: access, Reader: reader})

	job := jobOf(t, cron, "run-1", "cj-uid")
	resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, job))
	if !resp.Allowed {
		t.Fatalf("the CronJob's Job: denied: %s", message(resp))
	}
	if asked := access.take(); len(asked) != 0 {
		t.Errorf("asked %q; the template makes the same requests", asked)
	}

	// Something the template does not have is the Job's own.
	own := set(t, job, "spec.template.spec.containers", []any{
		map[string]any{"name": "run", "image": "registry.k8s.io/kubectl:v1.36.3", "command": []any{"kubectl", "delete", "namespace", "prod"}},
	})
	resp = s.Validator().Handle(ctx, request(t, admissionv1.Create, own))
	if resp.Allowed || !strings.Contains(message(resp), "kubectl delete namespace prod` needs delete on namespaces") {
		t.Errorf("a Job with a command its template lacks: allowed=%v %q; want denied", resp.Allowed, message(resp))
	}

	// An owner reference to another object of that name (another uid) is no exemption.
	access.take()
	resp = s.Validator().Handle(ctx, request(t, admissionv1.Create, jobOf(t, cron, "run-2", "forged-uid")))
	if resp.Allowed || len(access.take()) == 0 {
		t.Errorf("a Job whose owner reference names another uid: allowed=%v; want judged whole and denied", resp.Allowed)
	}

	// An existing finding of the template comes back as a warning naming the CronJob.
	unpinned := set(t, cron, "spec.jobTemplate.spec.template.spec.containers", []any{map[string]any{"name": "run", "image": "busybox"}})
	var cj2 batchv1.CronJob
	if err := json.Unmarshal(unpinned, &cj2); err != nil {
		t.Fatal(err)
	}
	reader2 := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(&cj2).Build()
	s = newServerWith(t, webhook.Options{Reader: reader2})
	resp = s.Validator().Handle(ctx, request(t, admissionv1.Create, jobOf(t, unpinned, "run-3", "cj-uid")))
	if !resp.Allowed || !hasWarning(resp, "image-latest-tag: the jobTemplate of CronJob apps/nightly-restart has this finding too; fix it in the CronJob: ") {
		t.Errorf("allowed=%v warnings %q; want a warning that names the CronJob", resp.Allowed, resp.Warnings)
	}
	// Counted as existing, so that dashboards do not take the CronJob's finding for the Job's.
	if got := testutil.ToFloat64(s.Metrics().Findings.WithLabelValues("image-latest-tag", "warning", webhook.ActionWarned, "true")); got != 1 {
		t.Errorf(`jobguard_admission_findings_total{image-latest-tag,warning,warned,existing="true"} = %v, want 1`, got)
	}
}

// FuzzUpdateMetadataOnly checks a property of webhook.updates: changes: for any object of
// testdata/ and any UPDATE that changes only its labels and annotations (the jobguard.io/ignore
// annotation included), the webhook never denies, even with every rule enforced, and asks no
// access question. The input picks the object and encodes the edits (see metadataEdits).
func FuzzUpdateMetadataOnly(f *testing.F) {
	objs := reviewedFixtures(f)
	access := &accessLog{}
	s := enforcingServer(f, access)
	for i := range objs {
		f.Add(uint16(i), []byte{0, 0, 2})                      // a label added
		f.Add(uint16(i), []byte{1, 3, 80, 4, 2})               // old ignores cron-schedule-never-runs, the change removes that
		f.Add(uint16(i), []byte{1, 3, 35, 4, 2})               // the same with job-restart-policy,rbac-insufficient
		f.Add(uint16(i), []byte{4, 2, 1, 1, 3, 0, 5, 3, 2, 9}) // labels and annotations changed and removed
	}
	f.Fuzz(func(t *testing.T, pick uint16, script []byte) {
		fixture := objs[int(pick)%len(objs)]
		old, obj := metadataEdits(t, fixture, script)
		access.take()
		resp := s.Validator().Handle(ctx, update(t, old, obj))
		if !resp.Allowed {
			t.Fatalf("denied (%d): %s\nold: %s\nnew: %s", code(resp), message(resp), old, obj)
		}
		if asked := access.take(); len(asked) != 0 {
			t.Errorf("asked %q on a metadata-only update", asked)
		}
	})
}

// reviewedFixtures are the Jobs, CronJobs and RBAC objects of testdata/*/*.yaml, as JSON.
func reviewedFixtures(tb testing.TB) [][]byte {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*", "*.yaml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	var objs [][]byte
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		docs, _ := testkit.JSONDocuments(data) // a fixture of malformed input: the objects before it
		for _, j := range docs {
			var m struct {
				Kind     string         `json:"kind"`
				Metadata map[string]any `json:"metadata"`
			}
			if json.Unmarshal(j, &m) != nil || m.Metadata == nil {
				continue
			}
			switch m.Kind {
			case "Job", "CronJob", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
				objs = append(objs, j)
			}
		}
	}
	if len(objs) < 50 {
		tb.Fatalf("only %d fixture objects", len(objs))
	}
	return objs
}

// metadataEdits turns a script into two versions of obj that differ from obj, and from each
// other, only in labels and annotations: the first byte says how many of the edits (pairs of
// bytes: what, which) make the old object; the rest make the new one from the old.
func metadataEdits(t *testing.T, obj, script []byte) (old, updated []byte) {
	split := 0
	if len(script) > 0 {
		split = 2 * int(script[0]) % (len(script) + 1)
		script = script[1:]
	}
	split = min(split, len(script))
	old = applyMetadataEdits(t, obj, script[:split])
	return old, applyMetadataEdits(t, old, script[split:])
}

var (
	fuzzLabelKeys      = []string{"team", "app.kubernetes.io/name", "tier", "jobguard.io/webhook"}
	fuzzAnnotationKeys = []string{"argocd.argoproj.io/tracking-id", "kubectl.kubernetes.io/last-applied-configuration", policies.IgnoreAnnotation}
	fuzzValues         = []string{"", "x", "data", "cron-schedule-never-runs", "job-restart-policy,rbac-insufficient", "rbac-invalid-subject", "name-too-long,invalid-name", "no-such-rule", "image-latest-tag", "deprecated-api", "*"}
)

func applyMetadataEdits(t *testing.T, obj, script []byte) []byte {
	return edit(t, obj, func(m map[string]any) {
		meta := m["metadata"].(map[string]any)
		for i := 0; i+1 < len(script); i += 2 {
			what, which := script[i]%6, int(script[i+1])
			field, keys := "labels", fuzzLabelKeys
			if what >= 3 {
				field, keys = "annotations", fuzzAnnotationKeys
			}
			values, _ := meta[field].(map[string]any)
			if values == nil {
				values = map[string]any{}
			}
			key := keys[which%len(keys)]
			switch what % 3 {
			case 0: // set
				values[key] = fuzzValues[which%len(fuzzValues)]
			case 1: // remove
				delete(values, key)
			case 2: // drop them all
				values = nil
			}
			if values == nil {
				delete(meta, field)
			} else {
				meta[field] = values
			}
		}
	})
}

// An UPDATE that changes only what the API server changes on every write (resourceVersion,
// managedFields, generation) is answered from one evaluation; the answer is the one an UPDATE
// that changes a label gets, for which both objects are evaluated.
func TestUnchangedUpdateAnsweredAsAChangedOne(t *testing.T) {
	access := &accessLog{}
	s := enforcingServer(t, access)
	for _, obj := range reviewedFixtures(t) {
		written := edit(t, obj, func(m map[string]any) {
			meta := m["metadata"].(map[string]any)
			meta["resourceVersion"], meta["generation"] = "42", 7
			meta["managedFields"] = []any{map[string]any{"manager": "kubectl", "operation": "Update"}}
		})
		labelled := s.Validator().Handle(ctx, update(t, obj, set(t, written, "metadata.labels.jobguard-test", "x")))
		name := string(obj[:min(len(obj), 120)])
		for what, req := range map[string]admission.Request{
			"written again":  update(t, obj, written),
			"the same bytes": update(t, obj, obj),
		} {
			unchanged := s.Validator().Handle(ctx, req)
			if !unchanged.Allowed || !labelled.Allowed {
				t.Errorf("%s: allowed %v (%s) and %v (labelled), want both", name, unchanged.Allowed, what, labelled.Allowed)
			}
			if !slices.Equal(slices.Sorted(slices.Values(unchanged.Warnings)), slices.Sorted(slices.Values(labelled.Warnings))) {
				t.Errorf("%s: warnings differ:\n %s %q\n labelled %q", name, what, unchanged.Warnings, labelled.Warnings)
			}
		}
		if asked := access.take(); len(asked) != 0 {
			t.Errorf("%s: asked %q", name, asked)
		}
	}
}

// BenchmarkValidateUpdate answers a CREATE and UPDATEs of a CronJob with several findings and a
// kubectl command: unchanged (one evaluation), with a label (both objects evaluated) and with a
// changed command (both evaluated, the new requests asked).
func BenchmarkValidateUpdate(b *testing.B) {
	s, err := webhook.New(webhook.Options{Logger: slog.New(slog.DiscardHandler), AccessChecker: &accessLog{}})
	if err != nil {
		b.Fatal(err)
	}
	cron := fixture(b, "seeds/000-restart-cronjob.yaml", "CronJob", "restart-cronjob")
	t := b
	reqs := []struct {
		name string
		req  admission.Request
	}{
		{"create", request(t, admissionv1.Create, cron)},
		{"unchanged", update(t, cron, set(t, cron, "metadata.resourceVersion", "2"))},
		{"label", update(t, cron, set(t, cron, "metadata.labels.team", "ops"))},
		{"command", update(t, cron, edit(t, cron, func(m map[string]any) {
			c := m["spec"].(map[string]any)["jobTemplate"].(map[string]any)["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
			c["command"] = []any{"sh", "-c", "kubectl get pods"}
		}))},
	}
	for _, r := range reqs {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				s.Validator().Handle(ctx, r.req)
			}
		})
	}
}

// wholeObjectRule is a custom rule whose finding is about the whole object (an empty path).
const wholeObjectRule = `# METADATA
# title: CronJobs must not run at 3 in the morning
# description: The backup window.
# custom:
#   id: no-3am
#   severity: error
#   kinds: [CronJob]
#   remediation: Move the schedule out of the backup window.
package jobguard.rules.custom.no_3am

import data.jobguard.lib.result

deny contains result.fail(sprintf("runs at 3 am (%s), in the backup window", [input.object.spec.schedule]), []) if {
	startswith(input.object.spec.schedule, "0 3 ")
}
`

// A finding about the whole object is existing when the old object's says the same: the object,
// its value, changes with every UPDATE.
func TestUpdateWholeObjectFinding(t *testing.T) {
	s := newServer(t, "policies: [rules]\n", map[string]string{"rules/no_3am.rego": wholeObjectRule})
	cron := yamlJSON(t, restartCronJob)
	resp := s.Validator().Handle(ctx, update(t, cron, set(t, cron, "spec.suspend", true)))
	if !resp.Allowed || !hasWarning(resp, "no-3am: "+existingBefore, "runs at 3 am") {
		t.Errorf("suspending: allowed=%v %q, warnings %q; want allowed with the finding as existing", resp.Allowed, message(resp), resp.Warnings)
	}
	resp = s.Validator().Handle(ctx, update(t, cron, set(t, cron, "spec.schedule", "0 3 * * 1")))
	if resp.Allowed || !strings.HasPrefix(message(resp), "[no-3am] runs at 3 am (0 3 * * 1)") {
		t.Errorf("another 3 am schedule: allowed=%v %q; want denied by no-3am", resp.Allowed, message(resp))
	}
}
