// Package irvm evaluates queries from OPA's planned intermediate representation (package ir),
// the plan OPA's compiler also turns into WebAssembly, instead of evaluating them top-down.
//
// Top-down evaluation unifies terms, keeps bindings and looks rules up by index for every
// expression; a plan is a fixed sequence of statements over numbered locals. irvm turns each
// statement into a Go closure once, when a query is prepared, and runs them over ast values, so
// results are the same values top-down evaluation gives, and OPA's own implementation of every
// builtin (and every rego.Function of the query) is called.
//
// Plan plans a query (rego options) and New makes a Program of the plan, whose rule functions
// can be called one by one; a plan made at build time (EncodePolicy, DecodePolicy) runs without
// compiling anything. irvm is also a rego target plugin: Register it,
// then prepare a query with rego.Target(Target). A query OPA cannot plan fails to prepare;
// callers fall back to top-down evaluation.
package irvm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/topdown/print"
)

// Target is the rego target name that selects this evaluator.
const Target = "jobguard-ir"

var registerOnce sync.Once

// Register makes Target known to package rego. It is safe to call more than once.
func Register() {
	registerOnce.Do(func() { rego.RegisterPlugin(Target, plugin{}) })
}

type dataKey struct{}

// WithData returns a context that gives the queries prepared with it their data document: a
// plan reads data as a value, not through a store. Pass it to PrepareForEval.
func WithData(ctx context.Context, data ast.Value) context.Context {
	return context.WithValue(ctx, dataKey{}, ast.NewTerm(data))
}

type captureKey struct{}

// captured is the plan the plugin was given when Plan prepared a query through it.
type captured struct {
	policy   *ir.Policy
	builtins map[string]*topdown.Builtin
}

// Plan plans the query of opts (rego options: compiler, query, builtins) and returns OPA's plan
// with the implementations of the rego.Functions among opts, which New needs with it.
func Plan(ctx context.Context, opts ...func(*rego.Rego)) (*ir.Policy, map[string]*topdown.Builtin, error) {
	Register()
	var c captured
	if _, err := rego.New(append(opts, rego.Target(Target))...).PrepareForEval(context.WithValue(ctx, captureKey{}, &c)); err != nil {
		return nil, nil, err
	}
	return c.policy, c.builtins, nil
}

// New makes a Program of a plan, whose rules read data. builtins are the implementations of
// builtins that are not OPA's (Plan returns them).
func New(policy *ir.Policy, builtins map[string]*topdown.Builtin, data ast.Value) (*Program, error) {
	p, err := compile(policy, builtins, ast.NewTerm(data))
	if err != nil {
		return nil, err
	}
	return &Program{p: p}, nil
}

type plugin struct{}

func (plugin) IsTarget(t string) bool { return t == Target }

func (plugin) PrepareForEval(ctx context.Context, policy *ir.Policy, opts ...rego.PrepareOption) (rego.TargetPluginEval, error) {
	var cfg rego.PrepareConfig
	for _, o := range opts {
		o(&cfg)
	}
	if c, ok := ctx.Value(captureKey{}).(*captured); ok {
		// Plan: the caller makes its own program of the plan (New), with its data.
		*c = captured{policy: policy, builtins: cfg.BuiltinFuncs()}
		return plannedOnly{}, nil
	}
	data, _ := ctx.Value(dataKey{}).(*ast.Term)
	if data == nil {
		data = ast.NewTerm(ast.NewObject())
	}
	return compile(policy, cfg.BuiltinFuncs(), data)
}

// plannedOnly is the rego evaluator of a query prepared by Plan, which is not to be evaluated.
type plannedOnly struct{}

func (plannedOnly) Eval(context.Context, *rego.EvalContext, ast.Value) (ast.Value, error) {
	return nil, errors.New("irvm: a query prepared by Plan is evaluated through New's Program")
}

// Program is a planned query.
type Program struct{ p *program }

// Function is a rule of a Program: a function of input and data.
type Function struct{ f *function }

// Function returns the function that evaluates the rule at path under data (a, b, deny for
// data.a.b.deny), if the query reaches it.
func (p *Program) Function(path ...string) (*Function, bool) {
	f := p.p.byRule[strings.Join(path, "\x00")]
	if f == nil || len(f.params) != 2 {
		return nil, false
	}
	return &Function{f}, true
}

// Evaluation evaluates functions of a Program for one input: the results of rules called
// along the way are kept for the next call. It is not safe for concurrent use.
type Evaluation struct{ e *evaluation }

// Evaluate starts an evaluation of input. cancel, when cancelled, stops it with an error.
// Release it when done.
func (p *Program) Evaluate(ctx context.Context, input *ast.Term, cancel topdown.Cancel) *Evaluation {
	e := p.p.newEvaluation(ctx, cancel, metrics.NoOp(), nil, time.Now(), nil)
	e.input = input
	return &Evaluation{e}
}

// Call returns fn's value, nil when it is undefined.
func (ev *Evaluation) Call(fn *Function) (*ast.Term, error) {
	e := ev.e
	if v, ok := e.memoized(fn.f); ok {
		return v, nil
	}
	fr := e.enter(fn.f)
	fr.locals[fn.f.params[0]], fr.locals[fn.f.params[1]] = e.input, e.prog.data
	v, r := e.run(fn.f, fr)
	if r == abort {
		return nil, e.err
	}
	return v, nil
}

// Release gives the evaluation's memory back for the next one; ev is not to be used again.
// The values its calls returned stay the caller's.
func (ev *Evaluation) Release() {
	e := ev.e
	ev.e = nil
	for _, fr := range e.frames {
		clear(fr.locals) // hold no object of this evaluation in the pool
	}
	clear(e.memo)
	clear(e.cache)
	*e = evaluation{prog: e.prog, memo: e.memo, frames: e.frames, cache: e.cache, collect: e.collect}
	e.prog.pool.Put(e)
}

func (p *program) newEvaluation(ctx context.Context, cancel topdown.Cancel, m metrics.Metrics, seed io.Reader, now time.Time, hook print.Hook) *evaluation {
	e, _ := p.pool.Get().(*evaluation)
	if e == nil {
		e = &evaluation{prog: p, memo: make([]*ast.Term, len(p.funcs)), cache: builtins.Cache{}}
	}
	e.cancel = cancel
	if e.collect == nil {
		e.collect = func(t *ast.Term) error { e.out, e.called = t, true; return nil }
	}
	e.bctx = topdown.BuiltinContext{
		Context:   ctx,
		Metrics:   m,
		Seed:      seed,
		Time:      ast.NewTerm(ast.Number(strconv.FormatInt(now.UnixNano(), 10))),
		Cancel:    cancel,
		Cache:     e.cache,
		PrintHook: hook,
	}
	return e
}

// Eval runs the query's plan and returns its result set: a set of objects, one per result,
// of the query's variables by name. It makes Program a rego target.
func (p *program) Eval(ctx context.Context, ectx *rego.EvalContext, _ ast.Value) (ast.Value, error) {
	// No input leaves input undefined, as in top-down evaluation; rego parses a raw input
	// only for its own targets.
	var input *ast.Term
	if v := ectx.ParsedInput(); v != nil {
		input = ast.NewTerm(v)
	} else if raw := ectx.RawInput(); raw != nil {
		v, err := ast.InterfaceToValue(*raw)
		if err != nil {
			return nil, err
		}
		input = ast.NewTerm(v)
	}
	cancel := ectx.ExternalCancel()
	if cancel == nil {
		cancel = topdown.NewCancel()
		defer context.AfterFunc(ctx, cancel.Cancel)()
	}
	m := ectx.Metrics()
	if m == nil {
		m = metrics.NoOp()
	}
	e := p.newEvaluation(ctx, cancel, m, ectx.Seed(), evalTime(ectx), ectx.PrintHook())
	e.input, e.results = input, ast.NewSet()
	fr := &frame{e: e, locals: make([]*ast.Term, p.plan.locals)}
	fr.locals[ir.Input] = input
	fr.locals[ir.Data] = p.data
	for _, b := range p.plan.blocks {
		if r := b.run(fr); r == abort {
			return nil, e.err
		} else if r >= 0 || r == returned {
			break
		}
	}
	return e.results, nil
}

func evalTime(ectx *rego.EvalContext) time.Time {
	if t := ectx.Time(); !t.IsZero() {
		return t
	}
	return time.Now()
}

// A statement's result: next (go on), abort (an error, in evaluation.err), returned (the
// function's result is in frame.ret), or n >= 0: leave the block holding the statement and n
// blocks more. An undefined statement leaves its block: 0.
const (
	next     = -1
	abort    = -2
	returned = -3
	// completed and exited are a block's results to the statement that holds it.
	completed = -4
	exited    = -5
)

type stmt func(*frame) int

type block []stmt

// run returns completed, exited (left by an undefined statement or a break of its own), abort,
// returned, or n >= 0: the statement holding the block leaves its own block and n more.
func (b block) run(fr *frame) int {
	for _, s := range b {
		switch r := s(fr); {
		case r == next:
		case r == 0:
			return exited
		case r > 0:
			return r - 1
		default:
			return r
		}
	}
	return completed
}

type function struct {
	params []ir.Local
	blocks []block
	locals int
	index  int
	memo   bool // a function of input and data alone: its result holds for the evaluation
}

type plan struct {
	blocks []block
	locals int
}

type program struct {
	data     *ast.Term
	strings  []*ast.Term
	files    []string // file names, for errors' locations
	funcs    []*function
	byName   map[string]*function
	byPath   map[string]*function // CallDynamicStmt's targets, by path joined with "/"
	byRule   map[string]*function // rules planned outside any with (generation g0), by path joined with NUL
	builtins map[string]*topdown.Builtin
	plan     plan
	pool     sync.Pool // of *evaluation
}

type evaluation struct {
	prog    *program
	input   *ast.Term
	cancel  topdown.Cancel
	bctx    topdown.BuiltinContext
	cache   builtins.Cache
	memo    []*ast.Term
	results ast.Set
	err     error
	steps   int
	// frames holds a frame per call depth, reused by the calls at that depth; depth is the
	// current one.
	frames []*frame
	depth  int
	// args is where builtins' operands are cut from: never reused within an evaluation, as a
	// builtin may keep what it is given.
	args []*ast.Term
	// collect is the output callback of builtins with one output: it sets out and called.
	collect func(*ast.Term) error
	out     *ast.Term
	called  bool
}

type frame struct {
	e      *evaluation
	locals []*ast.Term
	ret    *ast.Term
}

// operands returns room for n operands of a builtin.
func (e *evaluation) operands(n int) []*ast.Term {
	if len(e.args)+n > cap(e.args) {
		e.args = make([]*ast.Term, 0, max(256, n))
	}
	e.args = e.args[:len(e.args)+n]
	return e.args[len(e.args)-n : len(e.args) : len(e.args)]
}

// fail records err and unwinds the evaluation.
func (e *evaluation) fail(err error) int {
	if e.err == nil {
		e.err = err
	}
	return abort
}

// cancelled is checked in loops and calls, as top-down evaluation checks at every step.
func (e *evaluation) cancelled() bool {
	e.steps++
	if e.steps&63 == 0 && e.cancel.Cancelled() {
		e.fail(&topdown.Error{Code: topdown.CancelErr, Message: "caller cancelled query execution"})
		return true
	}
	return false
}

// memoized returns the value of a function of input and data alone once it has one.
func (e *evaluation) memoized(fn *function) (*ast.Term, bool) {
	if fn.memo {
		if v := e.memo[fn.index]; v != nil {
			return v, true
		}
	}
	return nil, false
}

// enter returns a cleared frame for a call of fn one level below the current one; the caller
// sets its parameters, then run runs it.
func (e *evaluation) enter(fn *function) *frame {
	if e.depth == len(e.frames) {
		e.frames = append(e.frames, &frame{e: e})
	}
	fr := e.frames[e.depth]
	fr.e, fr.ret = e, nil
	if cap(fr.locals) < fn.locals {
		fr.locals = make([]*ast.Term, fn.locals)
	} else {
		fr.locals = fr.locals[:fn.locals]
		clear(fr.locals)
	}
	return fr
}

func (e *evaluation) run(fn *function, fr *frame) (*ast.Term, int) {
	if e.cancelled() {
		return nil, abort
	}
	e.depth++
	defer func() { e.depth-- }()
	for _, b := range fn.blocks {
		r := b.run(fr)
		if r == abort {
			return nil, abort
		}
		if r == returned {
			break
		}
		if r >= 0 {
			return nil, next
		}
	}
	if fn.memo && fr.ret != nil {
		e.memo[fn.index] = fr.ret
	}
	return fr.ret, next
}

func compile(policy *ir.Policy, funcs map[string]*topdown.Builtin, data *ast.Term) (*program, error) {
	if policy.Plans == nil || len(policy.Plans.Plans) != 1 {
		return nil, errors.New("irvm: the policy must hold exactly one plan")
	}
	p := &program{
		data:     data,
		byName:   map[string]*function{},
		byPath:   map[string]*function{},
		byRule:   map[string]*function{},
		builtins: map[string]*topdown.Builtin{},
	}
	if policy.Static != nil {
		for _, s := range policy.Static.Strings {
			p.strings = append(p.strings, ast.StringTerm(s.Value))
		}
		for _, f := range policy.Static.Files {
			p.files = append(p.files, f.Value)
		}
		for _, b := range policy.Static.BuiltinFuncs {
			switch {
			case funcs[b.Name] != nil:
				p.builtins[b.Name] = funcs[b.Name]
			case topdown.GetBuiltin(b.Name) != nil:
				p.builtins[b.Name] = &topdown.Builtin{Decl: ast.BuiltinMap[b.Name], Func: topdown.GetBuiltin(b.Name)}
			default:
				return nil, fmt.Errorf("irvm: builtin %s has no implementation", b.Name)
			}
		}
	}
	if policy.Funcs != nil {
		for i, f := range policy.Funcs.Funcs {
			fn := &function{params: f.Params, index: i, memo: len(f.Params) == 2}
			p.funcs = append(p.funcs, fn)
			p.byName[f.Name] = fn
			if f.Path != nil {
				p.byPath[strings.Join(f.Path, "/")] = fn
				if f.Path[0] == "g0" {
					p.byRule[strings.Join(f.Path[1:], "\x00")] = fn
				}
			}
		}
		for i, f := range policy.Funcs.Funcs {
			c := &compiler{prog: p, fn: f}
			c.use(f.Return)
			for _, l := range f.Params {
				c.use(l)
			}
			blocks, err := c.blocks(f.Blocks)
			if err != nil {
				return nil, fmt.Errorf("irvm: function %s: %w", f.Name, err)
			}
			p.funcs[i].blocks, p.funcs[i].locals = blocks, c.locals
		}
	}
	c := &compiler{prog: p}
	c.use(ir.Data)
	blocks, err := c.blocks(policy.Plans.Plans[0].Blocks)
	if err != nil {
		return nil, fmt.Errorf("irvm: plan: %w", err)
	}
	p.plan = plan{blocks: blocks, locals: c.locals}
	return p, nil
}
