package irvm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/open-policy-agent/opa/v1/ir"
)

// The encoded form of a plan, so that one planned at build time can be embedded and read back
// in about a millisecond: OPA's JSON form takes tens of milliseconds to decode, gob ten.
//
// All integers are varints (encoding/binary; signed ones zigzag). In order:
//
//	version byte (codecVersion)
//	string table: count, each string's length, then their bytes; strings are table indexes
//	counts: of each statement kind (by opcode, from 1), then of operands, locals, ints, blocks,
//	  block slots, statement slots and path strings, so that decoding allocates each kind once
//	the policy, depth first
//
// A slice is written as its length plus one, 0 standing for nil, so that nil and empty survive.
// What is dropped: BuiltinFunc.Decl (irvm takes declarations from its builtins, never from the
// plan) and Location's Text and file name (debugging only: the file is Location.File, an index).
const codecVersion = 1

// maxNesting bounds how deeply blocks nest, so that decoding hostile input cannot exhaust the
// stack; the encoder refuses deeper plans, so whatever it writes decodes.
const maxNesting = 1000

// Statement opcodes; 0 is a nil statement.
const (
	opNil byte = iota
	opReturnLocal
	opCall
	opCallDynamic
	opBlock
	opBreak
	opDot
	opLen
	opScan
	opNot
	opAssignInt
	opAssignVar
	opAssignVarOnce
	opResetLocal
	opMakeNull
	opMakeNumberInt
	opMakeNumberRef
	opMakeArray
	opMakeObject
	opMakeSet
	opEqual
	opNotEqual
	opIsArray
	opIsObject
	opIsSet
	opIsDefined
	opIsUndefined
	opArrayAppend
	opObjectInsert
	opObjectInsertOnce
	opObjectMerge
	opSetAdd
	opWith
	opNop
	opResultSetAdd
	numOps
)

// Operand kinds, in an operand's low two bits; the rest is the value. operandOther is followed
// by what it is (the value bits): a nil Val, or a Local or StringIndex too large (or negative)
// to share a varint with the kind.
const (
	operandLocal = iota
	operandString
	operandBool
	operandOther

	otherNil    = 0
	otherLocal  = 1
	otherString = 2

	operandMax = 1 << 60
)

// Policy flags: which of its parts are present.
const (
	hasStatic = 1 << iota
	hasPlans
	hasFuncs
)

// counts are what the decoder allocates at once: the header holds them.
type counts struct {
	stmts                                                              [numOps]int
	operands, locals, ints, blocks, blockSlots, stmtSlots, pathStrings int
}

func (c *counts) list() []*int {
	l := make([]*int, 0, numOps+6)
	for i := 1; i < int(numOps); i++ {
		l = append(l, &c.stmts[i])
	}
	return append(l, &c.operands, &c.locals, &c.ints, &c.blocks, &c.blockSlots, &c.stmtSlots, &c.pathStrings)
}

// EncodePolicy returns p in the form DecodePolicy reads. It fails on a statement or operand of a
// type it does not know, rather than leave it out.
func EncodePolicy(p *ir.Policy) ([]byte, error) { return encode(p, maxNesting) }

func encode(p *ir.Policy, nesting int) ([]byte, error) {
	if p == nil {
		return nil, errors.New("irvm: encode: nil policy")
	}
	e := &encoder{index: map[string]uint64{}, nesting: nesting}
	if p.Static != nil {
		// The plan's string constants first: their table indexes are then their own.
		for _, s := range p.Static.Strings {
			if s != nil {
				e.intern(s.Value)
			}
		}
	}
	if err := e.policy(p); err != nil {
		return nil, fmt.Errorf("irvm: encode: %w", err)
	}
	body := e.out
	e.out = make([]byte, 0, len(body)+e.tableSize+8*len(e.table)+64)
	e.out = append(e.out, codecVersion)
	e.uint(uint64(len(e.table)))
	for _, s := range e.table {
		e.uint(uint64(len(s)))
	}
	for _, s := range e.table {
		e.out = append(e.out, s...)
	}
	for _, n := range e.n.list() {
		e.uint(uint64(*n))
	}
	return append(e.out, body...), nil
}

type encoder struct {
	out       []byte
	index     map[string]uint64
	table     []string
	tableSize int
	n         counts
	file, row int // the previous statement's, which locations are written relative to
	depth     int
	nesting   int // how deeply blocks may nest
}

func (e *encoder) uint(v uint64) { e.out = binary.AppendUvarint(e.out, v) }
func (e *encoder) int(v int64)   { e.out = binary.AppendVarint(e.out, v) }

// len writes a slice's length, nil apart from empty.
func (e *encoder) len(n int, isNil bool) {
	if isNil {
		e.uint(0)
		return
	}
	e.uint(uint64(n) + 1)
}

func (e *encoder) intern(s string) uint64 {
	i, ok := e.index[s]
	if !ok {
		i = uint64(len(e.table))
		e.index[s] = i
		e.table = append(e.table, s)
		e.tableSize += len(s)
	}
	return i
}

func (e *encoder) str(s string)     { e.uint(e.intern(s)) }
func (e *encoder) local(l ir.Local) { e.uint(uint64(l)) }
func (e *encoder) location(l *ir.Location) {
	e.int(int64(l.File - e.file))
	e.int(int64(l.Row - e.row))
	e.int(int64(l.Col))
	e.int(int64(l.EndRow - l.Row))
	e.int(int64(l.EndCol - l.Col))
	e.file, e.row = l.File, l.Row
}

func (e *encoder) locals(ls []ir.Local) {
	e.len(len(ls), ls == nil)
	e.n.locals += len(ls)
	for _, l := range ls {
		e.local(l)
	}
}

func (e *encoder) stringConsts(ss []*ir.StringConst) {
	e.len(len(ss), ss == nil)
	for _, s := range ss {
		if s == nil {
			e.uint(0)
		} else {
			e.uint(e.intern(s.Value) + 1)
		}
	}
}

func (e *encoder) policy(p *ir.Policy) error {
	var flags uint64
	if p.Static != nil {
		flags |= hasStatic
	}
	if p.Plans != nil {
		flags |= hasPlans
	}
	if p.Funcs != nil {
		flags |= hasFuncs
	}
	e.uint(flags)
	if s := p.Static; s != nil {
		e.stringConsts(s.Strings)
		e.len(len(s.BuiltinFuncs), s.BuiltinFuncs == nil)
		for _, b := range s.BuiltinFuncs {
			if b == nil {
				e.uint(0)
			} else {
				e.uint(e.intern(b.Name) + 1)
			}
		}
		e.stringConsts(s.Files)
	}
	if p.Plans != nil {
		e.len(len(p.Plans.Plans), p.Plans.Plans == nil)
		for _, pl := range p.Plans.Plans {
			if pl == nil {
				e.uint(0)
				continue
			}
			e.uint(e.intern(pl.Name) + 1)
			if err := e.blocks(pl.Blocks); err != nil {
				return fmt.Errorf("plan %s: %w", pl.Name, err)
			}
		}
	}
	if p.Funcs != nil {
		e.len(len(p.Funcs.Funcs), p.Funcs.Funcs == nil)
		for _, f := range p.Funcs.Funcs {
			if f == nil {
				e.uint(0)
				continue
			}
			e.uint(e.intern(f.Name) + 1)
			e.locals(f.Params)
			e.local(f.Return)
			if err := e.blocks(f.Blocks); err != nil {
				return fmt.Errorf("function %s: %w", f.Name, err)
			}
			e.len(len(f.Path), f.Path == nil)
			e.n.pathStrings += len(f.Path)
			for _, s := range f.Path {
				e.str(s)
			}
		}
	}
	e.len(len(p.UnplannedRules), p.UnplannedRules == nil)
	for _, r := range p.UnplannedRules {
		switch {
		case r == nil:
			e.uint(0)
			continue
		case r.Location == nil:
			e.uint(1)
		default:
			e.uint(2)
			e.location(r.Location)
		}
		e.str(r.Path)
	}
	return nil
}

func (e *encoder) blocks(bs []*ir.Block) error {
	e.len(len(bs), bs == nil)
	e.n.blockSlots += len(bs)
	for _, b := range bs {
		if err := e.block(b); err != nil {
			return err
		}
	}
	return nil
}

// block writes 0 for a nil block, 1 for one with nil statements, else its length plus two.
func (e *encoder) block(b *ir.Block) error {
	if b == nil {
		e.uint(0)
		return nil
	}
	if e.depth++; e.depth > e.nesting {
		return fmt.Errorf("blocks nest more than %d deep", e.nesting)
	}
	defer func() { e.depth-- }()
	if b.Stmts == nil {
		e.uint(1)
	} else {
		e.uint(uint64(len(b.Stmts)) + 2)
	}
	e.n.blocks++
	e.n.stmtSlots += len(b.Stmts)
	for _, s := range b.Stmts {
		if err := e.stmt(s); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) operand(o ir.Operand) error {
	switch v := o.Value.(type) {
	case nil:
		e.uint(otherNil<<2 | operandOther)
	case ir.Local:
		if v >= 0 && v < operandMax {
			e.uint(uint64(v) << 2) // operandLocal is tag 0
		} else {
			e.uint(otherLocal<<2 | operandOther)
			e.uint(uint64(v))
		}
	case ir.StringIndex:
		if v >= 0 && v < operandMax {
			e.uint(uint64(v)<<2 | operandString)
		} else {
			e.uint(otherString<<2 | operandOther)
			e.uint(uint64(v))
		}
	case ir.Bool:
		b := uint64(0)
		if v {
			b = 1
		}
		e.uint(b<<2 | operandBool)
	default:
		return fmt.Errorf("unknown operand type %T", o.Value)
	}
	return nil
}

func (e *encoder) operands(os []ir.Operand) error {
	e.len(len(os), os == nil)
	e.n.operands += len(os)
	for _, o := range os {
		if err := e.operand(o); err != nil {
			return err
		}
	}
	return nil
}

// head writes a statement's opcode and location.
func (e *encoder) head(op byte, s ir.Stmt) {
	e.n.stmts[op]++
	e.out = append(e.out, op)
	e.location(s.GetLocation())
}

func (e *encoder) stmt(s ir.Stmt) error {
	if s == nil {
		e.out = append(e.out, opNil)
		return nil
	}
	if v := reflect.ValueOf(s); v.Kind() == reflect.Pointer && v.IsNil() {
		return fmt.Errorf("nil %T statement", s)
	}
	switch s := s.(type) {
	case *ir.ReturnLocalStmt:
		e.head(opReturnLocal, s)
		e.local(s.Source)
	case *ir.CallStmt:
		e.head(opCall, s)
		e.str(s.Func)
		e.local(s.Result)
		return e.operands(s.Args)
	case *ir.CallDynamicStmt:
		e.head(opCallDynamic, s)
		e.locals(s.Args)
		e.local(s.Result)
		return e.operands(s.Path)
	case *ir.BlockStmt:
		e.head(opBlock, s)
		return e.blocks(s.Blocks)
	case *ir.BreakStmt:
		e.head(opBreak, s)
		e.uint(uint64(s.Index))
	case *ir.DotStmt:
		e.head(opDot, s)
		e.local(s.Target)
		if err := e.operand(s.Source); err != nil {
			return err
		}
		return e.operand(s.Key)
	case *ir.LenStmt:
		e.head(opLen, s)
		e.local(s.Target)
		return e.operand(s.Source)
	case *ir.ScanStmt:
		e.head(opScan, s)
		e.local(s.Source)
		e.local(s.Key)
		e.local(s.Value)
		return e.block(s.Block)
	case *ir.NotStmt:
		e.head(opNot, s)
		return e.block(s.Block)
	case *ir.AssignIntStmt:
		e.head(opAssignInt, s)
		e.int(s.Value)
		e.local(s.Target)
	case *ir.AssignVarStmt:
		e.head(opAssignVar, s)
		e.local(s.Target)
		return e.operand(s.Source)
	case *ir.AssignVarOnceStmt:
		e.head(opAssignVarOnce, s)
		e.local(s.Target)
		return e.operand(s.Source)
	case *ir.ResetLocalStmt:
		e.head(opResetLocal, s)
		e.local(s.Target)
	case *ir.MakeNullStmt:
		e.head(opMakeNull, s)
		e.local(s.Target)
	case *ir.MakeNumberIntStmt:
		e.head(opMakeNumberInt, s)
		e.int(s.Value)
		e.local(s.Target)
	case *ir.MakeNumberRefStmt:
		e.head(opMakeNumberRef, s)
		e.uint(uint64(s.Index))
		e.local(s.Target)
	case *ir.MakeArrayStmt:
		e.head(opMakeArray, s)
		e.int(int64(s.Capacity))
		e.local(s.Target)
	case *ir.MakeObjectStmt:
		e.head(opMakeObject, s)
		e.local(s.Target)
	case *ir.MakeSetStmt:
		e.head(opMakeSet, s)
		e.local(s.Target)
	case *ir.EqualStmt:
		e.head(opEqual, s)
		if err := e.operand(s.A); err != nil {
			return err
		}
		return e.operand(s.B)
	case *ir.NotEqualStmt:
		e.head(opNotEqual, s)
		if err := e.operand(s.A); err != nil {
			return err
		}
		return e.operand(s.B)
	case *ir.IsArrayStmt:
		e.head(opIsArray, s)
		return e.operand(s.Source)
	case *ir.IsObjectStmt:
		e.head(opIsObject, s)
		return e.operand(s.Source)
	case *ir.IsSetStmt:
		e.head(opIsSet, s)
		return e.operand(s.Source)
	case *ir.IsDefinedStmt:
		e.head(opIsDefined, s)
		e.local(s.Source)
	case *ir.IsUndefinedStmt:
		e.head(opIsUndefined, s)
		e.local(s.Source)
	case *ir.ArrayAppendStmt:
		e.head(opArrayAppend, s)
		e.local(s.Array)
		return e.operand(s.Value)
	case *ir.ObjectInsertStmt:
		e.head(opObjectInsert, s)
		e.local(s.Object)
		if err := e.operand(s.Key); err != nil {
			return err
		}
		return e.operand(s.Value)
	case *ir.ObjectInsertOnceStmt:
		e.head(opObjectInsertOnce, s)
		e.local(s.Object)
		if err := e.operand(s.Key); err != nil {
			return err
		}
		return e.operand(s.Value)
	case *ir.ObjectMergeStmt:
		e.head(opObjectMerge, s)
		e.local(s.A)
		e.local(s.B)
		e.local(s.Target)
	case *ir.SetAddStmt:
		e.head(opSetAdd, s)
		e.local(s.Set)
		return e.operand(s.Value)
	case *ir.WithStmt:
		e.head(opWith, s)
		e.local(s.Local)
		e.len(len(s.Path), s.Path == nil)
		e.n.ints += len(s.Path)
		for _, i := range s.Path {
			e.uint(uint64(i))
		}
		if err := e.operand(s.Value); err != nil {
			return err
		}
		return e.block(s.Block)
	case *ir.NopStmt:
		e.head(opNop, s)
	case *ir.ResultSetAddStmt:
		e.head(opResultSetAdd, s)
		e.local(s.Value)
	default:
		return fmt.Errorf("unknown statement type %T", s)
	}
	return nil
}

// DecodePolicy reads a policy EncodePolicy wrote. Malformed input, or input of another format
// version, is an error. The policy does not refer to b. Its statements, blocks and slices share
// a few large allocations: each slice's capacity is its length, so appending to one copies it.
func DecodePolicy(b []byte) (p *ir.Policy, err error) {
	if len(b) == 0 {
		return nil, errors.New("irvm: decode: no input")
	}
	if b[0] != codecVersion {
		return nil, fmt.Errorf("irvm: decode: format version %d, want %d", b[0], codecVersion)
	}
	d := &decoder{b: b, off: 1}
	d.header()
	if d.err == nil {
		p = d.policy()
	}
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d bytes left over", len(d.b)-d.off)
	}
	if d.err == nil && !d.allUsed() {
		d.fail("the counts in the header are more than the policy holds")
	}
	if d.err != nil {
		return nil, fmt.Errorf("irvm: decode: %w (at byte %d)", d.err, d.errAt)
	}
	return p, nil
}

type decoder struct {
	b     []byte
	off   int
	err   error
	errAt int // where err was met
	table []string
	depth int
	file  int
	row   int

	// Val interfaces of small locals and string indexes, shared: converting each anew would
	// allocate.
	localVals, stringVals []ir.Val

	operands    []ir.Operand
	locals      []ir.Local
	ints        []int
	blocks      []ir.Block
	blockSlots  []*ir.Block
	stmtSlots   []ir.Stmt
	pathStrings []string

	returnLocal      []ir.ReturnLocalStmt
	call             []ir.CallStmt
	callDynamic      []ir.CallDynamicStmt
	block            []ir.BlockStmt
	breakStmt        []ir.BreakStmt
	dot              []ir.DotStmt
	length           []ir.LenStmt
	scan             []ir.ScanStmt
	not              []ir.NotStmt
	assignInt        []ir.AssignIntStmt
	assignVar        []ir.AssignVarStmt
	assignVarOnce    []ir.AssignVarOnceStmt
	resetLocal       []ir.ResetLocalStmt
	makeNull         []ir.MakeNullStmt
	makeNumberInt    []ir.MakeNumberIntStmt
	makeNumberRef    []ir.MakeNumberRefStmt
	makeArray        []ir.MakeArrayStmt
	makeObject       []ir.MakeObjectStmt
	makeSet          []ir.MakeSetStmt
	equal            []ir.EqualStmt
	notEqual         []ir.NotEqualStmt
	isArray          []ir.IsArrayStmt
	isObject         []ir.IsObjectStmt
	isSet            []ir.IsSetStmt
	isDefined        []ir.IsDefinedStmt
	isUndefined      []ir.IsUndefinedStmt
	arrayAppend      []ir.ArrayAppendStmt
	objectInsert     []ir.ObjectInsertStmt
	objectInsertOnce []ir.ObjectInsertOnceStmt
	objectMerge      []ir.ObjectMergeStmt
	setAdd           []ir.SetAddStmt
	with             []ir.WithStmt
	nop              []ir.NopStmt
	resultSetAdd     []ir.ResultSetAddStmt
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err, d.errAt = fmt.Errorf(format, args...), d.off
	}
	d.off = len(d.b) // every read from here on fails, and every count is 0
}

func (d *decoder) uint() uint64 {
	if d.off < len(d.b) {
		if c := d.b[d.off]; c < 0x80 {
			d.off++
			return uint64(c)
		}
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("truncated or overlong varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) int() int64 {
	u := d.uint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *decoder) byte() byte {
	if d.off >= len(d.b) {
		d.fail("truncated")
		return 0
	}
	c := d.b[d.off]
	d.off++
	return c
}

// count reads the length of a list of at least one byte an element: no more than are left.
func (d *decoder) count() int {
	v := d.uint()
	if v > uint64(len(d.b)-d.off) {
		d.fail("length %d beyond the input", v)
		return 0
	}
	return int(v)
}

// len reads what encoder.len wrote.
func (d *decoder) len() (n int, isNil bool) {
	v := d.uint()
	if v == 0 {
		return 0, true
	}
	if v-1 > uint64(len(d.b)-d.off) {
		d.fail("length %d beyond the input", v-1)
		return 0, true
	}
	return int(v - 1), false
}

// ref reads a table index plus one, 0 standing for nil.
func (d *decoder) ref() (s string, ok bool) {
	i := d.uint()
	if i == 0 {
		return "", false
	}
	if i-1 >= uint64(len(d.table)) {
		d.fail("string %d out of range", i-1)
		return "", false
	}
	return d.table[i-1], true
}

func (d *decoder) str() string {
	i := d.uint()
	if i >= uint64(len(d.table)) {
		d.fail("string %d out of range", i)
		return ""
	}
	return d.table[i]
}

func (d *decoder) local() ir.Local { return ir.Local(d.uint()) }

func (d *decoder) location() ir.Location {
	file := d.file + int(d.int())
	row := d.row + int(d.int())
	col := int(d.int())
	endRow := row + int(d.int())
	endCol := col + int(d.int())
	d.file, d.row = file, row
	return ir.Location{File: file, Row: row, Col: col, EndRow: endRow, EndCol: endCol}
}

func (d *decoder) header() {
	n := d.count()
	lens := make([]int, n)
	total := 0
	for i := range lens {
		lens[i] = d.count()
		total += lens[i]
		if total > len(d.b)-d.off {
			d.fail("strings beyond the input")
			return
		}
	}
	if d.err != nil {
		return
	}
	all := string(d.b[d.off : d.off+total])
	d.off += total
	d.table = make([]string, n)
	for i, l := range lens {
		d.table[i], all = all[:l], all[l:]
	}

	var c counts
	stmts := 0
	for _, p := range c.list() {
		*p = d.count()
	}
	for _, n := range c.stmts {
		stmts += n
	}
	// Each statement takes six bytes at least, each slot and every other element one: no
	// more can be allocated than the input holds.
	if rest := len(d.b) - d.off; stmts > rest/6 || c.stmtSlots > rest || d.err != nil {
		d.fail("more statements counted than the input holds")
		return
	}
	d.operands = make([]ir.Operand, c.operands)
	d.locals = make([]ir.Local, c.locals)
	d.ints = make([]int, c.ints)
	d.blocks = make([]ir.Block, c.blocks)
	d.blockSlots = make([]*ir.Block, c.blockSlots)
	d.stmtSlots = make([]ir.Stmt, c.stmtSlots)
	d.pathStrings = make([]string, c.pathStrings)
	s := &c.stmts
	d.returnLocal = make([]ir.ReturnLocalStmt, s[opReturnLocal])
	d.call = make([]ir.CallStmt, s[opCall])
	d.callDynamic = make([]ir.CallDynamicStmt, s[opCallDynamic])
	d.block = make([]ir.BlockStmt, s[opBlock])
	d.breakStmt = make([]ir.BreakStmt, s[opBreak])
	d.dot = make([]ir.DotStmt, s[opDot])
	d.length = make([]ir.LenStmt, s[opLen])
	d.scan = make([]ir.ScanStmt, s[opScan])
	d.not = make([]ir.NotStmt, s[opNot])
	d.assignInt = make([]ir.AssignIntStmt, s[opAssignInt])
	d.assignVar = make([]ir.AssignVarStmt, s[opAssignVar])
	d.assignVarOnce = make([]ir.AssignVarOnceStmt, s[opAssignVarOnce])
	d.resetLocal = make([]ir.ResetLocalStmt, s[opResetLocal])
	d.makeNull = make([]ir.MakeNullStmt, s[opMakeNull])
	d.makeNumberInt = make([]ir.MakeNumberIntStmt, s[opMakeNumberInt])
	d.makeNumberRef = make([]ir.MakeNumberRefStmt, s[opMakeNumberRef])
	d.makeArray = make([]ir.MakeArrayStmt, s[opMakeArray])
	d.makeObject = make([]ir.MakeObjectStmt, s[opMakeObject])
	d.makeSet = make([]ir.MakeSetStmt, s[opMakeSet])
	d.equal = make([]ir.EqualStmt, s[opEqual])
	d.notEqual = make([]ir.NotEqualStmt, s[opNotEqual])
	d.isArray = make([]ir.IsArrayStmt, s[opIsArray])
	d.isObject = make([]ir.IsObjectStmt, s[opIsObject])
	d.isSet = make([]ir.IsSetStmt, s[opIsSet])
	d.isDefined = make([]ir.IsDefinedStmt, s[opIsDefined])
	d.isUndefined = make([]ir.IsUndefinedStmt, s[opIsUndefined])
	d.arrayAppend = make([]ir.ArrayAppendStmt, s[opArrayAppend])
	d.objectInsert = make([]ir.ObjectInsertStmt, s[opObjectInsert])
	d.objectInsertOnce = make([]ir.ObjectInsertOnceStmt, s[opObjectInsertOnce])
	d.objectMerge = make([]ir.ObjectMergeStmt, s[opObjectMerge])
	d.setAdd = make([]ir.SetAddStmt, s[opSetAdd])
	d.with = make([]ir.WithStmt, s[opWith])
	d.nop = make([]ir.NopStmt, s[opNop])
	d.resultSetAdd = make([]ir.ResultSetAddStmt, s[opResultSetAdd])
}

// allUsed reports whether the policy used up every allocation the header counted.
func (d *decoder) allUsed() bool {
	return len(d.operands)+len(d.locals)+len(d.ints)+len(d.blocks)+len(d.blockSlots)+len(d.stmtSlots)+len(d.pathStrings)+
		len(d.returnLocal)+len(d.call)+len(d.callDynamic)+len(d.block)+len(d.breakStmt)+len(d.dot)+len(d.length)+
		len(d.scan)+len(d.not)+len(d.assignInt)+len(d.assignVar)+len(d.assignVarOnce)+len(d.resetLocal)+
		len(d.makeNull)+len(d.makeNumberInt)+len(d.makeNumberRef)+len(d.makeArray)+len(d.makeObject)+
		len(d.makeSet)+len(d.equal)+len(d.notEqual)+len(d.isArray)+len(d.isObject)+len(d.isSet)+
		len(d.isDefined)+len(d.isUndefined)+len(d.arrayAppend)+len(d.objectInsert)+len(d.objectInsertOnce)+
		len(d.objectMerge)+len(d.setAdd)+len(d.with)+len(d.nop)+len(d.resultSetAdd) == 0
}

// take returns the next element of a statement allocation; on a count the header got wrong, a
// fresh one, and the decoding fails.
func take[T any](d *decoder, s *[]T) *T {
	if len(*s) == 0 {
		d.fail("more statements of a kind than counted")
		return new(T)
	}
	p := &(*s)[0]
	*s = (*s)[1:]
	return p
}

// cut returns the next n elements of an allocation, capacity n. isNil gives nil.
func cut[T any](d *decoder, s *[]T, n int, isNil bool) []T {
	switch {
	case isNil:
		return nil
	case n == 0:
		return []T{}
	case n > len(*s):
		d.fail("more elements than counted")
		return nil
	}
	r := (*s)[:n:n]
	*s = (*s)[n:]
	return r
}

func (d *decoder) stringConsts() []*ir.StringConst {
	n, isNil := d.len()
	if isNil {
		return nil
	}
	out := make([]*ir.StringConst, n)
	all := make([]ir.StringConst, n)
	for i := range out {
		if s, ok := d.ref(); ok {
			all[i].Value = s
			out[i] = &all[i]
		}
	}
	return out
}

func (d *decoder) policy() *ir.Policy {
	p := &ir.Policy{}
	d.localVals = make([]ir.Val, 256)
	flags := d.uint()
	if flags&^(hasStatic|hasPlans|hasFuncs) != 0 {
		d.fail("unknown policy flags %#x", flags)
		return nil
	}
	if flags&hasStatic != 0 {
		s := &ir.Static{Strings: d.stringConsts()}
		if n, isNil := d.len(); !isNil {
			s.BuiltinFuncs = make([]*ir.BuiltinFunc, n)
			all := make([]ir.BuiltinFunc, n)
			for i := range s.BuiltinFuncs {
				if name, ok := d.ref(); ok {
					all[i].Name = name
					s.BuiltinFuncs[i] = &all[i]
				}
			}
		}
		s.Files = d.stringConsts()
		p.Static = s
		d.stringVals = make([]ir.Val, len(s.Strings))
	}
	if flags&hasPlans != 0 {
		p.Plans = &ir.Plans{}
		if n, isNil := d.len(); !isNil {
			p.Plans.Plans = make([]*ir.Plan, n)
			for i := range p.Plans.Plans {
				name, ok := d.ref()
				if !ok {
					continue
				}
				p.Plans.Plans[i] = &ir.Plan{Name: name, Blocks: d.blockList()}
				if d.err != nil {
					return nil
				}
			}
		}
	}
	if flags&hasFuncs != 0 {
		p.Funcs = &ir.Funcs{}
		if n, isNil := d.len(); !isNil {
			p.Funcs.Funcs = make([]*ir.Func, n)
			all := make([]ir.Func, n)
			for i := range p.Funcs.Funcs {
				name, ok := d.ref()
				if !ok {
					continue
				}
				f := &all[i]
				f.Name = name
				f.Params = d.localList()
				f.Return = d.local()
				f.Blocks = d.blockList()
				n, isNil := d.len()
				f.Path = cut(d, &d.pathStrings, n, isNil)
				for j := range f.Path {
					f.Path[j] = d.str()
				}
				if d.err != nil {
					return nil
				}
				p.Funcs.Funcs[i] = f
			}
		}
	}
	if n, isNil := d.len(); !isNil {
		p.UnplannedRules = make([]*ir.UnplannedRule, n)
		for i := range p.UnplannedRules {
			var r ir.UnplannedRule
			switch d.uint() {
			case 0:
				continue
			case 1:
			case 2:
				loc := d.location()
				r.Location = &loc
			default:
				d.fail("bad unplanned rule")
				return nil
			}
			r.Path = d.str()
			p.UnplannedRules[i] = &r
		}
	}
	return p
}

func (d *decoder) localList() []ir.Local {
	n, isNil := d.len()
	ls := cut(d, &d.locals, n, isNil)
	for i := range ls {
		ls[i] = d.local()
	}
	return ls
}

func (d *decoder) blockList() []*ir.Block {
	n, isNil := d.len()
	bs := cut(d, &d.blockSlots, n, isNil)
	for i := range bs {
		if bs[i] = d.readBlock(); d.err != nil {
			return nil
		}
	}
	return bs
}

func (d *decoder) readBlock() *ir.Block {
	v := d.uint()
	if v == 0 {
		return nil
	}
	if d.depth++; d.depth > maxNesting {
		d.fail("blocks nest more than %d deep", maxNesting)
		return nil
	}
	defer func() { d.depth-- }()
	b := take(d, &d.blocks)
	if v == 1 {
		return b
	}
	n := v - 2
	if n > uint64(len(d.b)-d.off) {
		d.fail("block of %d statements beyond the input", n)
		return nil
	}
	b.Stmts = cut(d, &d.stmtSlots, int(n), false)
	for i := range b.Stmts {
		if b.Stmts[i] = d.stmt(); d.err != nil {
			return nil
		}
	}
	return b
}

func (d *decoder) operand() ir.Operand {
	v := d.uint()
	x := v >> 2
	switch v & 3 {
	case operandLocal:
		if x < uint64(len(d.localVals)) {
			if d.localVals[x] == nil {
				d.localVals[x] = ir.Local(x)
			}
			return ir.Operand{Value: d.localVals[x]}
		}
		return ir.Operand{Value: ir.Local(x)}
	case operandString:
		if x < uint64(len(d.stringVals)) {
			if d.stringVals[x] == nil {
				d.stringVals[x] = ir.StringIndex(x)
			}
			return ir.Operand{Value: d.stringVals[x]}
		}
		return ir.Operand{Value: ir.StringIndex(x)}
	case operandBool:
		if x > 1 {
			d.fail("bad boolean operand")
		}
		return ir.Operand{Value: ir.Bool(x == 1)}
	}
	switch x {
	case otherNil:
		return ir.Operand{}
	case otherLocal:
		return ir.Operand{Value: ir.Local(d.uint())}
	case otherString:
		return ir.Operand{Value: ir.StringIndex(d.uint())}
	}
	d.fail("bad operand")
	return ir.Operand{}
}

func (d *decoder) operandList() []ir.Operand {
	n, isNil := d.len()
	os := cut(d, &d.operands, n, isNil)
	for i := range os {
		os[i] = d.operand()
	}
	return os
}

func (d *decoder) stmt() ir.Stmt {
	op := d.byte()
	if op == opNil {
		return nil
	}
	loc := d.location()
	var s ir.Stmt
	switch op {
	case opReturnLocal:
		x := take(d, &d.returnLocal)
		x.Source = d.local()
		s = x
	case opCall:
		x := take(d, &d.call)
		x.Func = d.str()
		x.Result = d.local()
		x.Args = d.operandList()
		s = x
	case opCallDynamic:
		x := take(d, &d.callDynamic)
		x.Args = d.localList()
		x.Result = d.local()
		x.Path = d.operandList()
		s = x
	case opBlock:
		x := take(d, &d.block)
		x.Blocks = d.blockList()
		s = x
	case opBreak:
		x := take(d, &d.breakStmt)
		i := d.uint()
		if i > math.MaxUint32 {
			d.fail("break index %d out of range", i)
		}
		x.Index = uint32(i)
		s = x
	case opDot:
		x := take(d, &d.dot)
		x.Target = d.local()
		x.Source = d.operand()
		x.Key = d.operand()
		s = x
	case opLen:
		x := take(d, &d.length)
		x.Target = d.local()
		x.Source = d.operand()
		s = x
	case opScan:
		x := take(d, &d.scan)
		x.Source = d.local()
		x.Key = d.local()
		x.Value = d.local()
		x.Block = d.readBlock()
		s = x
	case opNot:
		x := take(d, &d.not)
		x.Block = d.readBlock()
		s = x
	case opAssignInt:
		x := take(d, &d.assignInt)
		x.Value = d.int()
		x.Target = d.local()
		s = x
	case opAssignVar:
		x := take(d, &d.assignVar)
		x.Target = d.local()
		x.Source = d.operand()
		s = x
	case opAssignVarOnce:
		x := take(d, &d.assignVarOnce)
		x.Target = d.local()
		x.Source = d.operand()
		s = x
	case opResetLocal:
		x := take(d, &d.resetLocal)
		x.Target = d.local()
		s = x
	case opMakeNull:
		x := take(d, &d.makeNull)
		x.Target = d.local()
		s = x
	case opMakeNumberInt:
		x := take(d, &d.makeNumberInt)
		x.Value = d.int()
		x.Target = d.local()
		s = x
	case opMakeNumberRef:
		x := take(d, &d.makeNumberRef)
		x.Index = int(d.uint())
		x.Target = d.local()
		s = x
	case opMakeArray:
		x := take(d, &d.makeArray)
		c := d.int()
		if c < math.MinInt32 || c > math.MaxInt32 {
			d.fail("array capacity %d out of range", c)
		}
		x.Capacity = int32(c)
		x.Target = d.local()
		s = x
	case opMakeObject:
		x := take(d, &d.makeObject)
		x.Target = d.local()
		s = x
	case opMakeSet:
		x := take(d, &d.makeSet)
		x.Target = d.local()
		s = x
	case opEqual:
		x := take(d, &d.equal)
		x.A = d.operand()
		x.B = d.operand()
		s = x
	case opNotEqual:
		x := take(d, &d.notEqual)
		x.A = d.operand()
		x.B = d.operand()
		s = x
	case opIsArray:
		x := take(d, &d.isArray)
		x.Source = d.operand()
		s = x
	case opIsObject:
		x := take(d, &d.isObject)
		x.Source = d.operand()
		s = x
	case opIsSet:
		x := take(d, &d.isSet)
		x.Source = d.operand()
		s = x
	case opIsDefined:
		x := take(d, &d.isDefined)
		x.Source = d.local()
		s = x
	case opIsUndefined:
		x := take(d, &d.isUndefined)
		x.Source = d.local()
		s = x
	case opArrayAppend:
		x := take(d, &d.arrayAppend)
		x.Array = d.local()
		x.Value = d.operand()
		s = x
	case opObjectInsert:
		x := take(d, &d.objectInsert)
		x.Object = d.local()
		x.Key = d.operand()
		x.Value = d.operand()
		s = x
	case opObjectInsertOnce:
		x := take(d, &d.objectInsertOnce)
		x.Object = d.local()
		x.Key = d.operand()
		x.Value = d.operand()
		s = x
	case opObjectMerge:
		x := take(d, &d.objectMerge)
		x.A = d.local()
		x.B = d.local()
		x.Target = d.local()
		s = x
	case opSetAdd:
		x := take(d, &d.setAdd)
		x.Set = d.local()
		x.Value = d.operand()
		s = x
	case opWith:
		x := take(d, &d.with)
		x.Local = d.local()
		n, isNil := d.len()
		x.Path = cut(d, &d.ints, n, isNil)
		for i := range x.Path {
			x.Path[i] = int(d.uint())
		}
		x.Value = d.operand()
		x.Block = d.readBlock()
		s = x
	case opNop:
		s = take(d, &d.nop)
	case opResultSetAdd:
		x := take(d, &d.resultSetAdd)
		x.Value = d.local()
		s = x
	default:
		d.fail("unknown statement opcode %d", op)
		return nil
	}
	*s.GetLocation() = loc
	return s
}
