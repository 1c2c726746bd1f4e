package policies

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/yaml"
)

// testdataObjects reads every object of ../testdata/<dir>/*.yaml, by directory.
func testdataObjects(t *testing.T) map[string][]ast.Object {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*.yaml"))
	byDir := map[string][]ast.Object{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for doc := range strings.SplitSeq(string(data), "\n---") {
			var m map[string]any
			if yaml.Unmarshal([]byte(doc), &m) != nil || m == nil {
				continue
			}
			v, err := ast.InterfaceToValue(m)
			if err != nil {
				t.Fatal(err)
			}
			if obj, ok := v.(ast.Object); ok {
				byDir[filepath.Dir(f)] = append(byDir[filepath.Dir(f)], obj)
			}
		}
	}
	return byDir
}

// TestBatchWaitingMatchesObject: a Job that waits for the inventory waits as its identity and its
// model, and the inventory rules find on that exactly what they find on the whole object. A rule
// marked inventory that read more of a Job than its model and metadata would fail here.
func TestBatchWaitingMatchesObject(t *testing.T) {
	engine, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	workloads, findings := 0, 0
	for dir, objs := range testdataObjects(t) {
		batch := NewBatch[ast.Object](engine)
		for _, obj := range objs {
			now, waits, _ := batch.Add(obj, obj)
			if kind := ObjectRefOf(obj).Kind; waits && (kind == "Job" || kind == "CronJob") && now == nil {
				t.Errorf("%s: a waiting %s has no evaluation now", dir, kind)
			}
		}
		for whole, eval := range batch.Remaining() {
			if kind := ObjectRefOf(whole).Kind; kind != "Job" && kind != "CronJob" {
				continue
			}
			workloads++
			if keys := eval.Object().Keys(); len(keys) > 3 {
				t.Errorf("%s: a waiting Job keeps %v, want apiVersion, kind and metadata", dir, keys)
			}
			got, err := eval.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want, err := engine.Evaluate(ctx, whole, WithRuleSet(InventoryRules), WithAccessChecker(batch.inventory))
			if err != nil {
				t.Fatal(err)
			}
			findings += len(want)
			if !slices.EqualFunc(got, want, func(a, b Finding) bool {
				return a.Rule == b.Rule && a.Message == b.Message && a.Severity == b.Severity && a.Path.String() == b.Path.String()
			}) {
				t.Errorf("%s: %s: on the model\n%+v\non the object\n%+v", dir, ObjectRefOf(whole), got, want)
			}
		}
	}
	if workloads < 10 || findings < 10 {
		t.Errorf("compared %d workloads with %d findings; testdata/ has more", workloads, findings)
	}
}

// TestBatchWaitsOnlyWhenNeeded: RBAC objects wait for the inventory and come back through reload
// when one is given; ServiceAccounts and Jobs without kubectl are evaluated at once, whole.
func TestBatchWaitsOnlyWhenNeeded(t *testing.T) {
	engine, err := New()
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]ast.Object{}
	for name, doc := range map[string]string{
		"role": `{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r, namespace: a}, rules: []}`,
		"sa":   `{apiVersion: v1, kind: ServiceAccount, metadata: {name: s, namespace: a}}`,
		"job":  `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {template: {spec: {containers: [{name: c, image: i}]}}}}`,
	} {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		objs[name] = ast.MustInterfaceToValue(m).(ast.Object)
	}
	var reloaded []string
	batch := NewBatch(engine, WithReload(func(name string) (ast.Object, error) {
		reloaded = append(reloaded, name)
		return objs[name], nil
	}))
	for _, name := range []string{"role", "sa", "job"} {
		now, waits, err := batch.Add(objs[name], name)
		if err != nil {
			t.Fatal(err)
		}
		if wantWait := name == "role"; waits != wantWait || (now == nil) != wantWait {
			t.Errorf("%s: waits %t, evaluated now %t", name, waits, now != nil)
		}
	}
	var remaining []string
	for name, eval := range batch.Remaining() {
		remaining = append(remaining, name)
		if eval.Object().Compare(objs[name]) != 0 {
			t.Errorf("%s came back as %v", name, eval.Object())
		}
	}
	if !slices.Equal(remaining, []string{"role"}) || !slices.Equal(reloaded, []string{"role"}) {
		t.Errorf("remaining %v, reloaded %v; want the Role, reloaded", remaining, reloaded)
	}
}

// TestModelOnlyForRulesThatReadIt: the engine builds input.workload only for queries whose rules
// read it, and a custom rule that reads it gets it.
func TestModelOnlyForRulesThatReadIt(t *testing.T) {
	const rule = `# METADATA
# title: T
# description: D
# custom:
#   id: runs-as
#   severity: info
#   kinds: [Job]
#   remediation: R.
package jobguard.rules.custom.runs_as

deny contains {"message": input.workload.serviceAccount.name, "path": []}
`
	engine, err := New(WithPolicies(fstest.MapFS{"runs_as.rego": {Data: []byte(rule)}}))
	if err != nil {
		t.Fatal(err)
	}
	job := ast.MustParseTerm(`{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
		"spec": {"template": {"spec": {"serviceAccount": "deployer", "containers": []}}}}`).Value.(ast.Object)
	found, err := engine.Evaluate(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(found, func(f Finding) bool { return f.Rule == "runs-as" && f.Message == "deployer" }) {
		t.Errorf("the custom rule did not read the model: %+v", found)
	}
	for gk, q := range engine.queries {
		if want := gk.Group == "batch" && (gk.Kind == "Job" || gk.Kind == "CronJob"); q.workload != want {
			t.Errorf("query of %s reads the model: %t, want %t", gk, q.workload, want)
		}
	}
	if engine.queries[GroupKind{Group: "batch", Kind: "CronJob"}].subset(NonInventoryRules).workload {
		t.Error("the CronJob's non-inventory rules build the model, which none of them reads")
	}
}
