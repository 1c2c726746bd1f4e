package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/benchcorpus"
)

// namedObject is an object and where it comes from, for failure messages.
type namedObject struct {
	name string
	obj  ast.Object
}

// yamlObjects decodes every document of the .yaml files under dir (recursively) that is a YAML
// mapping, as the other tests of the fixtures do (Helm templates do not decode: left out), by
// directory.
func yamlObjects(t testing.TB, dir string) map[string][]namedObject {
	t.Helper()
	byDir := map[string][]namedObject{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, doc := range strings.Split(string(data), "\n---") {
			var m map[string]any
			if yaml.Unmarshal([]byte(doc), &m) != nil || m == nil {
				continue
			}
			v, err := ast.InterfaceToValue(m)
			if err != nil {
				return fmt.Errorf("%s, document %d: %w", path, i, err)
			}
			if obj, ok := v.(ast.Object); ok {
				name := fmt.Sprintf("%s, document %d (%s)", path, i, ObjectRefOf(obj))
				byDir[filepath.Dir(path)] = append(byDir[filepath.Dir(path)], namedObject{name, obj})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return byDir
}

// corpusObjects are the fixtures of ../testdata and generated corpora (benchcorpus), by
// directory: a batch of objects that refer to each other.
func corpusObjects(t testing.TB) map[string][]namedObject {
	t.Helper()
	all := yamlObjects(t, filepath.Join("..", "testdata"))
	for _, mix := range []benchcorpus.Mix{benchcorpus.Thirds, benchcorpus.Realistic} {
		dir := t.TempDir()
		if _, err := benchcorpus.Write(dir, 2*benchcorpus.DocsPerFile, mix); err != nil {
			t.Fatal(err)
		}
		for _, objs := range yamlObjects(t, dir) {
			all[mix.String()] = append(all[mix.String()], objs...)
		}
	}
	return all
}

// withoutPlan is e with no program: Evaluate then runs every rule top-down, one by one
// (evaluateEach), with the same rules, data, options and queries.
func withoutPlan(e *Engine) *Engine {
	return &Engine{rules: e.rules, byID: e.byID, queries: e.queries, opts: e.opts, modules: e.modules, store: e.store}
}

// differentialEngines are engines whose options change what rules read: the bundled rules, a
// custom rule with a parameter, an older target version and overridden parameters.
func differentialEngines(t testing.TB) map[string]*Engine {
	t.Helper()
	engines := map[string]*Engine{}
	for name, opts := range map[string][]Option{
		"bundled":      nil,
		"custom rule":  {WithPolicyDir(filepath.Join("..", "testdata", "custom-policy", "policy"))},
		"kube 1.21":    {WithKubeVersion(KubeVersion{Major: 1, Minor: 21}), WithClusterVersion(KubeVersion{Major: 1, Minor: 25})},
		"other params": {WithParams("job-missing-ttl", map[string]any{"ttlSecondsAfterFinished": 60}), WithNamespace("batch"), WithDisabled("job-restart-policy")},
	} {
		e, err := New(opts...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.program == nil {
			t.Fatalf("%s: the rules were not planned: the test would compare top-down with itself", name)
		}
		engines[name] = e
	}
	return engines
}

// TestPlanMatchesTopDown: for every fixture and generated object, and every engine above,
// Evaluate (the plan, through irvm) finds what evaluating each rule top-down finds: alone, in
// each RuleSet, and in a Batch of its directory (the inventory rules, with the RBAC as access).
func TestPlanMatchesTopDown(t *testing.T) {
	ctx := context.Background()
	corpus := corpusObjects(t)
	objects, evaluations, findings := 0, 0, 0
	for name, planned := range differentialEngines(t) {
		topDown := withoutPlan(planned)
		for _, dir := range slices.Sorted(maps.Keys(corpus)) {
			objs := corpus[dir]
			for _, o := range objs {
				objects++
				for _, set := range []RuleSet{AllRules, NonInventoryRules, InventoryRules, FixRules} {
					want, wantErr := topDown.Evaluate(ctx, o.obj, WithRuleSet(set))
					got, gotErr := planned.Evaluate(ctx, o.obj, WithRuleSet(set))
					evaluations, findings = evaluations+1, findings+len(want)
					compareFindings(t, fmt.Sprintf("%s: %s, rule set %d", name, o.name, set), got, gotErr, want, wantErr)
				}
			}
			planBatch, topBatch := NewBatch[int](planned), NewBatch[int](topDown)
			for i, o := range objs {
				gotNow, _, _ := planBatch.Add(o.obj, i)
				wantNow, _, _ := topBatch.Add(o.obj, i)
				if (gotNow == nil) != (wantNow == nil) {
					t.Fatalf("%s: %s: the batches disagree on what runs now", name, o.name)
				}
				if gotNow != nil {
					got, gotErr := gotNow.Run(ctx)
					want, wantErr := wantNow.Run(ctx)
					evaluations, findings = evaluations+1, findings+len(want)
					compareFindings(t, fmt.Sprintf("%s: %s, in its batch, now", name, o.name), got, gotErr, want, wantErr)
				}
			}
			var wants []*Evaluation
			var tags []int
			for i, ev := range topBatch.Remaining() {
				tags, wants = append(tags, i), append(wants, ev)
			}
			n := 0
			for i, ev := range planBatch.Remaining() {
				if n >= len(wants) || tags[n] != i {
					t.Fatalf("%s: %s: the batches disagree on what waits", name, objs[i].name)
				}
				got, gotErr := ev.Run(ctx)
				want, wantErr := wants[n].Run(ctx)
				evaluations, findings = evaluations+1, findings+len(want)
				compareFindings(t, fmt.Sprintf("%s: %s, in its batch, once every object is added", name, objs[i].name), got, gotErr, want, wantErr)
				n++
			}
		}
	}
	// Enough for the comparison to mean something: a plan that found nothing would pass it only
	// if top-down found nothing too.
	if objects < 1000 || findings < 1000 {
		t.Errorf("%d objects, %d findings compared: too few", objects, findings)
	}
	t.Logf("%d evaluations of %d objects compared, %d findings", evaluations, objects, findings)
}

// compareFindings fails naming what and the findings that only one evaluation has.
func compareFindings(t testing.TB, what string, got []Finding, gotErr error, want []Finding, wantErr error) {
	t.Helper()
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Errorf("%s: error %v, top-down's %v", what, gotErr, wantErr)
	}
	if reflect.DeepEqual(got, want) {
		return
	}
	var b strings.Builder
	for _, f := range got {
		if !slices.ContainsFunc(want, func(w Finding) bool { return reflect.DeepEqual(f, w) }) {
			fmt.Fprintf(&b, "\n  only the plan:    %s", describeFinding(f))
		}
	}
	for _, f := range want {
		if !slices.ContainsFunc(got, func(g Finding) bool { return reflect.DeepEqual(f, g) }) {
			fmt.Fprintf(&b, "\n  only top-down:    %s", describeFinding(f))
		}
	}
	if b.Len() == 0 {
		b.WriteString("\n  the same findings, in another order or repeated")
	}
	t.Errorf("%s: the plan's findings differ from top-down's:%s", what, b.String())
}

func describeFinding(f Finding) string {
	s := fmt.Sprintf("%s %s at %s: %s", f.Rule, f.Severity, f.Path, f.Message)
	if f.Fix != nil {
		s += fmt.Sprintf(" (fix %v)", f.Fix.Value)
	}
	return s
}

// FuzzPlanMatchesTopDown: on any object, the plan finds what top-down evaluation finds.
// Seeds: every fixture object of ../testdata.
//
//	go test -run '^$' -fuzz FuzzPlanMatchesTopDown ./policies/
func FuzzPlanMatchesTopDown(f *testing.F) {
	for _, objs := range yamlObjects(f, filepath.Join("..", "testdata")) {
		for _, o := range objs {
			v, err := ast.JSON(o.obj)
			if err != nil {
				f.Fatal(err)
			}
			data, err := json.Marshal(v)
			if err != nil {
				f.Fatal(err)
			}
			if back, err := ast.ValueFromReader(bytes.NewReader(data)); err != nil || back.Compare(o.obj) != 0 {
				f.Fatalf("%s: the seed does not decode back: %v", o.name, err)
			}
			f.Add(data)
		}
	}
	planned, err := New(WithPolicyDir(filepath.Join("..", "testdata", "custom-policy", "policy")))
	if err != nil || planned.program == nil {
		f.Fatalf("an engine with a plan: %v", err)
	}
	topDown := withoutPlan(planned)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ast.ValueFromReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		obj, ok := v.(ast.Object)
		if !ok {
			return
		}
		got, gotErr := planned.Evaluate(context.Background(), obj)
		want, wantErr := topDown.Evaluate(context.Background(), obj)
		compareFindings(t, string(data), got, gotErr, want, wantErr)
	})
}

// TestPlanMatchesTopDownConcurrently: Engine is safe for concurrent use, so the plan's shared
// state (constants, data, compiled statements) must not be written by an evaluation. Eight
// goroutines evaluate the corpus at once, each from another start, and each finds what
// top-down evaluation found; run with -race it also shows any write to that state.
func TestPlanMatchesTopDownConcurrently(t *testing.T) {
	ctx := context.Background()
	planned, err := New(WithPolicyDir(filepath.Join("..", "testdata", "custom-policy", "policy")))
	if err != nil || planned.program == nil {
		t.Fatalf("an engine with a plan: %v", err)
	}
	topDown := withoutPlan(planned)
	var objs []namedObject
	corpus := corpusObjects(t)
	for _, dir := range slices.Sorted(maps.Keys(corpus)) {
		objs = append(objs, corpus[dir]...)
	}
	want := make([][]Finding, len(objs))
	for i, o := range objs {
		if want[i], err = topDown.Evaluate(ctx, o.obj); err != nil {
			t.Fatalf("%s: %v", o.name, err)
		}
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for k := range objs {
				i := (k + w*len(objs)/8) % len(objs)
				got, err := planned.Evaluate(ctx, objs[i].obj)
				compareFindings(t, fmt.Sprintf("goroutine %d: %s", w, objs[i].name), got, err, want[i], nil)
			}
		})
	}
	wg.Wait()
}
