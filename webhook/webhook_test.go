package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/jobguard/jobguard/internal/testkit"
	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
	"github.com/jobguard/jobguard/webhook"
)

func TestMain(m *testing.M) {
	logf.SetLogger(logr.Discard()) // controller-runtime's own logs
	os.Exit(m.Run())
}

// newServer returns a Server with the configuration cfg (YAML; "" for the default), written to
// a temporary .jobguard.yaml so that relative policy directories resolve against it.
func newServer(t *testing.T, cfg string, files map[string]string) *webhook.Server {
	t.Helper()
	opts := webhook.Options{Logger: slog.New(slog.DiscardHandler)}
	if cfg != "" {
		dir := t.TempDir()
		files = mapsWith(files, ".jobguard.yaml", cfg)
		for name, content := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		opts.ConfigFile = filepath.Join(dir, ".jobguard.yaml")
	}
	s, err := webhook.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mapsWith(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}

// fixture returns the object kind/name of a YAML file under testdata/, as JSON.
func fixture(t testing.TB, file, kind, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := testkit.JSONDocuments(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range docs {
		if m := meta(t, j); m.Kind == kind && m.Metadata.Name == name {
			return j
		}
	}
	t.Fatalf("testdata/%s has no %s %s", file, kind, name)
	return nil
}

type objectMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func meta(t testing.TB, obj []byte) objectMeta {
	t.Helper()
	var m objectMeta
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatalf("%v in %s", err, obj)
	}
	return m
}

// request is the AdmissionRequest the API server sends for op on obj, in namespace "default"
// unless the object names one.
func request(t testing.TB, op admissionv1.Operation, obj []byte) admission.Request {
	t.Helper()
	m := meta(t, obj)
	gv, err := schema.ParseGroupVersion(m.APIVersion)
	if err != nil {
		t.Fatal(err)
	}
	ns := m.Metadata.Namespace
	if ns == "" && !strings.HasPrefix(m.Kind, "Cluster") {
		ns = "default"
	}
	dryRun := false
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       types.UID("uid-" + m.Metadata.Name),
		Kind:      metav1.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: m.Kind},
		Resource:  metav1.GroupVersionResource{Group: gv.Group, Version: gv.Version, Resource: strings.ToLower(m.Kind) + "s"},
		Name:      m.Metadata.Name,
		Namespace: ns,
		Operation: op,
		UserInfo:  authenticationv1.UserInfo{Username: "alice"},
		DryRun:    &dryRun,
	}}
	switch op {
	case admissionv1.Create:
		req.Object = runtime.RawExtension{Raw: obj}
	case admissionv1.Update:
		req.Object = runtime.RawExtension{Raw: obj}
		req.OldObject = runtime.RawExtension{Raw: obj}
	case admissionv1.Delete:
		req.OldObject = runtime.RawExtension{Raw: obj}
	}
	return req
}

// inNamespace returns obj with metadata.namespace set.
func inNamespace(t *testing.T, obj []byte, ns string) []byte {
	return edit(t, obj, func(m map[string]any) { m["metadata"].(map[string]any)["namespace"] = ns })
}

// edit returns a modified copy of obj.
func edit(t testing.TB, obj []byte, f func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func code(resp admission.Response) int32 {
	if resp.Result == nil {
		return 0
	}
	return resp.Result.Code
}

func message(resp admission.Response) string {
	if resp.Result == nil {
		return ""
	}
	return resp.Result.Message
}

// warningsOf returns the rule ids the warnings are about ("rule-id: message (path)").
func warningsOf(resp admission.Response) []string {
	var ids []string
	for _, w := range resp.Warnings {
		id, _, _ := strings.Cut(w, ": ")
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// patched applies the response's patch to obj, checking it is a JSON patch of add operations.
func patched(t *testing.T, obj []byte, resp admission.Response) []byte {
	t.Helper()
	if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Fatalf("patch type = %v, want JSONPatch", resp.PatchType)
	}
	for _, op := range resp.Patches {
		if op.Operation != "add" {
			t.Errorf("patch operation %s %s, want add only", op.Operation, op.Path)
		}
	}
	raw, err := json.Marshal(resp.Patches)
	if err != nil {
		t.Fatal(err)
	}
	p, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		t.Fatalf("the patch %s does not decode: %v", raw, err)
	}
	out, err := p.Apply(obj)
	if err != nil {
		t.Fatalf("the patch %s does not apply: %v", raw, err)
	}
	return out
}

// at reads the value at a dotted path of a JSON object.
func at(t *testing.T, obj []byte, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(obj, &v); err != nil {
		t.Fatal(err)
	}
	for key := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

func findings(s *webhook.Server, rule string, sev policies.Severity, action string) float64 {
	return testutil.ToFloat64(s.Metrics().Findings.WithLabelValues(rule, string(sev), action, "false"))
}

func requests(s *webhook.Server, hook, op, kind, allowed string) float64 {
	return testutil.ToFloat64(s.Metrics().Requests.WithLabelValues(hook, op, kind, allowed))
}

var ctx = context.Background()

func TestValidateDeniesErrors(t *testing.T) {
	s := newServer(t, "", nil)
	job := fixture(t, "job-restart-policy/bad.yaml", "Job", "migrate")
	resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, job))

	if resp.Allowed || code(resp) != 403 || resp.Result.Reason != metav1.StatusReasonForbidden {
		t.Fatalf("allowed=%v code=%d reason=%s, want a 403 denial", resp.Allowed, code(resp), resp.Result.Reason)
	}
	want := `[job-restart-policy] restartPolicy is not set, so it defaults to Always, which a Job does not accept; valid values: "OnFailure", "Never" (spec.template.spec.restartPolicy)`
	if got := message(resp); got != want {
		t.Errorf("message:\n got %s\nwant %s", got, want)
	}
	// Warnings still come with a denial; info (audit) does not.
	wantWarning := "job-missing-ttl: standalone Job has no ttlSecondsAfterFinished: once finished, it and its pods stay until deleted by hand (spec.ttlSecondsAfterFinished)"
	if !slices.Equal(resp.Warnings, []string{wantWarning}) {
		t.Errorf("warnings = %q, want [%q]", resp.Warnings, wantWarning)
	}
	for _, c := range []struct {
		rule   string
		sev    policies.Severity
		action string
	}{
		{"job-restart-policy", policies.SeverityError, webhook.ActionDenied},
		{"job-missing-ttl", policies.SeverityWarning, webhook.ActionWarned},
		{"job-missing-active-deadline", policies.SeverityInfo, webhook.ActionAudited},
	} {
		if got := findings(s, c.rule, c.sev, c.action); got != 1 {
			t.Errorf("jobguard_admission_findings_total{%s,%s,%s} = %v, want 1", c.rule, c.sev, c.action, got)
		}
	}
	if got := requests(s, "validate", "CREATE", "Job", "false"); got != 1 {
		t.Errorf("jobguard_admission_requests_total{validate,CREATE,Job,false} = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(s.Metrics().Duration); n != 1 {
		t.Errorf("jobguard_admission_duration_seconds has %d series, want 1", n)
	}
}

func TestValidateDeniesEveryError(t *testing.T) {
	s := newServer(t, "", nil)
	// A v1beta1 CronJob with restartPolicy Always: two rules deny it.
	cron := edit(t, fixture(t, "job-restart-policy/bad.yaml", "CronJob", "report"), func(m map[string]any) {
		m["apiVersion"] = "batch/v1beta1"
	})
	resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, cron))
	if resp.Allowed || code(resp) != 403 {
		t.Fatalf("allowed=%v code=%d, want a 403 denial", resp.Allowed, code(resp))
	}
	lines := strings.Split(message(resp), "\n")
	if len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "[deprecated-api] batch/v1beta1 CronJob was removed in Kubernetes 1.25") ||
		lines[1] != `[job-restart-policy] restartPolicy "Always" is not valid for a Job; valid values: "OnFailure", "Never" (spec.jobTemplate.spec.template.spec.restartPolicy)` {
		t.Errorf("want one line per denying finding, got:\n%s", message(resp))
	}
}

func TestValidateWarnings(t *testing.T) {
	s := newServer(t, "", nil)
	cron := fixture(t, "seeds/000-restart-cronjob.yaml", "CronJob", "restart-cronjob")
	resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, cron))
	if !resp.Allowed || code(resp) != 200 {
		t.Fatalf("allowed=%v code=%d %s, want allowed", resp.Allowed, code(resp), message(resp))
	}
	want := []string{"cron-concurrency-unset", "image-latest-tag", "image-latest-tag", "image-latest-tag", "job-containers-run-concurrently"}
	if got := warningsOf(resp); !slices.Equal(got, want) {
		t.Errorf("warnings about %q, want %q:\n%s", got, want, strings.Join(resp.Warnings, "\n"))
	}
	if !slices.Contains(resp.Warnings, `image-latest-tag: image "bitnami/kubectl:latest" uses the latest tag, which can change between runs (spec.jobTemplate.spec.template.spec.containers[0].image)`) {
		t.Errorf("want the image-latest-tag warning with its field path, got:\n%s", strings.Join(resp.Warnings, "\n"))
	}
	if got := findings(s, "image-latest-tag", policies.SeverityWarning, webhook.ActionWarned); got != 3 {
		t.Errorf("image-latest-tag warned %v times, want 3", got)
	}
	if got := findings(s, "cron-missing-deadline", policies.SeverityInfo, webhook.ActionAudited); got != 1 {
		t.Errorf("cron-missing-deadline (info) audited %v times, want 1", got)
	}
	if got := findings(s, "job-missing-active-deadline", policies.SeverityInfo, webhook.ActionAudited); got != 1 {
		t.Errorf("job-missing-active-deadline audited %v times, want 1", got)
	}
	if got := requests(s, "validate", "CREATE", "CronJob", "true"); got != 1 {
		t.Errorf("jobguard_admission_requests_total{validate,CREATE,CronJob,true} = %v, want 1", got)
	}
}

func TestValidateRBACObjects(t *testing.T) {
	s := newServer(t, "", nil)
	for _, tt := range []struct {
		file, kind, name string
		denied, warned   []string
	}{
		// The seed's ClusterRole: scale and exec everywhere, and a verb that grants nothing.
		{"seeds/000-restart-cronjob.yaml", "ClusterRole", "restart-role", nil, []string{"rbac-pods-exec", "rbac-scale-grant", "rbac-unknown-verb"}},
		// Its binding names the ServiceAccount in a namespace that cannot exist.
		{"seeds/000-restart-cronjob.yaml", "ClusterRoleBinding", "restart-binding", []string{"rbac-invalid-subject"}, []string{"rbac-default-serviceaccount"}},
		{"rbac-wildcard/good.yaml", "ClusterRole", "backup-operator", nil, nil},
	} {
		resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, fixture(t, tt.file, tt.kind, tt.name)))
		if got := deniedRules(message(resp)); !slices.Equal(got, tt.denied) || resp.Allowed != (len(tt.denied) == 0) {
			t.Errorf("%s %s: allowed=%v denied by %v (%q), want denied by %v", tt.kind, tt.name, resp.Allowed, got, message(resp), tt.denied)
		}
		if got := warningsOf(resp); !slices.Equal(got, tt.warned) {
			t.Errorf("%s %s: warnings from %v, want %v", tt.kind, tt.name, got, tt.warned)
		}
	}
}

func TestModes(t *testing.T) {
	job := fixture(t, "job-restart-policy/bad.yaml", "Job", "migrate")
	t.Run("audit everything", func(t *testing.T) {
		s := newServer(t, "webhook:\n  mode: audit\n", nil)
		resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, job))
		if !resp.Allowed || len(resp.Warnings) > 0 {
			t.Errorf("allowed=%v warnings=%q, want allowed silently", resp.Allowed, resp.Warnings)
		}
		if got := findings(s, "job-restart-policy", policies.SeverityError, webhook.ActionAudited); got != 1 {
			t.Errorf("job-restart-policy audited %v times, want 1", got)
		}
		if got := findings(s, "job-restart-policy", policies.SeverityError, webhook.ActionDenied); got != 0 {
			t.Errorf("job-restart-policy denied %v times, want 0", got)
		}
	})
	t.Run("one rule warns", func(t *testing.T) {
		s := newServer(t, "rules:\n  job-restart-policy:\n    mode: warn\n  job-missing-ttl:\n    mode: enforce\n", nil)
		resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, job))
		if resp.Allowed || !strings.HasPrefix(message(resp), "[job-missing-ttl] ") {
			t.Errorf("allowed=%v message=%q, want a denial by job-missing-ttl", resp.Allowed, message(resp))
		}
		if got := warningsOf(resp); !slices.Equal(got, []string{"job-restart-policy"}) {
			t.Errorf("warnings = %q, want job-restart-policy's", resp.Warnings)
		}
	})
}

func TestExcludedNamespace(t *testing.T) {
	s := newServer(t, "webhook:\n  excludedNamespaces: [kube-system]\n", nil)
	job := inNamespace(t, fixture(t, "job-restart-policy/bad.yaml", "Job", "migrate"), "kube-system")
	for name, h := range map[string]admission.Handler{"validate": s.Validator(), "mutate": s.Mutator()} {
		resp := h.Handle(ctx, request(t, admissionv1.Create, job))
		if !resp.Allowed || len(resp.Warnings) > 0 || len(resp.Patches) > 0 {
			t.Errorf("%s: allowed=%v warnings=%q patches=%v, want allowed untouched", name, resp.Allowed, resp.Warnings, resp.Patches)
		}
	}
	if n := testutil.CollectAndCount(s.Metrics().Findings); n != 0 {
		t.Errorf("%d finding series, want none", n)
	}
	// The same object elsewhere is denied.
	resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, inNamespace(t, job, "team-a")))
	if resp.Allowed {
		t.Error("outside the excluded namespace the Job was allowed")
	}
}

func TestIgnoreAnnotation(t *testing.T) {
	s := newServer(t, "", nil)
	job := edit(t, fixture(t, "job-restart-policy/bad.yaml", "Job", "migrate"), func(m map[string]any) {
		m["metadata"].(map[string]any)["annotations"] = map[string]any{policies.IgnoreAnnotation: "job-restart-policy, job-missing-ttl"}
	})
	resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, job))
	if !resp.Allowed || len(resp.Warnings) > 0 {
		t.Errorf("allowed=%v warnings=%q, want allowed without warnings", resp.Allowed, resp.Warnings)
	}
	resp = s.Mutator().Handle(ctx, request(t, admissionv1.Create, job))
	if len(resp.Patches) > 0 {
		t.Errorf("patched an ignored rule's field: %v", resp.Patches)
	}
}

func TestMutateAddsTTL(t *testing.T) {
	s := newServer(t, "", nil)
	job := fixture(t, "job-missing-ttl/bad.yaml", "Job", "reindex")
	resp := s.Mutator().Handle(ctx, request(t, admissionv1.Create, job))
	if !resp.Allowed || code(resp) != 200 {
		t.Fatalf("allowed=%v code=%d, want allowed", resp.Allowed, code(resp))
	}
	raw, _ := json.Marshal(resp.Patches)
	if want := `[{"op":"add","path":"/spec/ttlSecondsAfterFinished","value":86400}]`; string(raw) != want {
		t.Errorf("patch = %s, want %s", raw, want)
	}
	out := patched(t, job, resp)
	if got := at(t, out, "spec.ttlSecondsAfterFinished"); got != 86400.0 {
		t.Errorf("after the patch ttlSecondsAfterFinished = %v, want 86400", got)
	}
	if want := "jobguard set spec.ttlSecondsAfterFinished=86400 (job-missing-ttl)"; !slices.Equal(resp.Warnings, []string{want}) {
		t.Errorf("warnings = %q, want [%q]", resp.Warnings, want)
	}
	if got := findings(s, "job-missing-ttl", policies.SeverityWarning, webhook.ActionMutated); got != 1 {
		t.Errorf("job-missing-ttl mutated %v times, want 1", got)
	}
	if got := requests(s, "mutate", "CREATE", "Job", "true"); got != 1 {
		t.Errorf("jobguard_admission_requests_total{mutate,CREATE,Job,true} = %v, want 1", got)
	}

	// The mutated object passes the validating webhook without the warning.
	resp = s.Validator().Handle(ctx, request(t, admissionv1.Create, out))
	if slices.Contains(warningsOf(resp), "job-missing-ttl") {
		t.Errorf("the patched Job still gets a job-missing-ttl warning")
	}
}

func TestMutateLeavesOwnedJobs(t *testing.T) {
	s := newServer(t, "", nil)
	job := fixture(t, "job-missing-ttl/good.yaml", "Job", "nightly-29012345")
	resp := s.Mutator().Handle(ctx, request(t, admissionv1.Create, job))
	if !resp.Allowed || len(resp.Patches) > 0 || resp.PatchType != nil || len(resp.Warnings) > 0 {
		t.Errorf("allowed=%v patches=%v warnings=%q, want allowed unchanged", resp.Allowed, resp.Patches, resp.Warnings)
	}
}

func TestMutateNeverOnUpdate(t *testing.T) {
	s := newServer(t, "", nil)
	job := fixture(t, "job-missing-ttl/bad.yaml", "Job", "reindex")
	resp := s.Mutator().Handle(ctx, request(t, admissionv1.Update, job))
	if !resp.Allowed || len(resp.Patches) > 0 || len(resp.Warnings) > 0 {
		t.Errorf("allowed=%v patches=%v warnings=%q, want allowed unchanged", resp.Allowed, resp.Patches, resp.Warnings)
	}
	if n := testutil.CollectAndCount(s.Metrics().Findings); n != 0 {
		t.Errorf("UPDATE was evaluated: %d finding series", n)
	}
}

func TestMutateOptIn(t *testing.T) {
	cron := fixture(t, "cron-concurrency-unset/bad.yaml", "CronJob", "restart")

	resp := newServer(t, "", nil).Mutator().Handle(ctx, request(t, admissionv1.Create, cron))
	if len(resp.Patches) > 0 {
		t.Errorf("without opt-in: patch %v, want none", resp.Patches)
	}

	s := newServer(t, "webhook:\n  mutation:\n    optIn: [cron-concurrency-unset]\n", nil)
	resp = s.Mutator().Handle(ctx, request(t, admissionv1.Create, cron))
	out := patched(t, cron, resp)
	if got := at(t, out, "spec.concurrencyPolicy"); got != "Forbid" {
		t.Errorf("concurrencyPolicy = %v, want Forbid", got)
	}
	if want := "jobguard set spec.concurrencyPolicy=Forbid (cron-concurrency-unset)"; !slices.Equal(resp.Warnings, []string{want}) {
		t.Errorf("warnings = %q, want [%q]", resp.Warnings, want)
	}
}

func TestMutateSeveralFixes(t *testing.T) {
	// The CronJob of job-missing-ttl/good.yaml lacks both startingDeadlineSeconds and concurrencyPolicy.
	cron := fixture(t, "job-missing-ttl/good.yaml", "CronJob", "nightly")
	s := newServer(t, "webhook:\n  mutation:\n    optIn: [cron-concurrency-unset, cron-missing-deadline]\n", nil)
	resp := s.Mutator().Handle(ctx, request(t, admissionv1.Create, cron))
	out := patched(t, cron, resp)
	if at(t, out, "spec.concurrencyPolicy") != "Forbid" || at(t, out, "spec.startingDeadlineSeconds") == nil {
		t.Errorf("want both defaults set, got spec %v", at(t, out, "spec"))
	}
	if len(resp.Warnings) != 2 {
		t.Errorf("warnings = %q, want one per default", resp.Warnings)
	}
}

func TestMutationDisabled(t *testing.T) {
	s := newServer(t, "webhook:\n  mutation:\n    enabled: false\n", nil)
	resp := s.Mutator().Handle(ctx, request(t, admissionv1.Create, fixture(t, "job-missing-ttl/bad.yaml", "Job", "reindex")))
	if !resp.Allowed || len(resp.Patches) > 0 {
		t.Errorf("allowed=%v patches=%v, want allowed unchanged", resp.Allowed, resp.Patches)
	}
}

// A custom rule whose fix needs parent objects that do not exist.
const teamLabelRule = `# METADATA
# title: Jobs without a team label
# description: Pods of a Job must say which team runs them.
# custom:
#   id: team-label
#   severity: warning
#   kinds: [Job]
#   remediation: Label the pod template with team.
#   fix:
#     field: spec.template.metadata.labels.team
#     value: unknown
package jobguard.rules.custom.team_label

import data.jobguard.lib.result

deny contains result.fail_with_fix("the pod template has no team label", ["spec", "template", "metadata", "labels", "team"], "unknown") if {
	not input.object.spec.template.metadata.labels.team
}
`

func TestMutateCreatesParents(t *testing.T) {
	s := newServer(t, "policies: [rules]\n", map[string]string{"rules/team_label.rego": teamLabelRule})
	job := fixture(t, "job-missing-ttl/bad.yaml", "Job", "reindex") // spec.template has no metadata
	resp := s.Mutator().Handle(ctx, request(t, admissionv1.Create, job))
	raw, _ := json.Marshal(resp.Patches)
	if !strings.Contains(string(raw), `{"op":"add","path":"/spec/template/metadata","value":{"labels":{"team":"unknown"}}}`) {
		t.Errorf("patch = %s, want metadata.labels created", raw)
	}
	out := patched(t, job, resp)
	if got := at(t, out, "spec.template.metadata.labels.team"); got != "unknown" {
		t.Errorf("team label = %v, want unknown", got)
	}
	if at(t, out, "spec.ttlSecondsAfterFinished") == nil {
		t.Error("the bundled rule's default is missing")
	}
}

func TestDryRunIsTheSame(t *testing.T) {
	s := newServer(t, "", nil)
	for _, obj := range [][]byte{
		fixture(t, "job-restart-policy/bad.yaml", "Job", "migrate"),
		fixture(t, "job-missing-ttl/bad.yaml", "Job", "reindex"),
	} {
		for name, h := range map[string]admission.Handler{"validate": s.Validator(), "mutate": s.Mutator()} {
			real := request(t, admissionv1.Create, obj)
			dry := request(t, admissionv1.Create, obj)
			yes := true
			dry.DryRun = &yes
			a, b := h.Handle(ctx, real), h.Handle(ctx, dry)
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if !bytes.Equal(ja, jb) {
				t.Errorf("%s: dry-run answer differs:\nreal %s\n dry %s", name, ja, jb)
			}
		}
	}
}

func TestNotReviewed(t *testing.T) {
	s := newServer(t, "", nil)
	job := fixture(t, "job-restart-policy/bad.yaml", "Job", "migrate")
	configMap := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"a":"b"}}`)
	deleting := edit(t, job, func(m map[string]any) {
		m["metadata"].(map[string]any)["deletionTimestamp"] = "2026-01-01T00:00:00Z"
	})
	status := request(t, admissionv1.Update, job)
	status.SubResource = "status"
	connect := request(t, admissionv1.Create, job)
	connect.Operation = admissionv1.Connect
	for name, req := range map[string]admission.Request{
		"unknown kind":      request(t, admissionv1.Create, configMap),
		"DELETE":            request(t, admissionv1.Delete, job),
		"CONNECT":           connect,
		"status":            status,
		"being deleted":     request(t, admissionv1.Update, deleting),
		"DELETE, no object": {AdmissionRequest: admissionv1.AdmissionRequest{Operation: admissionv1.Delete}},
	} {
		for hook, h := range map[string]admission.Handler{"validate": s.Validator(), "mutate": s.Mutator()} {
			resp := h.Handle(ctx, req)
			if !resp.Allowed || code(resp) != 200 || len(resp.Warnings) > 0 || len(resp.Patches) > 0 {
				t.Errorf("%s, %s: allowed=%v code=%d warnings=%q patches=%v, want allowed untouched",
					name, hook, resp.Allowed, code(resp), resp.Warnings, resp.Patches)
			}
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	s := newServer(t, "", nil)
	job := fixture(t, "job-missing-ttl/bad.yaml", "Job", "reindex")
	for name, raw := range map[string][]byte{
		"no object":      nil,
		"truncated JSON": job[:len(job)/2],
		"not an object":  []byte(`["a"]`),
		"not JSON":       []byte("kind: Job"),
	} {
		req := request(t, admissionv1.Create, job)
		req.Object.Raw = raw
		for hook, h := range map[string]admission.Handler{"validate": s.Validator(), "mutate": s.Mutator()} {
			resp := h.Handle(ctx, req)
			if resp.Allowed || code(resp) != 400 || !strings.HasPrefix(message(resp), "jobguard: ") {
				t.Errorf("%s, %s: allowed=%v code=%d %q, want a 400 that says why", name, hook, resp.Allowed, code(resp), message(resp))
			}
		}
	}
	if got := requests(s, "validate", "CREATE", "Job", "false"); got != 4 {
		t.Errorf("jobguard_admission_requests_total{validate,CREATE,Job,false} = %v, want 4", got)
	}
}

func TestObjectFromGo(t *testing.T) {
	// Requests built in Go (not decoded from HTTP) may carry the object as a runtime.Object.
	s := newServer(t, "", nil)
	req := request(t, admissionv1.Create, fixture(t, "job-restart-policy/bad.yaml", "Job", "migrate"))
	var u map[string]any
	if err := json.Unmarshal(req.Object.Raw, &u); err != nil {
		t.Fatal(err)
	}
	req.Object = runtime.RawExtension{Object: &unstructuredObject{u}}
	if resp := s.Validator().Handle(ctx, req); resp.Allowed || code(resp) != 403 {
		t.Errorf("allowed=%v code=%d %s, want a 403", resp.Allowed, code(resp), message(resp))
	}
}

type unstructuredObject struct{ m map[string]any }

func (u *unstructuredObject) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }
func (u *unstructuredObject) DeepCopyObject() runtime.Object   { return u }
func (u *unstructuredObject) MarshalJSON() ([]byte, error)     { return json.Marshal(u.m) }

// A custom rule whose evaluation fails: two values for one complete rule.
const conflictRule = `# METADATA
# title: Broken
# description: Fails at evaluation.
# custom:
#   id: broken
#   severity: error
#   kinds: [Job]
#   remediation: None.
package jobguard.rules.custom.broken

import data.jobguard.lib.result

x = 1 if input.object.kind == "Job"

x = 2 if input.object.metadata.name != ""

deny contains result.fail("never", ["spec"]) if x == 3
`

// A custom rule that takes far longer than any timeout.
const slowRule = `# METADATA
# title: Slow
# description: Takes long.
# custom:
#   id: slow
#   severity: error
#   kinds: [Job]
#   remediation: None.
package jobguard.rules.custom.slow

import data.jobguard.lib.result

deny contains result.fail("never", ["spec"]) if {
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	i * j == -1
}
`

// withFix gives a custom rule a fix (spec.suspend: true), so that the mutating webhook runs it too.
func withFix(rule string) string {
	return strings.Replace(rule, "#   remediation: None.\n", "#   remediation: None.\n#   fix:\n#     field: spec.suspend\n#     value: true\n", 1)
}

// TestEngineFailure: a rule whose evaluation fails makes each webhook that runs it answer 500,
// naming the object. The mutating webhook runs only the rules that can set a default: a broken
// rule without a fix leaves it working (the validating webhook still fails).
func TestEngineFailure(t *testing.T) {
	job := fixture(t, "job-missing-ttl/bad.yaml", "Job", "reindex")
	for _, c := range []struct {
		rule         string
		mutateFails  bool
		mutateRemark string
	}{
		{conflictRule, false, "a rule without a fix"},
		{withFix(conflictRule), true, "a rule with a fix"},
	} {
		s := newServer(t, "policies: [rules]\n", map[string]string{"rules/broken.rego": c.rule})
		for hook, h := range map[string]admission.Handler{"validate": s.Validator(), "mutate": s.Mutator()} {
			resp := h.Handle(ctx, request(t, admissionv1.Create, job))
			if hook == "mutate" && !c.mutateFails {
				if !resp.Allowed || len(resp.Patches) == 0 {
					t.Errorf("mutate, %s broken: allowed=%v patches=%d %q, want the defaults set", c.mutateRemark, resp.Allowed, len(resp.Patches), message(resp))
				}
				continue
			}
			if resp.Allowed || code(resp) != 500 || !strings.Contains(message(resp), "Job reindex") || !strings.Contains(message(resp), "eval_conflict_error") {
				t.Errorf("%s, %s broken: allowed=%v code=%d %q, want a 500 naming the object", hook, c.mutateRemark, resp.Allowed, code(resp), message(resp))
			}
		}
	}
}

func TestEvalTimeout(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules", "slow.rego"), []byte(slowRule), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".jobguard.yaml"), []byte("policies: [rules]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := webhook.New(webhook.Options{
		ConfigFile:  filepath.Join(dir, ".jobguard.yaml"),
		EvalTimeout: 50 * time.Millisecond,
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, fixture(t, "job-missing-ttl/bad.yaml", "Job", "reindex")))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the review took %s, want about the 50ms timeout", took)
	}
	if resp.Allowed || code(resp) != 500 || !strings.Contains(message(resp), "took longer than 50ms") {
		t.Errorf("allowed=%v code=%d %q, want a 500 about the timeout", resp.Allowed, code(resp), message(resp))
	}
	if n := testutil.ToFloat64(s.Metrics().Errors.WithLabelValues("validate")); n != 1 {
		t.Errorf("jobguard_admission_errors_total{webhook=validate} = %v, want 1", n)
	}
}

// denyPatch is an AccessChecker (as the SubjectAccessReviewer would answer) that allows every
// request but patches.
type denyPatch struct{}

func (denyPatch) Check(_ context.Context, _ rbac.ServiceAccount, req kubectl.Request) (rbac.Verdict, error) {
	return rbac.Verdict{Known: true, Allowed: req.Verb != "patch", Note: "the API server says: no RBAC policy matched"}, nil
}

func TestAccessChecker(t *testing.T) {
	s, err := webhook.New(webhook.Options{AccessChecker: denyPatch{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cronjob := fixture(t, "seeds/000-restart-cronjob.yaml", "CronJob", "restart-cronjob")
	resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, cronjob))
	msg := message(resp)
	if resp.Allowed || strings.Count(msg, "[rbac-insufficient]") != 2 || !strings.Contains(msg, "needs patch on deployments/scale") ||
		!strings.Contains(msg, "the API server says: no RBAC policy matched") {
		t.Errorf("allowed=%v %q, want both scale commands denied for their patch", resp.Allowed, msg)
	}
	// Without a checker the rule only says the RBAC could not be checked, and the same request
	// is denied for other reasons only.
	s, err = webhook.New(webhook.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, cronjob)); strings.Contains(message(resp), "[rbac-insufficient]") {
		t.Errorf("rbac-insufficient denied without an access checker: %q", message(resp))
	}
}

func TestAccessReviewSkippedLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	s, err := webhook.New(webhook.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	role := fixture(t, "seeds/000-restart-cronjob.yaml", "ClusterRole", "restart-role")
	for range 3 {
		s.Validator().Handle(ctx, request(t, admissionv1.Create, role))
	}
	if n := strings.Count(logs.String(), "SubjectAccessReview checks are skipped"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
}

func TestBadConfigAtStartup(t *testing.T) {
	for name, c := range map[string]struct{ file, want string }{
		"unknown key":  {"webhook:\n  mdoe: audit\n", "unknown key"},
		"unknown rule": {"rules:\n  no-such-rule:\n    mode: warn\n", "no-such-rule: no such rule"},
		"bad mode":     {"webhook:\n  mode: block\n", `unknown mode "block"`},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), ".jobguard.yaml")
			if err := os.WriteFile(p, []byte(c.file), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := webhook.New(webhook.Options{ConfigFile: p})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("error = %v, want one naming %s and saying %q", err, p, c.want)
			}
		})
	}
	if _, err := webhook.New(webhook.Options{ConfigFile: filepath.Join(t.TempDir(), "missing.yaml")}); err == nil {
		t.Error("a missing config file is not an error")
	}
	if _, err := webhook.New(webhook.Options{Addr: ":0"}); err == nil {
		t.Error("port 0 is not an error")
	}
}

// TestReviewLogLines: a review is logged in one line, whatever the number of findings: at Info
// when a finding denied the request or was audited (the rule ids of each, the audited findings'
// messages, the request's uid), at Debug when there were only warnings; the mutating webhook
// logs the defaults it set in one line too.
func TestReviewLogLines(t *testing.T) {
	job := fixture(t, "job-restart-policy/bad.yaml", "Job", "migrate")
	cron := fixture(t, "job-missing-ttl/good.yaml", "CronJob", "nightly")
	for _, c := range []struct {
		name, config string
		mutate       bool
		obj          []byte
		want         []string // in the one line logged at Info; none: no line at Info
	}{
		{name: "denied", config: "rules:\n  job-missing-ttl:\n    mode: audit\n", obj: job, want: []string{
			`msg="request denied"`, "webhook=validate", `object="Job default/migrate"`, "operation=CREATE", "user=alice",
			"uid=uid-migrate", "dryRun=false", "denied=job-restart-policy ", "audited=job-missing-active-deadline,job-missing-ttl ",
			`audit="[job-missing-active-deadline] activeDeadlineSeconds is not set`, "; [job-missing-ttl] standalone Job has no ttlSecondsAfterFinished"}},
		{name: "audited", config: "webhook:\n  mode: audit\n", obj: job, want: []string{
			`msg="request allowed with audit findings"`, "uid=uid-migrate", "audited=job-missing-active-deadline,job-missing-ttl,job-restart-policy ",
			"; [job-restart-policy] restartPolicy is not set"}},
		{name: "warned", config: "webhook:\n  mode: warn\n", obj: job},
		{name: "mutated", config: "webhook:\n  mutation:\n    optIn: [cron-concurrency-unset, cron-missing-deadline]\n", mutate: true, obj: cron, want: []string{
			`msg="defaults applied"`, "webhook=mutate", "uid=uid-nightly", "mutated=", "cron-concurrency-unset",
			"spec.concurrencyPolicy=Forbid", "; "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), ".jobguard.yaml")
			if err := os.WriteFile(cfg, []byte(c.config), 0o644); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			s, err := webhook.New(webhook.Options{ConfigFile: cfg, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
				AccessChecker: denyPatch{}}) // no "checks are skipped" line
			if err != nil {
				t.Fatal(err)
			}
			h := s.Validator()
			if c.mutate {
				h = s.Mutator()
			}
			h.Handle(ctx, request(t, admissionv1.Create, c.obj))
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(c.want) == 0 {
				if logs.Len() > 0 {
					t.Errorf("logged %q, want nothing at Info", logs.String())
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("logged %d lines, want one:\n%s", len(lines), logs.String())
			}
			for _, w := range c.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("the line lacks %q:\n%s", w, lines[0])
				}
			}
		})
	}
}
