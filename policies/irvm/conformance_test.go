package irvm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/test/cases"
	"github.com/open-policy-agent/opa/v1/test/cases/testdata"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/jobguard/jobguard/policies/irvm"
)

// skipped are the cases irvm cannot pass by design, with why. Each must still be a case: a
// renamed or removed one fails the test, so the list cannot rot.
var skipped = map[string]string{
	// OPA's Wasm e2e tests skip these two too (internal/wasm/sdk/test/e2e/exceptions.yaml).
	"data/nested integer":   "opa#3711: data.x[2] finds base data's key \"2\" through the store only; a plan reads data as a value",
	"data/toplevel integer": "opa#3711: data.x[2] finds base data's key \"2\" through the store only; a plan reads data as a value",
}

// loadCases reads OPA's v1 evaluator cases from the copy OPA embeds (testdata.V1), as
// cases.Load reads a directory: no need to find the module cache from a test.
func loadCases(t *testing.T) []cases.TestCase {
	t.Helper()
	var all []cases.TestCase
	err := fs.WalkDir(testdata.V1, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		bs, err := fs.ReadFile(testdata.V1, path)
		if err != nil {
			return err
		}
		var set cases.Set
		if err := util.Unmarshal(bs, &set); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for i := range set.Cases {
			set.Cases[i].Filename = path
		}
		all = append(all, set.Cases...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cases.Set{Cases: all}.Sorted().Cases
}

// TestConformance runs every OPA evaluator case through irvm and through top-down evaluation,
// with the same options, time and seed, and wants the same results or the same error; where the
// case states its result (want_result, outside strict builtin errors) irvm must also give that.
// Cases OPA's planner refuses are skipped with the planner's reason.
func TestConformance(t *testing.T) {
	irvm.Register()
	all := loadCases(t)
	if len(all) < 1000 {
		t.Fatalf("only %d cases loaded", len(all))
	}
	notes := map[string]bool{}
	for _, tc := range all {
		notes[tc.Note] = true
	}
	for note := range skipped {
		if !notes[note] {
			t.Errorf("skipped names %q, which is no case", note)
		}
	}
	var ran, passed int
	kinds := map[string]int{}        // how the cases that ran ended
	refused := map[string][]string{} // the planner's reason -> the cases it refuses
	for _, tc := range all {
		planned := true
		ok := t.Run(tc.Note, func(t *testing.T) {
			if reason, ok := skipped[tc.Note]; ok {
				planned = false
				t.Skip(reason)
			}
			kind, reason := runCase(t, tc)
			if reason != "" {
				planned = false
				refused[reason] = append(refused[reason], tc.Note)
				t.Skip("the planner refuses it: " + reason)
			}
			kinds[kind]++
		})
		if planned {
			ran++
			if ok {
				passed++
			}
		}
	}
	for _, reason := range slices.Sorted(maps.Keys(refused)) {
		t.Logf("the planner refuses %d: %s (%s)", len(refused[reason]), reason, strings.Join(refused[reason], "; "))
	}
	t.Logf("%d cases: %d ran, %d passed, %d skipped by list, %d refused by the planner", len(all), ran, passed, len(skipped), len(all)-ran-len(skipped))
	t.Logf("of those that ran: %d results, %d evaluation errors, %d refused by the compiler", kinds["results"], kinds["error"], kinds["compile"])
}

var evalTime = time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)

// outcome is a query's result set, as a set of objects of bindings by name, or its error.
type outcome struct {
	results ast.Set
	err     error
}

// setup is a case's query options, data (as a value and as a fresh store for each target) and
// input, nil for none; it sets the case's environment for the test.
func setup(t *testing.T, tc cases.TestCase) (opts []func(*rego.Rego), data ast.Value, store func() storage.Store, input ast.Value) {
	for k, v := range tc.Env {
		t.Setenv(k, v)
	}
	caps := ast.CapabilitiesForThisVersion(ast.CapabilitiesExperimentalKeywords(tc.ExperimentalKeywords))
	opts = []func(*rego.Rego){
		rego.Query(tc.Query),
		rego.SetRegoVersion(ast.RegoV1),
		rego.Capabilities(caps),
	}
	for i, m := range tc.Modules {
		opts = append(opts, rego.Module(fmt.Sprintf("test-%d.rego", i), m))
	}
	data = ast.NewObject()
	if tc.Data != nil {
		data = ast.MustInterfaceToValue(*tc.Data)
	}
	store = func() storage.Store {
		if tc.Data != nil {
			return inmem.NewFromObject(*tc.Data)
		}
		return inmem.New()
	}
	if tc.InputTerm != nil {
		input = ast.MustParseTerm(*tc.InputTerm).Value
	} else if tc.Input != nil {
		input = ast.MustInterfaceToValue(*tc.Input)
	}
	return opts, data, store, input
}

// runCase checks one case: it returns what the case ends in (results, error, compile), or the
// planner's error when the planner refuses the case.
func runCase(t *testing.T, tc cases.TestCase) (kind, refused string) {
	ctx := context.Background()
	opts, data, store, input := setup(t, tc)

	topDown, tdErr := rego.New(slices.Concat(opts, []func(*rego.Rego){rego.Store(store())})...).PrepareForEval(ctx)
	planned, irErr := rego.New(slices.Concat(opts, []func(*rego.Rego){rego.Store(store()), rego.Target(irvm.Target)})...).PrepareForEval(irvm.WithData(ctx, data))
	switch {
	case tdErr != nil:
		// The compiler refuses it: irvm must refuse it the same way.
		if irErr == nil || irErr.Error() != tdErr.Error() {
			t.Fatalf("top-down preparation fails with %v; irvm's with %v", tdErr, irErr)
		}
		return "compile", ""
	case irErr != nil && strings.HasPrefix(irErr.Error(), "irvm:"):
		t.Fatalf("irvm cannot compile the plan: %v", irErr)
	case irErr != nil:
		return "", irErr.Error()
	}

	want := eval(ctx, t, topDown, input, tc.SortBindings)
	got := eval(ctx, t, planned, input, tc.SortBindings)
	if want.err != nil || got.err != nil {
		if want.err == nil || got.err == nil || errorCode(got.err) != errorCode(want.err) {
			t.Fatalf("top-down: %v, error %v\nirvm:     %v, error %v", want.results, want.err, got.results, got.err)
		}
		if tc.WantError != nil && !tc.StrictError && !strings.Contains(got.err.Error(), *tc.WantError) {
			t.Errorf("irvm's error %q does not say %q", got.err, *tc.WantError)
		}
		return "error", ""
	}
	if got.results.Compare(want.results) != 0 {
		t.Fatalf("results differ\ntop-down: %v\nirvm:     %v", want.results, got.results)
	}
	if tc.WantResult != nil && !tc.StrictError {
		if exp, act := expected(*tc.WantResult), asJSON(t, got.results, tc.SortBindings, tc.IgnoreGeneratedVars); exp.Compare(act) != 0 {
			t.Fatalf("irvm's results are not the case's\nwant: %v\ngot:  %v", exp, act)
		}
	}
	return "results", ""
}

func eval(ctx context.Context, t *testing.T, pq rego.PreparedEvalQuery, input ast.Value, sortBindings bool) outcome {
	t.Helper()
	opts := []rego.EvalOption{
		rego.EvalTime(evalTime),
		rego.EvalSeed(bytes.NewReader(bytes.Repeat([]byte{7}, 4096))),
		rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
	}
	if input != nil {
		opts = append(opts, rego.EvalParsedInput(input))
	}
	rs, err := pq.Eval(ctx, opts...)
	if err != nil {
		return outcome{err: err}
	}
	set := ast.NewSet()
	for _, r := range rs {
		obj := ast.NewObject()
		for k, v := range r.Bindings {
			term := v.(*ast.Term)
			if arr, ok := term.Value.(*ast.Array); ok && sortBindings {
				term = ast.NewTerm(arr.Sorted())
			}
			obj.Insert(ast.StringTerm(k), term)
		}
		set.Add(ast.NewTerm(obj))
	}
	return outcome{results: set}
}

func errorCode(err error) string {
	var te *topdown.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return err.Error()
}

// expected and asJSON compare results as OPA's own runner of these cases does
// (topdown's testAssertResultSet): through JSON.
func expected(want []map[string]any) ast.Set {
	exp := ast.NewSet()
	for _, b := range want {
		obj := ast.NewObject()
		for k, v := range b {
			obj.Insert(ast.StringTerm(k), ast.NewTerm(ast.MustInterfaceToValue(v)))
		}
		exp.Add(ast.NewTerm(obj))
	}
	return exp
}

func asJSON(t *testing.T, results ast.Set, sortBindings, ignoreGenerated bool) ast.Set {
	t.Helper()
	got := ast.NewSet()
	results.Foreach(func(r *ast.Term) {
		obj := ast.NewObject()
		r.Value.(ast.Object).Foreach(func(k, v *ast.Term) {
			name := string(k.Value.(ast.String))
			if ignoreGenerated && strings.HasPrefix(name, "__localq") {
				return
			}
			j, err := ast.JSON(v.Value)
			if err != nil {
				t.Fatal(err)
			}
			if arr, ok := j.([]any); ok && sortBindings {
				sort.Slice(arr, func(i, k int) bool { return util.Compare(arr[i], arr[k]) < 0 })
			}
			obj.Insert(k, ast.NewTerm(ast.MustInterfaceToValue(j)))
		})
		got.Add(ast.NewTerm(obj))
	})
	return got
}
