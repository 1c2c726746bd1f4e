package irvm

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// compiler turns one function's or plan's statements into closures, counting its locals.
type compiler struct {
	prog   *program
	fn     *ir.Func // nil for the plan
	locals int
}

func (c *compiler) use(l ir.Local) ir.Local {
	c.locals = max(c.locals, int(l)+1)
	return l
}

// operand is a local or a constant.
type operand struct {
	local ir.Local
	konst *ast.Term
}

func (o operand) get(fr *frame) *ast.Term {
	if o.konst != nil {
		return o.konst
	}
	return fr.locals[o.local]
}

func (c *compiler) operand(op ir.Operand) (operand, error) {
	switch v := op.Value.(type) {
	case ir.Local:
		return operand{local: c.use(v)}, nil
	case ir.StringIndex:
		if int(v) >= len(c.prog.strings) {
			return operand{}, fmt.Errorf("string constant %d out of range", v)
		}
		return operand{konst: c.prog.strings[v]}, nil
	case ir.Bool:
		return operand{konst: ast.BooleanTerm(bool(v))}, nil
	}
	return operand{}, fmt.Errorf("unknown operand %T", op.Value)
}

func (c *compiler) blocks(bs []*ir.Block) ([]block, error) {
	out := make([]block, len(bs))
	for i, b := range bs {
		var err error
		if out[i], err = c.block(b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *compiler) block(b *ir.Block) (block, error) {
	out := make(block, 0, len(b.Stmts))
	for _, s := range b.Stmts {
		f, err := c.stmt(s)
		if err != nil {
			return nil, err
		}
		if f != nil {
			out = append(out, f)
		}
	}
	return out, nil
}

// location is a statement's place in its Rego file, nil when the plan does not say.
func (c *compiler) location(s ir.Stmt) *ast.Location {
	l := s.GetLocation()
	if l == nil || (l.Row == 0 && l.File == 0) {
		return nil
	}
	loc := &ast.Location{Row: l.Row, Col: l.Col}
	if l.File >= 0 && l.File < len(c.prog.files) {
		loc.File = c.prog.files[l.File]
	}
	return loc
}

// conflict returns a statement's conflict error: top-down evaluation's words and location.
func (c *compiler) conflict(what string, s ir.Stmt) func(*frame) int {
	return c.conflictFunc(func() string { return what }, s)
}

// conflictFunc is conflict with a message made only when the conflict happens.
func (c *compiler) conflictFunc(what func() string, s ir.Stmt) func(*frame) int {
	loc := c.location(s)
	return func(fr *frame) int {
		return fr.e.fail(&topdown.Error{Code: topdown.ConflictErr, Message: what(), Location: loc})
	}
}

// valueConflict is what top-down evaluation says when a complete rule or a function fn produces
// two values.
func valueConflict(fn *ir.Func) string {
	if fn == nil || len(fn.Path) < 2 {
		return "complete rules must not produce multiple outputs"
	}
	ref := ast.Ref{ast.DefaultRootDocument}
	for _, k := range fn.Path[1:] { // Path[0] is the generation: g0, g1 under with
		ref = append(ref, ast.StringTerm(k))
	}
	if len(fn.Params) > 2 {
		return "function " + ref.String() + " produced conflicting values for the same inputs"
	}
	return "rule " + ref.String() + " produced conflicting values"
}

func (c *compiler) stmt(s ir.Stmt) (stmt, error) {
	switch s := s.(type) {
	case *ir.NopStmt:
		return nil, nil
	case *ir.ReturnLocalStmt:
		src := c.use(s.Source)
		return func(fr *frame) int { fr.ret = fr.locals[src]; return returned }, nil
	case *ir.ResultSetAddStmt:
		v := c.use(s.Value)
		return func(fr *frame) int { fr.e.results.Add(fr.locals[v]); return next }, nil
	case *ir.BlockStmt:
		blocks, err := c.blocks(s.Blocks)
		if err != nil {
			return nil, err
		}
		return func(fr *frame) int {
			for _, b := range blocks {
				if r := b.run(fr); r != completed && r != exited {
					return r
				}
			}
			return next
		}, nil
	case *ir.BreakStmt:
		n := int(s.Index)
		return func(*frame) int { return n }, nil
	case *ir.NotStmt:
		b, err := c.block(s.Block)
		if err != nil {
			return nil, err
		}
		return func(fr *frame) int {
			switch r := b.run(fr); r {
			case completed:
				return 0
			case exited:
				return next
			default:
				return r
			}
		}, nil
	case *ir.ScanStmt:
		return c.scan(s)
	case *ir.WithStmt:
		return c.with(s)
	case *ir.CallStmt:
		return c.call(s)
	case *ir.CallDynamicStmt:
		return c.callDynamic(s)
	case *ir.DotStmt:
		src, err := c.operand(s.Source)
		if err != nil {
			return nil, err
		}
		key, err := c.operand(s.Key)
		if err != nil {
			return nil, err
		}
		target := c.use(s.Target)
		if src.konst != nil { // strings and booleans have no members
			return func(*frame) int { return 0 }, nil
		}
		return func(fr *frame) int {
			s := src.get(fr)
			if s == nil { // an undefined input
				return 0
			}
			v := member(s, key.get(fr))
			if v == nil {
				return 0
			}
			fr.locals[target] = v
			return next
		}, nil
	case *ir.LenStmt:
		src, err := c.operand(s.Source)
		if err != nil {
			return nil, err
		}
		target := c.use(s.Target)
		return func(fr *frame) int {
			fr.locals[target] = ast.InternedTerm(length(src.get(fr)))
			return next
		}, nil
	case *ir.AssignIntStmt:
		target, v := c.use(s.Target), ast.InternedTerm(int(s.Value))
		return func(fr *frame) int { fr.locals[target] = v; return next }, nil
	case *ir.AssignVarStmt:
		src, err := c.operand(s.Source)
		if err != nil {
			return nil, err
		}
		target := c.use(s.Target)
		return func(fr *frame) int { fr.locals[target] = src.get(fr); return next }, nil
	case *ir.AssignVarOnceStmt:
		src, err := c.operand(s.Source)
		if err != nil {
			return nil, err
		}
		target := c.use(s.Target)
		fn := c.fn
		conflict := c.conflictFunc(func() string { return valueConflict(fn) }, s)
		return func(fr *frame) int {
			v := src.get(fr)
			if prev := fr.locals[target]; prev != nil {
				if ast.Compare(prev.Value, v.Value) != 0 {
					return conflict(fr)
				}
				return next
			}
			fr.locals[target] = v
			return next
		}, nil
	case *ir.ResetLocalStmt:
		target := c.use(s.Target)
		return func(fr *frame) int { fr.locals[target] = nil; return next }, nil
	case *ir.MakeNullStmt:
		target := c.use(s.Target)
		return func(fr *frame) int { fr.locals[target] = ast.InternedNullTerm; return next }, nil
	case *ir.MakeNumberIntStmt:
		target, v := c.use(s.Target), ast.InternedTerm(int(s.Value))
		return func(fr *frame) int { fr.locals[target] = v; return next }, nil
	case *ir.MakeNumberRefStmt:
		if s.Index >= len(c.prog.strings) {
			return nil, fmt.Errorf("number constant %d out of range", s.Index)
		}
		target := c.use(s.Target)
		v := ast.NewTerm(ast.Number(c.prog.strings[s.Index].Value.(ast.String)))
		return func(fr *frame) int { fr.locals[target] = v; return next }, nil
	case *ir.MakeArrayStmt:
		target, capacity := c.use(s.Target), int(s.Capacity)
		return func(fr *frame) int {
			fr.locals[target] = ast.NewTerm(ast.NewArrayWithCapacity(capacity))
			return next
		}, nil
	case *ir.MakeObjectStmt:
		target := c.use(s.Target)
		return func(fr *frame) int { fr.locals[target] = ast.NewTerm(ast.NewObject()); return next }, nil
	case *ir.MakeSetStmt:
		target := c.use(s.Target)
		return func(fr *frame) int { fr.locals[target] = ast.NewTerm(ast.NewSet()); return next }, nil
	case *ir.EqualStmt, *ir.NotEqualStmt:
		return c.compare(s)
	case *ir.IsArrayStmt:
		return c.isType(s.Source, func(v ast.Value) bool { _, ok := v.(*ast.Array); return ok })
	case *ir.IsObjectStmt:
		return c.isType(s.Source, func(v ast.Value) bool { _, ok := v.(ast.Object); return ok })
	case *ir.IsSetStmt:
		return c.isType(s.Source, func(v ast.Value) bool { _, ok := v.(ast.Set); return ok })
	case *ir.IsDefinedStmt:
		src := c.use(s.Source)
		return func(fr *frame) int {
			if fr.locals[src] == nil {
				return 0
			}
			return next
		}, nil
	case *ir.IsUndefinedStmt:
		src := c.use(s.Source)
		return func(fr *frame) int {
			if fr.locals[src] != nil {
				return 0
			}
			return next
		}, nil
	case *ir.ArrayAppendStmt:
		v, err := c.operand(s.Value)
		if err != nil {
			return nil, err
		}
		arr := c.use(s.Array)
		// Appending sets the term's value: every local holding the term sees the element, as
		// every holder of an array does in OPA's Wasm runtime.
		return func(fr *frame) int {
			t := fr.locals[arr]
			t.Value = t.Value.(*ast.Array).Append(v.get(fr))
			return next
		}, nil
	case *ir.ObjectInsertStmt, *ir.ObjectInsertOnceStmt:
		return c.objectInsert(s)
	case *ir.ObjectMergeStmt:
		a, b, target := c.use(s.A), c.use(s.B), c.use(s.Target)
		conflict := c.conflict("cannot merge the base and virtual documents", s)
		return func(fr *frame) int {
			oa, okA := fr.locals[a].Value.(ast.Object)
			ob, okB := fr.locals[b].Value.(ast.Object)
			if !okA || !okB {
				return 0
			}
			merged, ok := oa.Merge(ob)
			if !ok {
				return conflict(fr)
			}
			fr.locals[target] = ast.NewTerm(merged)
			return next
		}, nil
	case *ir.SetAddStmt:
		v, err := c.operand(s.Value)
		if err != nil {
			return nil, err
		}
		set := c.use(s.Set)
		return func(fr *frame) int {
			fr.locals[set].Value.(ast.Set).Add(v.get(fr))
			return next
		}, nil
	}
	return nil, fmt.Errorf("unsupported statement %T", s)
}

// member is OPA's opa_value_get: an object's value at key, an array's element at an integer
// index, a set's element equal to key; nil when there is none.
func member(src, key *ast.Term) *ast.Term {
	switch v := src.Value.(type) {
	case ast.Object:
		return v.Get(key)
	case *ast.Array:
		return v.Get(key)
	case ast.Set:
		if v.Contains(key) {
			return key
		}
	}
	return nil
}

func length(t *ast.Term) int {
	switch v := t.Value.(type) {
	case *ast.Array:
		return v.Len()
	case ast.Object:
		return v.Len()
	case ast.Set:
		return v.Len()
	case ast.String:
		return utf8.RuneCountInString(string(v))
	}
	return 0
}

func (c *compiler) compare(s ir.Stmt) (stmt, error) {
	var a, b ir.Operand
	var want bool
	switch s := s.(type) {
	case *ir.EqualStmt:
		a, b, want = s.A, s.B, true
	case *ir.NotEqualStmt:
		a, b = s.A, s.B
	}
	oa, err := c.operand(a)
	if err != nil {
		return nil, err
	}
	ob, err := c.operand(b)
	if err != nil {
		return nil, err
	}
	return func(fr *frame) int {
		if (ast.Compare(oa.get(fr).Value, ob.get(fr).Value) == 0) != want {
			return 0
		}
		return next
	}, nil
}

func (c *compiler) isType(src ir.Operand, is func(ast.Value) bool) (stmt, error) {
	o, err := c.operand(src)
	if err != nil {
		return nil, err
	}
	if o.konst != nil {
		return func(*frame) int { return 0 }, nil
	}
	return func(fr *frame) int {
		if t := o.get(fr); t == nil || !is(t.Value) {
			return 0
		}
		return next
	}, nil
}

func (c *compiler) objectInsert(s ir.Stmt) (stmt, error) {
	var key, value ir.Operand
	var obj ir.Local
	once := false
	switch s := s.(type) {
	case *ir.ObjectInsertStmt:
		key, value, obj = s.Key, s.Value, s.Object
	case *ir.ObjectInsertOnceStmt:
		key, value, obj, once = s.Key, s.Value, s.Object, true
	}
	k, err := c.operand(key)
	if err != nil {
		return nil, err
	}
	v, err := c.operand(value)
	if err != nil {
		return nil, err
	}
	o := c.use(obj)
	conflict := c.conflict("object keys must be unique", s)
	return func(fr *frame) int {
		target := fr.locals[o].Value.(ast.Object)
		kt, vt := k.get(fr), v.get(fr)
		if once {
			if prev := target.Get(kt); prev != nil {
				if ast.Compare(prev.Value, vt.Value) != 0 {
					return conflict(fr)
				}
				return next
			}
		}
		target.Insert(kt, vt)
		return next
	}, nil
}

func (c *compiler) scan(s *ir.ScanStmt) (stmt, error) {
	src, key, value := c.use(s.Source), c.use(s.Key), c.use(s.Value)
	body, err := c.block(s.Block)
	if err != nil {
		return nil, err
	}
	// each runs the body for one element; false stops the scan with r as its result.
	return func(fr *frame) int {
		r := next
		each := func(k, v *ast.Term) bool {
			if fr.e.cancelled() {
				r = abort
				return true
			}
			fr.locals[key], fr.locals[value] = k, v
			if res := body.run(fr); res != completed && res != exited {
				r = res
				return true
			}
			return false
		}
		coll := fr.locals[src]
		if coll == nil { // an undefined input
			return next
		}
		switch coll := coll.Value.(type) {
		case *ast.Array:
			for i := range coll.Len() {
				if each(ast.InternedTerm(i), coll.Elem(i)) {
					break
				}
			}
		case ast.Object:
			coll.Until(each)
		case ast.Set:
			coll.Until(func(t *ast.Term) bool { return each(t, t) })
		}
		return r
	}, nil
}

func (c *compiler) with(s *ir.WithStmt) (stmt, error) {
	local := c.use(s.Local)
	value, err := c.operand(s.Value)
	if err != nil {
		return nil, err
	}
	path := make([]*ast.Term, len(s.Path))
	for i, idx := range s.Path {
		if idx >= len(c.prog.strings) {
			return nil, fmt.Errorf("with: string constant %d out of range", idx)
		}
		path[i] = c.prog.strings[idx]
	}
	body, err := c.block(s.Block)
	if err != nil {
		return nil, err
	}
	return func(fr *frame) int {
		saved, savedMemo := fr.locals[local], fr.e.memo
		fr.e.memo = make([]*ast.Term, len(savedMemo))
		fr.locals[local] = upsert(saved, path, value.get(fr))
		r := body.run(fr)
		fr.locals[local], fr.e.memo = saved, savedMemo
		switch r {
		case completed:
			return next
		case exited:
			return 0
		}
		return r
	}, nil
}

// upsert returns doc with v at path, copying the objects along the path; doc is unchanged.
func upsert(doc *ast.Term, path []*ast.Term, v *ast.Term) *ast.Term {
	if len(path) == 0 {
		return v
	}
	obj := ast.NewObject()
	if doc != nil {
		if o, ok := doc.Value.(ast.Object); ok {
			obj = o.Copy()
		}
	}
	obj.Insert(path[0], upsert(obj.Get(path[0]), path[1:], v))
	return ast.NewTerm(obj)
}

func (c *compiler) call(s *ir.CallStmt) (stmt, error) {
	args := make([]operand, len(s.Args))
	for i, a := range s.Args {
		var err error
		if args[i], err = c.operand(a); err != nil {
			return nil, err
		}
	}
	result := c.use(s.Result)
	if fn := c.prog.byName[s.Func]; fn != nil {
		if len(fn.params) != len(args) {
			return nil, fmt.Errorf("call of %s with %d arguments, want %d", s.Func, len(args), len(fn.params))
		}
		return func(fr *frame) int {
			v, r := fr.call(fn, args)
			if r != next {
				return r
			}
			if v == nil {
				return 0
			}
			fr.locals[result] = v
			return next
		}, nil
	}
	bi := c.prog.builtins[s.Func]
	if bi == nil {
		return nil, fmt.Errorf("call of unknown function %s", s.Func)
	}
	loc := c.location(s)
	// A relation (walk) has many outputs; the plan scans them as the array of all of them, the
	// value of OPA's Wasm opa_value_transitive_closure.
	relation := bi.Decl != nil && bi.Decl.Relation
	// A void builtin (print) has no output: it holds when it calls back, with nil.
	void := bi.Decl != nil && bi.Decl.Decl.Result() == nil
	return func(fr *frame) int {
		e := fr.e
		vals := e.operands(len(args))
		for i, a := range args {
			vals[i] = a.get(fr)
		}
		var all []*ast.Term
		collect := e.collect
		if relation {
			collect = func(t *ast.Term) error { all = append(all, t); e.called = true; return nil }
		}
		e.out, e.called = nil, false
		bctx := e.bctx
		bctx.Location = loc
		err := bi.Func(bctx, vals, collect)
		out, called := e.out, e.called
		if relation && err == nil {
			out = ast.ArrayTerm(all...)
		}
		if err != nil {
			// As top-down evaluation without strict builtin errors: a builtin's error makes
			// the call undefined; a Halt stops the evaluation.
			var halt topdown.Halt
			if errors.As(err, &halt) {
				return fr.e.fail(halt.Err)
			}
			return 0
		}
		if void && called {
			return next
		}
		if out == nil {
			return 0
		}
		fr.locals[result] = out
		return next
	}, nil
}

func (c *compiler) callDynamic(s *ir.CallDynamicStmt) (stmt, error) {
	path := make([]operand, len(s.Path))
	for i, p := range s.Path {
		var err error
		if path[i], err = c.operand(p); err != nil {
			return nil, err
		}
	}
	args := make([]operand, len(s.Args))
	for i, a := range s.Args {
		args[i] = operand{local: c.use(a)}
	}
	result := c.use(s.Result)
	return func(fr *frame) int {
		parts := make([]string, len(path))
		for i, p := range path {
			str, ok := p.get(fr).Value.(ast.String)
			if !ok {
				return 0
			}
			parts[i] = string(str)
		}
		fn := fr.e.prog.byPath[strings.Join(parts, "/")]
		if fn == nil {
			return 0 // no rule there: the plan reads data instead
		}
		if len(fn.params) != len(args) {
			return 0
		}
		v, r := fr.call(fn, args)
		if r != next {
			return r
		}
		if v == nil {
			return 3 // a rule there, undefined: as OPA's Wasm compiler, leave the lookup's blocks
		}
		fr.locals[result] = v
		return next
	}, nil
}

// call calls a planned function with args read in fr: its value (nil: undefined) and next, or
// abort.
func (fr *frame) call(fn *function, args []operand) (*ast.Term, int) {
	e := fr.e
	if v, ok := e.memoized(fn); ok {
		return v, next
	}
	callee := e.enter(fn)
	for i, a := range args {
		callee.locals[fn.params[i]] = a.get(fr)
	}
	return e.run(fn, callee)
}
