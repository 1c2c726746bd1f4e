package irvm_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/print"

	"github.com/jobguard/jobguard/policies/irvm"
)

// both evaluates query over module top-down and through irvm, with the same eval options, and
// fails unless both give want (the results' bindings, as a Rego term).
func both(t *testing.T, module, query, want string, opts ...rego.EvalOption) {
	t.Helper()
	ctx := context.Background()
	for _, target := range []string{"rego", irvm.Target} {
		irvm.Register()
		pq, err := rego.New(rego.Module("test.rego", module), rego.Query(query), rego.Target(target)).PrepareForEval(irvm.WithData(ctx, ast.NewObject()))
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		rs, err := pq.Eval(ctx, append(opts, rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }))...)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		got := ast.NewArray()
		for _, r := range rs {
			obj := ast.NewObject()
			for k, v := range r.Bindings {
				obj.Insert(ast.StringTerm(k), v.(*ast.Term))
			}
			got = got.Append(ast.NewTerm(obj))
		}
		if w := ast.MustParseTerm(want).Value; got.Compare(w) != 0 {
			t.Errorf("%s: %s = %v, want %v", target, query, got, w)
		}
	}
}

// walk is OPA's one relation: the plan scans the array of all its outputs, not the last one.
func TestWalkGivesEveryPathAndValue(t *testing.T) {
	both(t, "package p\n", `x := {[p, v] | walk({"a": [1]}, [p, v])}`,
		`[{"x": {[[], {"a": [1]}], [["a"], [1]], [["a", 0], 1]}}]`)
}

// Without an input, input is undefined, not {}: a rule that reads it is undefined, one that
// negates it holds.
func TestNoInputIsUndefined(t *testing.T) {
	module := `package p

whole := input

field := input.a

keys contains k if some k, _ in input

absent if not input.a
`
	both(t, module, `x := data.p`, `[{"x": {"keys": set(), "absent": true}}]`)
}

// rego.EvalInput hands a target the input unparsed: it is the input all the same.
func TestRawInputIsTheInput(t *testing.T) {
	both(t, "package p\n", `x := input.a`, `[{"x": 1}]`, rego.EvalInput(map[string]any{"a": 1}))
}

// A rule or function with two values fails as top-down evaluation fails: its words, naming the
// rule, at the rule's file and row (top-down also lists the values; irvm does not).
func TestConflictNamesTheRule(t *testing.T) {
	module := `package p

x := 1
x := 2 if input.two

f(_) := 1
f(_) := 2 if input.two

y := f(0)
`
	ctx := context.Background()
	irvm.Register()
	for query, want := range map[string]string{
		"data.p.x": "test.rego:4: eval_conflict_error: rule data.p.x produced conflicting values",
		"data.p.y": "test.rego:7: eval_conflict_error: function data.p.f produced conflicting values for the same inputs",
	} {
		pq, err := rego.New(rego.Module("test.rego", module), rego.Query(query), rego.Target(irvm.Target)).PrepareForEval(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = pq.Eval(ctx, rego.EvalParsedInput(ast.MustParseTerm(`{"two": true}`).Value))
		var te *topdown.Error
		if !errors.As(err, &te) || te.Code != topdown.ConflictErr || err.Error() != want {
			t.Errorf("%s: %v, want %s", query, err, want)
		}
	}
}

type printed struct{ lines *[]string }

func (p printed) Print(_ print.Context, s string) error { *p.lines = append(*p.lines, s); return nil }

// print is void: it calls back with no value, and evaluation goes on past it.
func TestPrintGoesOn(t *testing.T) {
	ctx := context.Background()
	irvm.Register()
	var want []string
	for _, target := range []string{"rego", irvm.Target} {
		var lines []string
		pq, err := rego.New(rego.Module("test.rego", "package p\n\ns contains y if {\n\tprint(\"a\", input.a, input.b)\n\tsome y in [1, 2]\n\tprint(y)\n}\n"),
			rego.Query("data.p.s == {1, 2}"), rego.EnablePrintStatements(true), rego.PrintHook(printed{&lines}), rego.Target(target)).PrepareForEval(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := pq.Eval(ctx, rego.EvalInput(map[string]any{"a": 1}))
		if err != nil || !rs.Allowed() {
			t.Errorf("%s: %v, %v; want the set of both", target, rs, err)
		}
		if target == "rego" {
			want = lines
		} else if !slices.Equal(lines, want) {
			t.Errorf("%s printed %q, top-down %q", target, lines, want)
		}
	}
	if len(want) != 3 {
		t.Errorf("top-down printed %q, want three lines", want)
	}
}
