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

// TestBatchWaitingMatchesObject: an object that waits for the inventory waits as its identity
// (and a workload as its model), and the inventory rules find on that exactly what they find on
// the whole object. A rule marked inventory that read more of an object than its model and
// metadata would fail here.
func TestBatchWaitingMatchesObject(t *testing.T) {
	engine, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	waiting, findings := map[string]int{}, 0
	for dir, objs := range testdataObjects(t) {
		batch := NewBatch[ast.Object](engine)
		for _, obj := range objs {
			if now, waits, _ := batch.Add(obj, obj); waits && now == nil {
				t.Errorf("%s: a waiting %s has no evaluation now", dir, ObjectRefOf(obj).Kind)
			}
		}
		for whole, eval := range batch.Remaining() {
			waiting[ObjectRefOf(whole).Kind]++
			if keys := eval.Object().Keys(); len(keys) > 3 {
				t.Errorf("%s: a waiting %s keeps %v, want apiVersion, kind and metadata", dir, ObjectRefOf(whole).Kind, keys)
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
				t.Errorf("%s: %s: on the identity\n%+v\non the object\n%+v", dir, ObjectRefOf(whole), got, want)
			}
		}
	}
	if waiting["Job"]+waiting["CronJob"] < 10 || waiting["Role"] < 5 || waiting["ClusterRole"] < 5 || findings < 15 {
		t.Errorf("compared %v waiting objects with %d findings; testdata/ has more", waiting, findings)
	}
}

// TestBatchWaitsOnlyWhenNeeded: a Role is evaluated at once but for rbac-overbroad, which waits
// for the inventory; a RoleBinding (no inventory rule checks it), a ServiceAccount and a Job
// without kubectl are evaluated at once, every rule; with rbac-overbroad disabled, the Role too.
func TestBatchWaitsOnlyWhenNeeded(t *testing.T) {
	objs := map[string]ast.Object{}
	for name, doc := range map[string]string{
		"role":    `{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r, namespace: a}, rules: []}`,
		"binding": `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: a}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: ServiceAccount, name: s}]}`,
		"sa":      `{apiVersion: v1, kind: ServiceAccount, metadata: {name: s, namespace: a}}`,
		"job":     `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {template: {spec: {containers: [{name: c, image: i}]}}}}`,
	} {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		objs[name] = ast.MustInterfaceToValue(m).(ast.Object)
	}
	for _, tt := range []struct {
		disabled []string
		waits    []string
	}{
		{nil, []string{"role"}},
		{[]string{"rbac-overbroad"}, nil},
	} {
		engine, err := New(WithDisabled(tt.disabled...))
		if err != nil {
			t.Fatal(err)
		}
		batch := NewBatch[string](engine)
		for _, name := range []string{"role", "binding", "sa", "job"} {
			now, waits, err := batch.Add(objs[name], name)
			if err != nil {
				t.Fatal(err)
			}
			wantWait := slices.Contains(tt.waits, name)
			switch {
			case now == nil || now.Object().Compare(objs[name]) != 0:
				t.Errorf("disabled %v: %s: evaluated now on %v, want the object", tt.disabled, name, now)
			case waits != wantWait || (now.rules == NonInventoryRules) != wantWait || (now.rules == AllRules) == wantWait:
				t.Errorf("disabled %v: %s: waits %t, evaluated now with rule set %d", tt.disabled, name, waits, now.rules)
			}
		}
		var remaining []string
		for name, eval := range batch.Remaining() {
			remaining = append(remaining, name)
			if eval.rules != InventoryRules || eval.Object().Compare(identityOf(objs[name]).object()) != 0 {
				t.Errorf("disabled %v: %s came back as %v with rule set %d", tt.disabled, name, eval.Object(), eval.rules)
			}
		}
		if !slices.Equal(remaining, tt.waits) {
			t.Errorf("disabled %v: remaining %v, want %v", tt.disabled, remaining, tt.waits)
		}
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

// TestBatchCustomInventoryRuleWaits: a custom inventory rule of a kind outside the RBAC inventory
// (a ConfigMap) still runs only once every object is added, on the object's identity.
func TestBatchCustomInventoryRuleWaits(t *testing.T) {
	const rule = `# METADATA
# title: T
# description: D
# custom:
#   id: my-rule
#   severity: info
#   kinds: [ConfigMap]
#   inventory: true
#   remediation: R.
package jobguard.rules.custom.my_rule

import data.jobguard.lib.result

deny contains result.fail("seen", ["kind"]) if input.object.kind == "ConfigMap"
`
	engine, err := New(WithPolicies(fstest.MapFS{"my_rule.rego": {Data: []byte(rule)}}))
	if err != nil {
		t.Fatal(err)
	}
	cm := ast.MustParseTerm(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}`).Value.(ast.Object)
	batch := NewBatch[string](engine)
	now, waits, err := batch.Add(cm, "c")
	if err != nil || !waits || now == nil || now.rules != NonInventoryRules {
		t.Fatalf("waits %t, now %v, error %v; want the ConfigMap to wait, its other rules now", waits, now, err)
	}
	var got []string
	for tag, eval := range batch.Remaining() {
		findings, err := eval.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range findings {
			got = append(got, tag+" "+f.Rule)
		}
	}
	if !slices.Equal(got, []string{"c my-rule"}) {
		t.Errorf("after every object: %v, want the custom rule's finding on c", got)
	}
}
