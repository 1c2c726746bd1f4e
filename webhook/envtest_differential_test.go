package webhook_test

// The differential test: for every Job, CronJob and RBAC object under testdata/ and in the
// shared corpus of real manifests (../shared/corpus, when present), the rules that restate the
// API server's validation must agree with the API server. Each object of a reviewed kind (Jobs
// and CronJobs under any version of a Kubernetes group included) is linted by the engine
// (policies.New(), Evaluate per object, as the webhook does) and submitted to the API server as
// a server-side dry-run create by envtestUnreviewedUser, whom jobguard's webhook configurations
// skip: the answer is the API server's alone.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/policies"
)

// envtestMirrorRules are the rules whose error findings restate a check of the API server: an
// object has one of these findings if and only if the API server rejects it. deprecated-api
// counts with its error findings only (a removed version); a deprecated one is a warning.
var envtestMirrorRules = []string{
	"cron-schedule-invalid",
	"cron-timezone-invalid",
	"deprecated-api",
	"invalid-field",
	"invalid-name",
	"job-restart-policy",
	"name-too-long",
	"rbac-invalid-subject",
}

// envtestDifference is a known, deliberate disagreement between a mirror rule and the API server
// on one fixture object.
type envtestDifference struct {
	file   string // under testdata/
	object string // Kind/name
	rule   string // the mirror rule that reports it; "" when none does
	reason string
}

// deliberateDifferences are the fixture objects on which a mirror rule and the API server
// deliberately disagree. The test fails on any other disagreement, and on an entry that no
// longer matches one (so that the table stays true).
var deliberateDifferences = []envtestDifference{
	{
		file: "seeds/000-restart-cronjob.yaml", object: "ClusterRoleBinding/restart-binding", rule: "rbac-invalid-subject",
		reason: `the subject's namespace "exampleNamespace" is not a valid namespace name: the API server never validates ` +
			`a subject's namespace and accepts the binding, but no namespace can have this name, so the binding can ` +
			`never apply; jobguard reports it as an error (documented in the rule)`,
	},
	{
		file: "rbac-invalid-subject/bad.yaml", object: "RoleBinding/reader", rule: "rbac-invalid-subject",
		reason: `as above: subject namespace "exampleNamespace", accepted by the API server, matches no ServiceAccount ever`,
	},
	{
		file: "invalid-name/bad.yaml", object: "CronJob/cleanup", rule: "invalid-name",
		reason: `metadata.namespace "exampleNamespace" is not a valid namespace name, so the namespace does not (cannot) ` +
			`exist: the API server answers 404 NotFound (namespaces "exampleNamespace" not found) before validating ` +
			`the object; jobguard reports the invalid name, which is what a 422 would say if the namespace existed`,
	},
}

// envtestCorpus is the shared corpus of real manifests, relative to this directory. The test
// reads it when it is there, and says so when it is not.
var envtestCorpus = filepath.Join("..", "..", "shared", "corpus")

// envtestOutOfScope are reasons the API server rejects objects for that jobguard does not check
// on purpose: a rejection whose every cause matches one of them is not a disagreement, and such
// causes are left out when the fields of a rejection are compared with the findings.
var envtestOutOfScope = []struct {
	cause  *regexp.Regexp // matched against "field: message" of each cause, or the error when it has none
	reason string
}{
	{
		regexp.MustCompile(`(?i)windows|hostProcess`),
		"pod security validation of Windows and hostProcess pods (OS-specific fields the API server checks against spec.os)",
	},
}

// envtestOutOfScopeReason returns why each cause of a rejection is out of scope, or "" when one is not.
func envtestOutOfScopeReason(err error) string {
	causes := envtestCauses(err)
	var reasons []string
	for _, c := range causes {
		i := slices.IndexFunc(envtestOutOfScope, func(o struct {
			cause  *regexp.Regexp
			reason string
		}) bool {
			return o.cause.MatchString(c)
		})
		if i < 0 {
			return ""
		}
		reasons = append(reasons, envtestOutOfScope[i].reason)
	}
	return strings.Join(slices.Compact(slices.Sorted(slices.Values(reasons))), "; ")
}

// envtestCauses lists a rejection's causes as "field: message", or its error alone.
func envtestCauses(err error) []string {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil || len(status.Status().Details.Causes) == 0 {
		return []string{err.Error()}
	}
	var causes []string
	for _, c := range status.Status().Details.Causes {
		causes = append(causes, c.Field+": "+c.Message)
	}
	return causes
}

// envtestKubernetesGroup reports whether a group is one of Kubernetes' own (core, no dot,
// *.k8s.io), where a Job or CronJob under a version other than batch/v1 is refused rather than
// being a custom resource of the same name.
func envtestKubernetesGroup(group string) bool {
	return !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
}

// envtestDifferentialReviewed: the reviewed kinds, and Jobs and CronJobs under any version of a
// Kubernetes group (deprecated-api reports them).
func envtestDifferentialReviewed(d envtestDoc) bool {
	gv, _ := schema.ParseGroupVersion(d.APIVersion())
	return envtestReviewed(d) || (d.Kind() == "Job" || d.Kind() == "CronJob") && envtestKubernetesGroup(gv.Group)
}

// envtestDefaultingDifferences are the rules whose findings on an object change once the API
// server has applied its defaults, that is between `jobguard lint` (the manifest as written) and
// the webhook (the object as the API server sends it), with why. Any other change fails the test.
var envtestDefaultingDifferences = map[string]string{
	"cron-concurrency-unset": `the API server defaults spec.concurrencyPolicy to Allow before admission, so the webhook ` +
		`never sees it unset: the rule (which fires only when the field is absent) never fires in the webhook, and ` +
		`its opt-in fix (concurrencyPolicy: Forbid) is never applied by the mutating webhook`,
	"unknown-field": `the API server drops the fields its types do not have while decoding, before admission: the ` +
		`webhook never sees them, so only lint reports them`,
}

// envtestSkippedFixtures returns the files under testdata/ that are not manifests, with why:
// Helm chart templates (lint renders them; the rendered output is a fixture of its own) and
// kustomize patches (partial objects kustomize merges into a resource).
func envtestSkippedFixtures(t *testing.T) map[string]string {
	t.Helper()
	skipped := map[string]string{}
	err := filepath.WalkDir(filepath.Join("..", "testdata"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if _, err := os.Stat(filepath.Join(path, "Chart.yaml")); err == nil {
				_ = filepath.WalkDir(filepath.Join(path, "templates"), func(p string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						skipped[p] = "a Helm chart template"
					}
					return nil
				})
			}
			return nil
		}
		if d.Name() != "kustomization.yaml" && d.Name() != "kustomization.yml" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var k struct {
			Patches               []struct{ Path string } `json:"patches"`
			PatchesStrategicMerge []string                `json:"patchesStrategicMerge"`
		}
		if err := yaml.Unmarshal(data, &k); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, p := range k.Patches {
			if p.Path != "" {
				skipped[filepath.Join(filepath.Dir(path), p.Path)] = "a kustomize patch"
			}
		}
		for _, p := range k.PatchesStrategicMerge {
			skipped[filepath.Join(filepath.Dir(path), p)] = "a kustomize patch"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return skipped
}

// envtestVerdict is the API server's answer to a dry-run create.
type envtestVerdict struct {
	rejected bool   // as invalid (422, 400) or because the version is not served
	kind     string // accepted, invalid, not served, namespace not found
	err      error
}

func envtestClassify(err error) (envtestVerdict, error) {
	switch {
	case err == nil, apierrors.IsAlreadyExists(err): // AlreadyExists: validation passed
		return envtestVerdict{kind: "accepted"}, nil
	case apimeta.IsNoMatchError(err):
		return envtestVerdict{rejected: true, kind: "not served", err: err}, nil
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return envtestVerdict{rejected: true, kind: "invalid", err: err}, nil
	case apierrors.IsNotFound(err) && strings.HasPrefix(err.Error(), "namespaces "):
		return envtestVerdict{kind: "namespace not found", err: err}, nil
	}
	return envtestVerdict{}, err
}

func envtestDifferential(t *testing.T, ec *envtestCluster) {
	ctx := context.Background()
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range envtestMirrorRules {
		if engine.Rule(id) == nil {
			t.Fatalf("mirror rule %s does not exist", id)
		}
	}
	// deprecated-api judges versions for the engine's target release: it must be the API server's.
	dc, err := discovery.NewDiscoveryClientForConfig(ec.admin)
	if err != nil {
		t.Fatal(err)
	}
	version, err := dc.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if target := policies.DefaultKubeVersion; version.Major != fmt.Sprint(target.Major) || version.Minor != fmt.Sprint(target.Minor) {
		t.Fatalf("the API server is %s, the rules target %d.%d (policies.DefaultKubeVersion)", version.GitVersion, target.Major, target.Minor)
	}

	c, _ := ec.client(t, ec.unreviewed)
	const defaultNamespace = "envtest-differential"
	ec.namespace(t, defaultNamespace)

	skipped := envtestSkippedFixtures(t)
	var files []string
	roots := []string{filepath.Join("..", "testdata")}
	if _, err := os.Stat(envtestCorpus); err == nil {
		roots = append(roots, envtestCorpus)
	} else {
		t.Logf("no shared corpus at %s: only testdata/ is compared", envtestCorpus)
	}
	for _, root := range roots {
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" && ext != ".json" {
				return nil
			}
			if why, ok := skipped[path]; ok {
				t.Logf("skipped %s: %s", path, why)
				return nil
			}
			files = append(files, path)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	type outcome struct {
		file, object string
		mirror       []policies.Finding
		verdict      envtestVerdict
	}
	var (
		outcomes   []outcome
		mismatches []string
		matched    = map[int]bool{} // deliberateDifferences used
		defaulting = map[string][]string{}
		objects    int
	)
	for _, file := range files {
		rel := strings.TrimPrefix(filepath.ToSlash(file), "../testdata/")
		rel = strings.Replace(rel, filepath.ToSlash(envtestCorpus)+"/", "corpus/", 1)
		docs, err := envtestParseDocs(file)
		if err != nil {
			if !strings.HasPrefix(rel, "corpus/") {
				t.Fatal(err)
			}
			// Real manifests that do not parse (lint reports them as input errors): the
			// documents before the broken one are still compared.
			t.Logf("%s: the documents from the first that does not parse on are skipped: %v", rel, err)
		}
		for _, d := range docs {
			if !envtestDifferentialReviewed(d) {
				if _, known := envtestKnownKinds[d.Kind()]; known {
					t.Logf("skipped %s %s %s: not a kind jobguard reviews (another API group)", rel, d.APIVersion(), d.Kind())
				}
				continue
			}
			objects++
			obj := d.object(t)
			name := obj.GetKind() + "/" + obj.GetName()

			findings, err := engine.Evaluate(ctx, envtestValue(t, obj.Object))
			if err != nil {
				t.Fatalf("%s %s: %v", rel, name, err)
			}
			var mirror []policies.Finding
			for _, f := range findings {
				if f.Severity == policies.SeverityError && slices.Contains(envtestMirrorRules, f.Rule) {
					mirror = append(mirror, f)
				}
			}

			// Submit it, in its namespace (created if its name is valid) or in defaultNamespace.
			submitted := obj.DeepCopy()
			namespaced, err := c.IsObjectNamespaced(submitted)
			if err != nil && !apimeta.IsNoMatchError(err) {
				t.Fatalf("%s %s: %v", rel, name, err)
			}
			if namespaced {
				if submitted.GetNamespace() == "" {
					submitted.SetNamespace(defaultNamespace)
				}
				if len(validation.IsDNS1123Label(submitted.GetNamespace())) == 0 {
					ec.namespace(t, submitted.GetNamespace())
				}
			}
			verdict, err := envtestClassify(c.Create(ctx, submitted, client.DryRunAll))
			if err != nil {
				t.Errorf("%s %s: unexpected answer from the API server: %v", rel, name, err)
				continue
			}
			if verdict.err != nil && strings.Contains(verdict.err.Error(), "admission webhook") {
				t.Fatalf("%s %s: a webhook answered the unreviewed user: %v", rel, name, verdict.err)
			}
			outcomes = append(outcomes, outcome{rel, name, mirror, verdict})
			if verdict.kind == "invalid" {
				if m := envtestFieldMismatch(verdict.err, mirror); m != "" {
					mismatches = append(mismatches, fmt.Sprintf("%s %s: %s", rel, name, m))
				}
			}

			// Mirror findings ⇔ rejection, but for the deliberate differences and the causes
			// jobguard leaves out of scope.
			if len(mirror) == 0 && verdict.rejected {
				if why := envtestOutOfScopeReason(verdict.err); why != "" {
					t.Logf("%s %s: rejected for a reason out of scope (%s): %v", rel, name, why, verdict.err)
					continue
				}
			}
			if (len(mirror) > 0) != verdict.rejected {
				i := slices.IndexFunc(deliberateDifferences, func(dd envtestDifference) bool {
					return dd.file == rel && dd.object == name &&
						(dd.rule == "" && len(mirror) == 0 || slices.ContainsFunc(mirror, func(f policies.Finding) bool { return f.Rule == dd.rule }))
				})
				if i >= 0 {
					matched[i] = true
				} else {
					mismatches = append(mismatches, fmt.Sprintf("%s %s: the API server: %s%s; the mirror rules:%s",
						rel, name, verdict.kind, envtestErrSuffix(verdict.err), envtestFindingLines(mirror)))
				}
			}

			// The findings of the object as written (lint) and as the API server sends it to the
			// webhooks, with its defaults (submitted is the dry-run's answer).
			if verdict.kind == "accepted" && verdict.err == nil {
				asWritten := obj.DeepCopy()
				asWritten.SetNamespace(submitted.GetNamespace())
				for _, diff := range envtestFindingsDiff(t, engine, asWritten, envtestServerView(submitted)) {
					defaulting[diff.rule] = append(defaulting[diff.rule], fmt.Sprintf("%s %s: %s", rel, name, diff.text))
				}
			}
		}
	}

	// The report: every object, its verdict and its mirror findings.
	var report strings.Builder
	for _, o := range outcomes {
		fmt.Fprintf(&report, "\n  %-48s %-40s %-19s %s", o.file, o.object, o.verdict.kind, strings.Join(envtestRuleIDs(o.mirror), ","))
	}
	t.Logf("%d objects of reviewed kinds in %d files; the API server's verdict and the mirror rules' error findings:%s", objects, len(files), report.String())
	for _, m := range mismatches {
		t.Errorf("mismatch: %s", m)
	}
	// Each mirror rule is tried: some fixture makes it fire on an object the API server rejects.
	for _, id := range envtestMirrorRules {
		if !slices.ContainsFunc(outcomes, func(o outcome) bool {
			return o.verdict.rejected && slices.Contains(envtestRuleIDs(o.mirror), id)
		}) {
			t.Errorf("no fixture has a %s finding on an object the API server rejects", id)
		}
	}
	for i, dd := range deliberateDifferences {
		if !matched[i] {
			t.Errorf("deliberateDifferences[%d] (%s %s, %s) matches no disagreement: remove or fix it", i, dd.file, dd.object, dd.rule)
		} else {
			t.Logf("deliberate difference: %s %s (%s): %s", dd.file, dd.object, envtestOrNone(dd.rule), dd.reason)
		}
	}
	for _, rule := range slices.Sorted(maps.Keys(defaulting)) {
		why, known := envtestDefaultingDifferences[rule]
		list := strings.Join(defaulting[rule], "\n    ")
		if known {
			t.Logf("%s finds differently once the API server's defaults are applied (%s):\n    %s", rule, why, list)
		} else {
			t.Errorf("%s finds differently on the object as written (lint) and as the API server sends it to the webhook:\n    %s", rule, list)
		}
	}
	for rule := range envtestDefaultingDifferences {
		if _, ok := defaulting[rule]; !ok {
			t.Errorf("envtestDefaultingDifferences[%s] matches no fixture: remove it, or keep a fixture that shows it", rule)
		}
	}
}

func envtestOrNone(s string) string {
	if s == "" {
		return "no rule"
	}
	return s
}

func envtestErrSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}

func envtestFindingLines(fs []policies.Finding) string {
	if len(fs) == 0 {
		return " none"
	}
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n    [%s] %s (%s)", f.Rule, f.Message, f.Path)
	}
	return b.String()
}

func envtestRuleIDs(fs []policies.Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.Rule)
	}
	return slices.Compact(slices.Sorted(slices.Values(ids)))
}

// envtestServerView is the object the API server returned from a dry-run create, without the
// fields it sets for storage rather than by defaulting. The uid stays: validating webhooks see
// it, and a Job's generated selector and template labels name it.
func envtestServerView(obj *unstructured.Unstructured) *unstructured.Unstructured {
	v := obj.DeepCopy()
	for _, f := range []string{"resourceVersion", "creationTimestamp", "generation", "managedFields"} {
		unstructured.RemoveNestedField(v.Object, "metadata", f)
	}
	unstructured.RemoveNestedField(v.Object, "status")
	return v
}

type envtestFindingDiff struct{ rule, text string }

// envtestFindingsDiff lists the findings only one of a and b has.
func envtestFindingsDiff(t *testing.T, engine *policies.Engine, a, b *unstructured.Unstructured) []envtestFindingDiff {
	t.Helper()
	key := func(f policies.Finding) string {
		return fmt.Sprintf("%s %s: %s (%s)", f.Severity, f.Rule, f.Message, f.Path)
	}
	eval := func(o *unstructured.Unstructured) map[string]policies.Finding {
		fs, err := engine.Evaluate(context.Background(), envtestValue(t, o.Object))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]policies.Finding{}
		for _, f := range fs {
			m[key(f)] = f
		}
		return m
	}
	fa, fb := eval(a), eval(b)
	var diffs []envtestFindingDiff
	for _, k := range slices.Sorted(maps.Keys(fa)) {
		if _, ok := fb[k]; !ok {
			diffs = append(diffs, envtestFindingDiff{fa[k].Rule, "as written only: " + k})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(fb)) {
		if _, ok := fa[k]; !ok {
			diffs = append(diffs, envtestFindingDiff{fb[k].Rule, "with the API server's defaults only: " + k})
		}
	}
	return diffs
}

// envtestFieldAliases pairs the field a mirror rule reports with the field the API server's
// error names, where they differ on purpose.
var envtestFieldAliases = []struct{ rule, finding, api, reason string }{
	{
		rule: "name-too-long", finding: "metadata.name", api: "spec.template.labels",
		reason: "a Job name over 63 characters is rejected through the batch.kubernetes.io/job-name and job-name " +
			"labels the API server adds to the pod template; the name is what to change",
	},
}

// envtestFieldMismatch compares the fields of a 422 (its causes) with the paths of the mirror
// findings: each must have a counterpart in the other, directly or through envtestFieldAliases.
func envtestFieldMismatch(err error, mirror []policies.Finding) string {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return ""
	}
	var api []string
	for _, c := range status.Status().Details.Causes {
		if !slices.ContainsFunc(envtestOutOfScope, func(o struct {
			cause  *regexp.Regexp
			reason string
		}) bool {
			return o.cause.MatchString(c.Field + ": " + c.Message)
		}) {
			api = append(api, c.Field)
		}
	}
	// A finding may name a field inside the one the API server names: the label in
	// metadata.labels, where the API server names the map.
	same := func(f policies.Finding, field string) bool {
		p, a := envtestSegments(f.Path), envtestAPISegments(field)
		return len(p) >= len(a) && slices.Equal(p[:len(a)], a) ||
			slices.ContainsFunc(envtestFieldAliases, func(a struct{ rule, finding, api, reason string }) bool {
				return a.rule == f.Rule && a.finding == f.Path.String() && a.api == field
			})
	}
	var problems []string
	for _, field := range slices.Compact(slices.Sorted(slices.Values(api))) {
		if !slices.ContainsFunc(mirror, func(f policies.Finding) bool { return same(f, field) }) {
			problems = append(problems, fmt.Sprintf("the API server rejects %s, which no mirror rule reports", field))
		}
	}
	for _, f := range mirror {
		if !slices.ContainsFunc(api, func(field string) bool { return same(f, field) }) {
			problems = append(problems, fmt.Sprintf("%s reports %s, which the API server does not name (it names %q)", f.Rule, f.Path, api))
		}
	}
	return strings.Join(problems, "; ")
}

// envtestSegments are the keys and indexes of a finding's path, as strings.
func envtestSegments(p policies.FieldPath) []string {
	out := make([]string, len(p))
	for i, seg := range p {
		out[i] = fmt.Sprint(seg)
	}
	return out
}

// envtestAPISegments splits a field path as the API server writes it (field.Path:
// spec.template.metadata.labels[batch.kubernetes.io/job-name], containers[0].name).
func envtestAPISegments(field string) []string {
	var out []string
	for field != "" {
		switch field[0] {
		case '.':
			field = field[1:]
		case '[':
			end := strings.IndexByte(field, ']')
			if end < 0 {
				return append(out, field)
			}
			out = append(out, field[1:end])
			field = field[end+1:]
		default:
			end := strings.IndexAny(field, ".[")
			if end < 0 {
				end = len(field)
			}
			out = append(out, field[:end])
			field = field[end:]
		}
	}
	return out
}
