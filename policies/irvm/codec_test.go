package irvm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/policies/irvm"
)

// normalise drops from p what the codec drops on purpose: builtins' declarations and the
// locations' text and file name. It walks p by reflection, so that it reaches every location
// and declaration a later ir may add.
func normalise(p *ir.Policy) { normaliseValue(reflect.ValueOf(p)) }

var (
	locationType = reflect.TypeFor[ir.Location]()
	functionType = reflect.TypeFor[*types.Function]()
	stmtType     = reflect.TypeFor[ir.Stmt]()
	valType      = reflect.TypeFor[ir.Val]()
)

func normaliseValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			normaliseValue(v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			normaliseValue(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == locationType {
			l := v.Addr().Interface().(*ir.Location)
			*l = ir.Location{File: l.File, Row: l.Row, Col: l.Col, EndRow: l.EndRow, EndCol: l.EndCol}
			return
		}
		for i := range v.NumField() {
			if f := v.Field(i); f.Type() == functionType {
				f.Set(reflect.Zero(functionType))
			} else if f.CanSet() {
				normaliseValue(f)
			}
		}
	}
}

// stmtKinds returns the statements of p, by type name, and how deeply its blocks nest.
func stmtKinds(p *ir.Policy) (map[string]int, int) {
	kinds, deepest := map[string]int{}, 0
	var block func(b *ir.Block, depth int)
	blocks := func(bs []*ir.Block, depth int) {
		for _, b := range bs {
			block(b, depth)
		}
	}
	block = func(b *ir.Block, depth int) {
		if b == nil {
			return
		}
		deepest = max(deepest, depth)
		for _, s := range b.Stmts {
			kinds[reflect.TypeOf(s).Elem().Name()]++
			switch s := s.(type) {
			case *ir.BlockStmt:
				blocks(s.Blocks, depth+1)
			case *ir.ScanStmt:
				block(s.Block, depth+1)
			case *ir.NotStmt:
				block(s.Block, depth+1)
			case *ir.WithStmt:
				block(s.Block, depth+1)
			}
		}
	}
	if p.Plans != nil {
		for _, pl := range p.Plans.Plans {
			blocks(pl.Blocks, 1)
		}
	}
	if p.Funcs != nil {
		for _, f := range p.Funcs.Funcs {
			blocks(f.Blocks, 1)
		}
	}
	return kinds, deepest
}

// sameAs fails unless decoded is want, normalised: it shows the first line where their JSON
// forms differ.
func sameAs(t testing.TB, want, decoded *ir.Policy) {
	t.Helper()
	if reflect.DeepEqual(want, decoded) {
		return
	}
	a, errA := json.MarshalIndent(want, "", " ")
	b, errB := json.MarshalIndent(decoded, "", " ")
	if errA != nil || errB != nil {
		t.Fatalf("the decoded policy differs; JSON: %v, %v", errA, errB)
	}
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			t.Fatalf("the decoded policy differs at line %d of its JSON:\nwant %s\ngot  %s", i+1, la[i], lb[i])
		}
	}
	if len(la) != len(lb) {
		t.Fatalf("the decoded policy's JSON has %d lines, want %d", len(lb), len(la))
	}
	t.Fatalf("the decoded policy differs where JSON does not show (nil or empty, a Go type)")
}

// roundTrip encodes and decodes p, wants p back, and returns the encoding's size.
func roundTrip(t testing.TB, p *ir.Policy) int {
	t.Helper()
	b, err := irvm.EncodePolicy(p)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := irvm.DecodePolicy(bytes.Clone(b))
	if err != nil {
		t.Fatal(err)
	}
	clear(b) // the decoded policy does not refer to its input
	normalise(p)
	sameAs(t, p, decoded)
	return len(b)
}

// TestCodecConformance plans every OPA evaluator case, wants its plan back from DecodePolicy
// as it was, and wants the decoded plan to evaluate as the original does: the same results or
// the same error, in the same words and at the same location. It lists the statement kinds the
// plans hold; TestCodecEveryStatementKind covers the others.
func TestCodecConformance(t *testing.T) {
	irvm.RegisterCodec()
	all := loadCases(t)
	seen := map[string]int{}
	var plans, size, deepest int
	for _, tc := range all {
		t.Run(tc.Note, func(t *testing.T) {
			ctx := context.Background()
			opts, data, store, input := setup(t, tc)
			var planned irvm.Planned
			decoded, decErr := rego.New(slices.Concat(opts, []func(*rego.Rego){rego.Store(store()), rego.Target(irvm.CodecTarget)})...).PrepareForEval(irvm.WithPlanned(irvm.WithData(ctx, data), &planned))
			original, origErr := rego.New(slices.Concat(opts, []func(*rego.Rego){rego.Store(store()), rego.Target(irvm.Target)})...).PrepareForEval(irvm.WithData(ctx, data))
			if decErr != nil || origErr != nil {
				if decErr == nil || origErr == nil || decErr.Error() != origErr.Error() {
					t.Fatalf("preparing the original plan: %v; the decoded one: %v", origErr, decErr)
				}
				if planned.Policy != nil {
					normalise(planned.Policy)
					sameAs(t, planned.Policy, planned.Decoded)
				}
				t.Skip("not prepared: ", origErr)
			}
			// Evaluation first: sameAs stops the test.
			want := eval(ctx, t, original, input, tc.SortBindings)
			got := eval(ctx, t, decoded, input, tc.SortBindings)
			if fmt.Sprint(got.err) != fmt.Sprint(want.err) {
				t.Errorf("the original plan fails with %v, the decoded one with %v", want.err, got.err)
			} else if want.err == nil && got.results.Compare(want.results) != 0 {
				t.Errorf("results differ\noriginal: %v\ndecoded:  %v", want.results, got.results)
			}

			normalise(planned.Policy)
			sameAs(t, planned.Policy, planned.Decoded)
			kinds, depth := stmtKinds(planned.Decoded)
			for k, n := range kinds {
				seen[k] += n
			}
			plans, size, deepest = plans+1, size+len(planned.Encoded), max(deepest, depth)
		})
	}
	if plans < 1000 {
		t.Errorf("only %d plans", plans)
	}
	var missing []string
	for _, k := range slices.Sorted(maps.Keys(ir.StmtKinds())) {
		if seen[k] == 0 {
			missing = append(missing, k)
		}
	}
	t.Logf("%d plans, %d bytes encoded, blocks nest %d deep at most", plans, size, deepest)
	t.Logf("statement kinds in no plan (TestCodecEveryStatementKind covers them): %s", strings.Join(missing, ", "))
}

// filler fills ir values at random, by reflection, so that every field of every statement
// kind (and of whatever ir adds) gets a value the codec must carry: a field it leaves out
// fails the round trip.
type filler struct {
	t     testing.TB
	rng   *rand.Rand
	depth int
	kinds []string
}

func newFiller(t testing.TB, seed uint64) *filler {
	return &filler{t: t, rng: rand.New(rand.NewPCG(seed, 1)), kinds: slices.Sorted(maps.Keys(ir.StmtKinds()))}
}

var edgeInts = []int64{0, 1, -1, 127, 128, 1<<60 - 1, 1 << 60, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64}

func (f *filler) int() int64 {
	switch f.rng.IntN(4) {
	case 0:
		return int64(f.rng.IntN(16))
	case 1:
		return int64(f.rng.IntN(5000))
	case 2:
		return edgeInts[f.rng.IntN(len(edgeInts))]
	}
	return int64(f.rng.Uint64())
}

func (f *filler) stmt(kind string) ir.Stmt {
	s := ir.StmtKinds()[kind]
	f.fill(reflect.ValueOf(s).Elem())
	return s
}

func (f *filler) fill(v reflect.Value) {
	const deepest = 4
	f.depth++
	defer func() { f.depth-- }()
	switch t := v.Type(); {
	case t == functionType: // dropped by the codec: nil
	case t == locationType:
		l := v.Addr().Interface().(*ir.Location)
		l.File, l.Row, l.Col, l.EndRow, l.EndCol = int(f.int()), int(f.int()), int(f.int()), int(f.int()), int(f.int())
	case t == stmtType:
		if f.rng.IntN(20) > 0 {
			v.Set(reflect.ValueOf(f.stmt(f.kinds[f.rng.IntN(len(f.kinds))])))
		}
	case t == valType:
		switch f.rng.IntN(7) {
		case 0, 1:
			v.Set(reflect.ValueOf(ir.Local(f.int())))
		case 2, 3:
			v.Set(reflect.ValueOf(ir.StringIndex(f.int())))
		case 4, 5:
			v.Set(reflect.ValueOf(ir.Bool(f.rng.IntN(2) == 0)))
		}
	default:
		switch v.Kind() {
		case reflect.Pointer:
			if f.depth < 3*deepest && f.rng.IntN(8) > 0 {
				v.Set(reflect.New(t.Elem()))
				f.fill(v.Elem())
			}
		case reflect.Slice:
			if f.rng.IntN(6) == 0 {
				return // nil
			}
			n := 0
			if f.depth < 3*deepest {
				n = f.rng.IntN(4)
			}
			v.Set(reflect.MakeSlice(t, n, n))
			for i := range n {
				f.fill(v.Index(i))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Field(i).CanSet() {
					f.fill(v.Field(i))
				}
			}
		case reflect.String:
			v.SetString([]string{"", "a", "deny", "g0", "data", "é", strings.Repeat("x", 200)}[f.rng.IntN(7)])
		case reflect.Bool:
			v.SetBool(f.rng.IntN(2) == 0)
		case reflect.Int, reflect.Int64:
			v.SetInt(f.int())
		case reflect.Int32:
			v.SetInt(int64(int32(f.int())))
		case reflect.Uint32:
			v.SetUint(uint64(uint32(f.int())))
		default:
			f.t.Fatalf("the filler cannot fill a %s", t)
		}
	}
}

func (f *filler) policy() *ir.Policy {
	p := &ir.Policy{}
	f.fill(reflect.ValueOf(p).Elem())
	return p
}

// onlyStmt is a policy whose one function's one statement is s.
func onlyStmt(s ir.Stmt) *ir.Policy {
	return &ir.Policy{Funcs: &ir.Funcs{Funcs: []*ir.Func{{Name: "f", Blocks: []*ir.Block{{Stmts: []ir.Stmt{s}}}}}}}
}

// TestCodecEveryStatementKind round-trips each statement kind ir has, every field filled at
// random (edge values too): a kind or a field the codec misses fails it, also a kind a later
// OPA adds.
func TestCodecEveryStatementKind(t *testing.T) {
	kinds := slices.Sorted(maps.Keys(ir.StmtKinds()))
	if len(kinds) < 34 {
		t.Fatalf("ir has %d statement kinds, want 34 at least", len(kinds))
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			for seed := range uint64(50) {
				f := newFiller(t, seed)
				roundTrip(t, onlyStmt(f.stmt(kind)))
			}
		})
	}
}

// TestCodecRandomPolicies round-trips whole policies filled at random: nil and empty slices,
// nil pointers and statements, nested blocks, every part of a policy.
func TestCodecRandomPolicies(t *testing.T) {
	for seed := range uint64(500) {
		roundTrip(t, newFiller(t, seed).policy())
	}
}

type alienStmt struct{ ir.Location }

func TestEncodeRefusesWhatItDoesNotKnow(t *testing.T) {
	for _, c := range []struct {
		stmt ir.Stmt
		want string
	}{
		{&alienStmt{}, "unknown statement type *irvm_test.alienStmt"},
		// OPA's JSON decoding gives operands pointers, which irvm does not evaluate either.
		{&ir.AssignVarStmt{Source: ir.Operand{Value: new(ir.Local)}}, "unknown operand type *ir.Local"},
		{(*ir.NopStmt)(nil), "nil *ir.NopStmt statement"},
	} {
		if _, err := irvm.EncodePolicy(onlyStmt(c.stmt)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%T: %v, want an error saying %q", c.stmt, err, c.want)
		}
	}
	if _, err := irvm.EncodePolicy(nil); err == nil {
		t.Error("a nil policy encodes")
	}
}

// nested is a policy whose blocks nest depth deep (two at least): NotStmts within NotStmts
// within a function's block.
func nested(depth int) *ir.Policy {
	b := &ir.Block{Stmts: []ir.Stmt{&ir.NopStmt{}}}
	for range depth - 2 {
		b = &ir.Block{Stmts: []ir.Stmt{&ir.NotStmt{Block: b}}}
	}
	return onlyStmt(&ir.NotStmt{Block: b})
}

// Decoding recurses as blocks nest: a bound keeps hostile input from exhausting the stack,
// and the encoder keeps to it.
func TestCodecNestingBound(t *testing.T) {
	roundTrip(t, nested(irvm.MaxNesting))
	if _, err := irvm.EncodePolicy(nested(irvm.MaxNesting + 1)); err == nil || !strings.Contains(err.Error(), "nest") {
		t.Errorf("encoding blocks nested too deep: %v", err)
	}
	if _, err := irvm.DecodePolicy(irvm.EncodeUnbounded(nested(irvm.MaxNesting + 1))); err == nil || !strings.Contains(err.Error(), "nest") {
		t.Errorf("decoding blocks nested too deep: %v", err)
	}
}

// TestDecodeRefusesMalformed: another version, nothing, every truncation and a byte more are
// errors; no byte changed makes decoding panic.
func TestDecodeRefusesMalformed(t *testing.T) {
	b, err := irvm.EncodePolicy(newFiller(t, 7).policy())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := irvm.DecodePolicy(b); err != nil {
		t.Fatal(err)
	}
	other := append([]byte{b[0] + 1}, b[1:]...)
	if _, err := irvm.DecodePolicy(other); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("another version: %v", err)
	}
	for i := range len(b) {
		if _, err := irvm.DecodePolicy(b[:i]); err == nil {
			t.Errorf("the first %d of %d bytes decode", i, len(b))
		}
	}
	if _, err := irvm.DecodePolicy(append(slices.Clip(b), 0)); err == nil {
		t.Error("a byte more decodes")
	}
	for i := 1; i < len(b); i++ {
		for _, c := range []byte{0, 1, 0x7f, 0x80, 0xff, b[i] ^ 1} {
			changed := bytes.Clone(b)
			changed[i] = c
			irvm.DecodePolicy(changed) // must not panic
		}
	}
}

// FuzzDecodePolicy: no input makes decoding panic, and what decodes encodes and decodes again
// to the same policy.
func FuzzDecodePolicy(f *testing.F) {
	for seed := range uint64(8) {
		b, err := irvm.EncodePolicy(newFiller(f, seed).policy())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	irvm.RegisterCodec()
	var planned irvm.Planned
	_, err := rego.New(rego.Module("p.rego", "package p\n\nx contains y if {\n\tsome y in input\n\tnot y == 2\n}\n\nf(a) := a + 1\n"),
		rego.Query("z := data.p.x; w := data.p.f(1)"), rego.Target(irvm.CodecTarget)).PrepareForEval(irvm.WithPlanned(context.Background(), &planned))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(planned.Encoded)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := irvm.DecodePolicy(b)
		if err != nil {
			return
		}
		again, err := irvm.EncodePolicy(p)
		if err != nil {
			t.Fatalf("a decoded policy does not encode: %v", err)
		}
		q, err := irvm.DecodePolicy(again)
		if err != nil {
			t.Fatalf("a re-encoded policy does not decode: %v", err)
		}
		sameAs(t, p, q)
	})
}

// bundledPlan plans the bundled rules as the engine does (policies/engine.go, plan): one query
// of every rule's deny set, by rule id, over lib/ and rules/ less their tests, with the
// jobguard builtins.
var bundledPlan = sync.OnceValues(func() (*irvm.Planned, error) {
	modules := map[string]*ast.Module{}
	err := fs.WalkDir(policies.Bundled, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".rego") || strings.HasSuffix(name, "_test.rego") {
			return err
		}
		text, err := fs.ReadFile(policies.Bundled, name)
		if err != nil {
			return err
		}
		modules[name], err = ast.ParseModuleWithOpts(name, string(text), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		return err
	})
	if err != nil {
		return nil, err
	}
	caps := ast.CapabilitiesForThisVersion()
	for _, b := range policies.TesterBuiltins() {
		caps.Builtins = append(caps.Builtins, b.Decl)
	}
	compiler := ast.NewCompiler().WithCapabilities(caps).WithEvalMode(ast.EvalModeIR)
	if compiler.Compile(modules); compiler.Failed() {
		return nil, compiler.Errors
	}
	rules := ast.MustParseRef("data.jobguard.rules")
	var items [][2]*ast.Term
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		m := modules[name]
		if !m.Package.Path.HasPrefix(rules) {
			continue
		}
		for _, a := range m.Annotations {
			if id, ok := a.Custom["id"].(string); ok && a.Scope == "package" {
				items = append(items, ast.Item(ast.StringTerm(id), ast.RefTerm(m.Package.Path.Append(ast.StringTerm("deny"))...)))
			}
		}
	}
	if len(items) < 20 {
		return nil, fmt.Errorf("only %d rules", len(items))
	}
	irvm.RegisterCodec()
	var planned irvm.Planned
	_, err = rego.New(append([]func(*rego.Rego){
		rego.Compiler(compiler),
		rego.Capabilities(caps),
		rego.ParsedQuery(ast.NewBody(ast.Assign.Expr(ast.VarTerm("result"), ast.ObjectTerm(items...)))),
		rego.Target(irvm.CodecTarget),
	}, policies.BuiltinOptions()...)...).PrepareForEval(irvm.WithPlanned(context.Background(), &planned))
	return &planned, err
})

// TestCodecBundledRules round-trips the plan of the bundled rules, the one to embed.
func TestCodecBundledRules(t *testing.T) {
	planned, err := bundledPlan()
	if err != nil {
		t.Fatal(err)
	}
	kinds, depth := stmtKinds(planned.Policy)
	stmts := 0
	for _, n := range kinds {
		stmts += n
	}
	size := roundTrip(t, planned.Policy)
	t.Logf("%d functions, %d statements, %d strings, blocks nest %d deep: %d bytes encoded",
		len(planned.Policy.Funcs.Funcs), stmts, len(planned.Policy.Static.Strings), depth, size)
}

func BenchmarkDecodePolicy(b *testing.B) {
	planned, err := bundledPlan()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := irvm.DecodePolicy(planned.Encoded); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(planned.Encoded)), "encoded-bytes")
}
