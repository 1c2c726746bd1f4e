package policies

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/jobguard/jobguard/policies/irvm"
	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/workload"
)

// Bundled holds the built-in rules (rules/) and their helper library (lib/), tests included.
//
//go:embed lib rules
var Bundled embed.FS

// IgnoreAnnotation on an object lists rule ids (comma-separated) not to report for it.
const IgnoreAnnotation = "jobguard.io/ignore"

// Engine evaluates the rules against Kubernetes objects. It is safe for concurrent use.
type Engine struct {
	rules   []*Rule // sorted by id
	byID    map[string]*Rule
	queries map[GroupKind]query
	opts    options
	// program is the enabled rules as OPA plans them, and denies each rule's deny set in it;
	// nil when OPA cannot plan them: then every rule is evaluated top-down, alone.
	program *irvm.Program
	denies  map[string]*irvm.Function // by rule id
	// modules, store, topDown* and single: each rule's own top-down query, prepared the first
	// time an evaluation fails, to tell which rule failed and why in OPA's words (evaluateEach).
	modules         map[string]*ast.Module
	store           storage.Store
	topDownOnce     sync.Once
	topDownCompiler *ast.Compiler
	topDownErr      error
	single          sync.Map // rule id -> *singleQuery
}

type options struct {
	kubeVersion KubeVersion
	// kubeVersionSet is true when the version was given, not DefaultKubeVersion: only then does
	// the kubectl mapping take it as the cluster's, unless clusterVersion says otherwise.
	kubeVersionSet bool
	clusterVersion *KubeVersion
	namespace      string
	params         map[string]map[string]any
	disabled       map[string]bool
	severities     map[string]Severity
	sources        []source
	// allowedBuiltins: WithAllowedBuiltins (capabilities.go).
	allowedBuiltins map[string]bool
}

// source is a directory of Rego files and the name its files go by in errors.
type source struct {
	name string // "" for the bundled rules; policies#N when the caller gave none
	fsys fs.FS
}

// Option configures an Engine.
type Option func(*options)

// WithKubeVersion sets the Kubernetes version that version-dependent rules (deprecated-api) target,
// and that the kubectl mapping takes as the cluster's (the requests of kubectl rollout status and
// wait depend on it). Default: DefaultKubeVersion for the rules, unknown for the mapping.
func WithKubeVersion(v KubeVersion) Option {
	return func(o *options) { o.kubeVersion, o.kubeVersionSet = v, true }
}

// WithClusterVersion sets the version of the cluster the Jobs run in, which the kubectl mapping
// assumes (the webhook: the API server's, from discovery); it overrides WithKubeVersion there and
// only there.
func WithClusterVersion(v KubeVersion) Option { return func(o *options) { o.clusterVersion = &v } }

// WithNamespace sets the namespace assumed for objects that name none, as kubectl's -n does.
// Default: workload.DefaultNamespace.
func WithNamespace(namespace string) Option { return func(o *options) { o.namespace = namespace } }

// WithParams overrides parameters of one rule; keys must be among the rule's declared params.
func WithParams(ruleID string, params map[string]any) Option {
	return func(o *options) {
		if o.params[ruleID] == nil {
			o.params[ruleID] = map[string]any{}
		}
		maps.Copy(o.params[ruleID], params)
	}
}

// WithDisabled turns rules off: they are not evaluated at all.
func WithDisabled(ruleIDs ...string) Option {
	return func(o *options) {
		for _, id := range ruleIDs {
			o.disabled[id] = true
		}
	}
}

// WithSeverity overrides the severity of a rule's findings.
func WithSeverity(ruleID string, sev Severity) Option {
	return func(o *options) { o.severities[ruleID] = sev }
}

// WithPolicies adds Rego rules from fsys (every .rego file, recursively; _test.rego files are skipped)
// to the bundled ones. They follow the same metadata contract. Errors name its files
// policies#N/<path>; WithPolicyDir names them by their path.
func WithPolicies(fsys fs.FS) Option {
	return func(o *options) {
		o.sources = append(o.sources, source{name: fmt.Sprintf("policies#%d", len(o.sources)+1), fsys: fsys})
	}
}

// WithPolicyDir adds the Rego rules of a directory, as WithPolicies does; errors name its files by
// their path under dir.
func WithPolicyDir(dir string) Option {
	return func(o *options) {
		o.sources = append(o.sources, source{name: filepath.Clean(dir), fsys: os.DirFS(dir)})
	}
}

// New loads, compiles and plans the rules once; the bundled rules alone come planned
// (prebuilt.go).
func New(opts ...Option) (*Engine, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.checkAllowedBuiltins(); err != nil {
		return nil, err
	}
	e := &Engine{byID: map[string]*Rule{}, queries: map[GroupKind]query{}, opts: o}
	var pre *prebuilt
	if len(o.sources) == 0 {
		pre = bundledPrebuilt()
	}
	var modules map[string]*ast.Module
	if pre != nil {
		e.rules = pre.rulesFromPrebuilt()
		for _, r := range e.rules {
			e.byID[r.ID] = r
		}
	} else {
		var err error
		if modules, err = e.load(); err != nil {
			return nil, err
		}
	}
	if err := e.checkOptions(); err != nil {
		return nil, err
	}
	e.store = inmem.NewFromObjectWithOpts(e.data(), inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	for gk, rules := range e.rulesByKind() {
		e.queries[gk] = newQuery(rules)
	}
	if pre != nil {
		if err := e.programOf(pre.policy, pre.builtins); err != nil {
			return nil, fmt.Errorf("the prebuilt plan of the bundled rules: %w", err)
		}
		return e, nil
	}
	compiler, err := e.compile(modules)
	if err != nil {
		return nil, err
	}
	policy, builtins, err := irvm.Plan(context.Background(), e.queryOptions(compiler, e.EnabledRules())...)
	if err == nil {
		err = e.programOf(policy, builtins)
	}
	if err != nil && len(o.sources) == 0 {
		return nil, fmt.Errorf("planning the bundled rules: %w", err)
	}
	// Custom rules OPA cannot plan are evaluated top-down, rule by rule (evaluateEach).
	return e, nil
}

func defaultOptions() options {
	return options{
		kubeVersion: DefaultKubeVersion,
		params:      map[string]map[string]any{},
		disabled:    map[string]bool{},
		severities:  map[string]Severity{},

		allowedBuiltins: map[string]bool{},
	}
}

// load parses the rules and reads their metadata into e.rules and e.byID.
func (e *Engine) load() (map[string]*ast.Module, error) {
	modules, err := loadModules(append([]source{{fsys: Bundled}}, e.opts.sources...), false)
	if err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		r, err := ruleFromModule(name, modules[name])
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue
		}
		if prev, dup := e.byID[r.ID]; dup {
			return nil, fmt.Errorf("rule id %q is defined twice: %s and %s", r.ID, prev.File, r.File)
		}
		if call := inventoryCall(modules[name]); call != nil && !r.Inventory {
			return nil, fmt.Errorf("%s: rule %s calls %s, which answers from every object of the input; add `inventory: true` under custom in its METADATA, so that lint runs it once every file is read",
				call.Location, r.ID, call)
		}
		r.readsWorkload = readsWorkload(modules[name])
		e.byID[r.ID] = r
		e.rules = append(e.rules, r)
	}
	for _, m := range modules {
		if !m.Package.Path.HasPrefix(rulesPrefix) && readsWorkload(m) {
			// A library reads the model: any rule may, through it.
			for _, r := range e.rules {
				r.readsWorkload = true
			}
		}
	}
	slices.SortFunc(e.rules, func(a, b *Rule) int { return strings.Compare(a.ID, b.ID) })
	e.modules = modules
	return modules, nil
}

// compile compiles modules for the planner, which needs no rule indices: only top-down
// evaluation reads them (EvalModeIR skips building them), and its compiler is made when a rule
// first fails (topDown).
func (e *Engine) compile(modules map[string]*ast.Module) (*ast.Compiler, error) {
	compiler := e.newCompiler().WithEvalMode(ast.EvalModeIR)
	if compiler.Compile(modules); compiler.Failed() {
		if err := notAllowed(compiler.Errors); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("compiling rules: %w", compiler.Errors)
	}
	return compiler, nil
}

func (e *Engine) newCompiler() *ast.Compiler {
	compiler := ast.NewCompiler().WithCapabilities(capabilities(e.opts.allowedBuiltins))
	if len(e.opts.sources) == 0 {
		compiler = compiler.WithSkipStages(checkOnlyStages...)
	}
	return compiler
}

// topDown returns the rules compiled for top-down evaluation, parsing and compiling them the
// first time.
func (e *Engine) topDown() (*ast.Compiler, error) {
	e.topDownOnce.Do(func() {
		modules := e.modules
		if modules == nil { // prebuilt: the metadata is the engine's already
			var err error
			if modules, err = loadModules(append([]source{{fsys: Bundled}}, e.opts.sources...), false); err != nil {
				e.topDownErr = err
				return
			}
		}
		e.topDownCompiler = e.newCompiler()
		if e.topDownCompiler.Compile(modules); e.topDownCompiler.Failed() {
			e.topDownErr = fmt.Errorf("compiling rules: %w", e.topDownCompiler.Errors)
		}
	})
	return e.topDownCompiler, e.topDownErr
}

// queryOptions are the rego options of one query of rules: an object of their deny sets by rule
// id. Planned (irvm.Plan), its plan has each rule's deny set as a function that Evaluate calls:
// OPA plans the query once, and the plan runs several times faster than top-down evaluation
// (BENCHMARKS.md); prepare evaluates it top-down.
func (e *Engine) queryOptions(compiler *ast.Compiler, rules []*Rule) []func(*rego.Rego) {
	items := make([][2]*ast.Term, len(rules))
	for i, r := range rules {
		items[i] = ast.Item(ast.StringTerm(r.ID), ast.RefTerm(r.pkg.Append(ast.StringTerm("deny"))...))
	}
	return append([]func(*rego.Rego){
		rego.Compiler(compiler),
		rego.Capabilities(compiler.Capabilities()),
		rego.Store(e.store),
		rego.StoreReadAST(true),
		rego.ParsedQuery(ast.NewBody(ast.Assign.Expr(ast.VarTerm("result"), ast.ObjectTerm(items...)))),
	}, BuiltinOptions()...)
}

// programOf makes the engine's program of a plan of (at least) its enabled rules.
func (e *Engine) programOf(policy *ir.Policy, builtins map[string]*topdown.Builtin) error {
	data, err := ast.InterfaceToValue(e.data())
	if err != nil {
		return err
	}
	program, err := irvm.New(policy, builtins, data)
	if err != nil {
		return err
	}
	denies := map[string]*irvm.Function{}
	for _, r := range e.EnabledRules() {
		fn, ok := program.Function(refPath(r.pkg.Append(ast.StringTerm("deny")))...)
		if !ok {
			return fmt.Errorf("rule %s: the plan has no function for its deny set", r.ID)
		}
		denies[r.ID] = fn
	}
	e.program, e.denies = program, denies
	return nil
}

// refPath returns the keys of a ground data ref, data itself left out.
func refPath(ref ast.Ref) []string {
	path := make([]string, 0, len(ref)-1)
	for _, t := range ref[1:] {
		s, _ := t.Value.(ast.String)
		path = append(path, string(s))
	}
	return path
}

// checkOnlyStages are the compiler's stages that only look for mistakes in rules, and change
// nothing that evaluation uses. The bundled rules pass them: TestBundledRulesPassEveryCheck
// compiles them with every stage, as `jobguard test` does. An engine of bundled rules alone
// skips them, a fifth of the compiler's time at every start; custom rules get every check.
var checkOnlyStages = []ast.StageID{
	ast.StageCheckUnusedImports, ast.StageCheckKeywordOverrides, ast.StageCheckDuplicateImports,
	ast.StageCheckVoidCalls, ast.StageCheckRuleConflicts, ast.StageCheckUndefinedFuncs,
	ast.StageCheckRecursion, ast.StageCheckTypes, ast.StageCheckUnsafeBuiltins,
	ast.StageCheckDeprecatedBuiltins,
}

func (e *Engine) checkOptions() error {
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(e.opts.disabled)) {
		if e.byID[id] == nil {
			errs = append(errs, fmt.Errorf("disabled rule %q does not exist", id))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(e.opts.severities)) {
		if e.byID[id] == nil {
			errs = append(errs, fmt.Errorf("severity override for rule %q: no such rule", id))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(e.opts.params)) {
		r := e.byID[id]
		if r == nil {
			errs = append(errs, fmt.Errorf("parameters for rule %q: no such rule", id))
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(e.opts.params[id])) {
			if _, ok := r.Params[k]; !ok {
				errs = append(errs, fmt.Errorf("rule %q has no parameter %q (it has: %s)", id, k, strings.Join(slices.Sorted(maps.Keys(r.Params)), ", ")))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w (run `jobguard rules` to list rules)", errors.Join(errs...))
	}
	return nil
}

// data is what rules read under data.jobguard: their parameters and the target version.
func (e *Engine) data() map[string]any {
	params := map[string]any{}
	for _, r := range e.rules {
		p := maps.Clone(r.Params)
		if p == nil {
			p = map[string]any{}
		}
		maps.Copy(p, e.opts.params[r.ID])
		params[r.ID] = p
	}
	return map[string]any{"jobguard": map[string]any{
		"params": params,
		"target": map[string]any{"kubeVersion": map[string]any{
			"major": e.opts.kubeVersion.Major, "minor": e.opts.kubeVersion.Minor,
		}},
	}}
}

// rulesByKind groups the enabled rules by the kinds they check. A rule of a kind in any group
// (AnyGroup) joins every group's rules of that kind, and alone checks the kind in other groups.
func (e *Engine) rulesByKind() map[GroupKind][]*Rule {
	byKind := map[GroupKind][]*Rule{}
	var anyGroup []*Rule
	for _, r := range e.rules {
		if e.opts.disabled[r.ID] {
			continue
		}
		for _, gk := range r.Kinds {
			byKind[gk] = append(byKind[gk], r)
			if gk.Group == AnyGroup {
				anyGroup = append(anyGroup, r)
			}
		}
	}
	for gk := range byKind {
		for _, r := range anyGroup {
			if gk.Group != AnyGroup && r.AppliesTo(GroupKind{Group: AnyGroup, Kind: gk.Kind}) && !slices.Contains(byKind[gk], r) {
				byKind[gk] = append(byKind[gk], r)
			}
		}
	}
	return byKind
}

// queryFor returns the query for objects of gk in rules: gk's own, else that of rules that
// check gk.Kind in any group.
func queryFor[Q any](queries map[GroupKind]Q, gk GroupKind) (Q, bool) {
	if q, ok := queries[gk]; ok {
		return q, true
	}
	q, ok := queries[GroupKind{Group: AnyGroup, Kind: gk.Kind}]
	return q, ok
}

// query is what evaluating an object of one kind runs: the kind's enabled rules, sorted by id.
type query struct {
	rules []*Rule
	// workload: one of the rules reads input.workload, so the model is built.
	workload bool
	// sets holds the query of each RuleSet but AllRules.
	sets map[RuleSet]query
}

func newQuery(rules []*Rule) query {
	q := ruleQuery(rules)
	q.sets = map[RuleSet]query{}
	for set, in := range inSet {
		q.sets[set] = ruleQuery(slices.DeleteFunc(slices.Clone(q.rules), func(r *Rule) bool { return !in(r) }))
	}
	return q
}

func ruleQuery(rules []*Rule) query {
	q := query{rules: slices.SortedFunc(slices.Values(rules), func(a, b *Rule) int { return strings.Compare(a.ID, b.ID) })}
	for _, r := range rules {
		q.workload = q.workload || r.readsWorkload
	}
	return q
}

// subset returns the query of q's rules in set.
func (q query) subset(set RuleSet) query {
	if set == AllRules {
		return q
	}
	return q.sets[set]
}

// workloadRef is input.workload, which only rules that read the model pay for.
var workloadRef = ast.MustParseRef("input.workload")

// inventoryBuiltins answer from every object of lint's input (the access checker's inventory):
// lint must not run a rule that calls one before every file is read.
var inventoryBuiltins = []ast.Ref{
	ast.MustParseRef(rbacCheck.Name), ast.MustParseRef(rbacExcess.Name), ast.MustParseRef(rbacAutomountToken.Name),
}

// inventoryCall returns a module's first call of an inventory builtin, nil if there is none.
func inventoryCall(m *ast.Module) *ast.Term {
	var found *ast.Term
	ast.WalkTerms(m, func(t *ast.Term) bool {
		if ref, ok := t.Value.(ast.Ref); ok && found == nil && slices.ContainsFunc(inventoryBuiltins, func(b ast.Ref) bool { return ref.Equal(b) }) {
			found = t
		}
		return found != nil
	})
	return found
}

// readsWorkload reports whether a module refers to input.workload.
func readsWorkload(m *ast.Module) bool {
	found := false
	ast.WalkRefs(m, func(r ast.Ref) bool {
		if r.HasPrefix(workloadRef) {
			found = true
		}
		return found
	})
	return found
}

// prepare prepares the top-down query of rules: an object of their deny sets by rule id.
func (e *Engine) prepare(rules []*Rule) (rego.PreparedEvalQuery, error) {
	compiler, err := e.topDown()
	if err != nil {
		return rego.PreparedEvalQuery{}, err
	}
	return rego.New(e.queryOptions(compiler, rules)...).PrepareForEval(context.Background())
}

// Rules returns the metadata of every loaded rule, sorted by id, disabled ones included.
func (e *Engine) Rules() []*Rule { return slices.Clone(e.rules) }

// Rule returns the metadata of one rule, or nil.
func (e *Engine) Rule(id string) *Rule { return e.byID[id] }

// Enabled reports whether a rule is loaded and not disabled.
func (e *Engine) Enabled(id string) bool { return e.byID[id] != nil && !e.opts.disabled[id] }

// EnabledRules returns the metadata of the rules that run, in Rules' order: what a report lists.
func (e *Engine) EnabledRules() []*Rule {
	var rules []*Rule
	for _, r := range e.rules {
		if e.Enabled(r.ID) {
			rules = append(rules, r)
		}
	}
	return rules
}

// Checks reports whether an enabled rule checks objects of this apiVersion and kind; lint counts
// the others as skipped.
func (e *Engine) Checks(apiVersion, kind string) bool {
	_, ok := queryFor(e.queries, groupKindOf(ObjectRef{APIVersion: apiVersion, Kind: kind}))
	return ok
}

// Evaluate runs the rules that apply to obj's kind and returns their findings, without positions.
// Objects of kinds no rule checks return no findings; obj must be an OPA object (see ast.InterfaceToValue
// or ast.ValueFromReader).
func (e *Engine) Evaluate(ctx context.Context, obj ast.Object, opts ...EvalOption) ([]Finding, error) {
	ref := ObjectRefOf(obj)
	q, ok := queryFor(e.queries, groupKindOf(ref))
	if !ok {
		return nil, nil
	}
	var eo evalOptions
	for _, o := range opts {
		o(&eo)
	}
	if q = q.subset(eo.rules); len(q.rules) == 0 {
		return nil, nil
	}
	if eo.access != nil {
		ctx = context.WithValue(ctx, accessKey{}, eo.access)
	}
	model := eo.model
	if !q.workload {
		model = nil
	} else if model == nil {
		model, _ = workload.Of(obj, e.workloadOptions())
	}
	if e.program == nil {
		return e.evaluateEach(ctx, obj, ref, q.rules, model)
	}
	cancel := topdown.NewCancel()
	defer context.AfterFunc(ctx, cancel.Cancel)()
	ev := e.program.Evaluate(ctx, ast.NewTerm(inputTerm(obj, model)), cancel)
	defer ev.Release()
	ignored := ignoredRules(obj)
	var out []Finding
	for _, r := range q.rules {
		if ignored[r.ID] {
			continue
		}
		deny, err := ev.Call(e.denies[r.ID])
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("evaluating %s: %w", ref, err)
			}
			// A rule failed at run time (a conflict, a type error): run the rules one by one,
			// top-down, to keep the others' findings and name the one in OPA's words.
			return e.evaluateEach(ctx, obj, ref, q.rules, model)
		}
		findings, err := e.findingsOfRule(r.ID, ref, deny)
		if err != nil {
			return nil, fmt.Errorf("evaluating %s: %w", ref, err)
		}
		out = append(out, findings...)
	}
	return out, nil
}

// findingsOf reads the findings out of a top-down query's result: an object of deny sets by rule id.
func (e *Engine) findingsOf(rs rego.ResultSet, ref ObjectRef, ignored map[string]bool) ([]Finding, error) {
	if len(rs) != 1 {
		return nil, fmt.Errorf("evaluating %s: the query returned %d results, want 1", ref, len(rs))
	}
	result, _ := rs[0].Bindings["result"].(*ast.Term)
	byRule, ok := result.Value.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("evaluating %s: the query result is %v, want an object", ref, result)
	}
	var out []Finding
	var ruleErr error
	byRule.Foreach(func(k, v *ast.Term) { // keys are sorted: findings come out by rule id
		id, _ := k.Value.(ast.String)
		if ignored[string(id)] || ruleErr != nil {
			return
		}
		findings, err := e.findingsOfRule(string(id), ref, v)
		if err != nil {
			ruleErr = fmt.Errorf("evaluating %s: %w", ref, err)
			return
		}
		out = append(out, findings...)
	})
	return out, ruleErr
}

// findingsOfRule turns a rule's deny set into findings, sorted; a deny that is not a set (or nil:
// undefined) has none.
func (e *Engine) findingsOfRule(id string, ref ObjectRef, deny *ast.Term) ([]Finding, error) {
	if deny == nil {
		return nil, nil
	}
	set, _ := deny.Value.(ast.Set)
	if set == nil {
		return nil, nil
	}
	sorted := set.Sorted()
	out := make([]Finding, 0, sorted.Len())
	for i := range sorted.Len() {
		finding, err := e.finding(id, ref, sorted.Elem(i))
		if err != nil {
			return nil, err
		}
		out = append(out, finding)
	}
	return out, nil
}

func (e *Engine) workloadOptions() workload.Options {
	opts := workload.Options{Namespace: e.opts.namespace}
	switch {
	case e.opts.clusterVersion != nil:
		opts.Cluster = kubectl.Version{Major: e.opts.clusterVersion.Major, Minor: e.opts.clusterVersion.Minor}
	case e.opts.kubeVersionSet:
		opts.Cluster = kubectl.Version{Major: e.opts.kubeVersion.Major, Minor: e.opts.kubeVersion.Minor}
	}
	return opts
}

// finding turns one element of a rule's deny set into a Finding.
func (e *Engine) finding(id string, ref ObjectRef, raw *ast.Term) (Finding, error) {
	r := e.byID[id]
	m, ok := raw.Value.(ast.Object)
	if !ok {
		return Finding{}, fmt.Errorf("rule %s (%s): a deny element must be an object built with data.jobguard.lib.result.fail, got %s", id, r.File, ast.ValueName(raw.Value))
	}
	msg, _ := valueAt(m, "message").(ast.String)
	f := Finding{
		Rule:        id,
		Severity:    r.Severity,
		Message:     string(msg),
		Remediation: r.Remediation,
		Object:      ref,
	}
	if s, ok := valueAt(m, "severity").(ast.String); ok {
		sev, err := ParseSeverity(string(s))
		if err != nil {
			return Finding{}, fmt.Errorf("rule %s: %w", id, err)
		}
		f.Severity = sev
	}
	if sev, ok := e.opts.severities[id]; ok {
		f.Severity = sev
	}
	path, err := fieldPathOf(valueAt(m, "path"))
	if err != nil {
		return Finding{}, fmt.Errorf("rule %s: %w", id, err)
	}
	f.Path = path
	if v := valueAt(m, "fix"); v != nil && r.Fix != nil {
		value, err := ast.JSON(v)
		if err != nil {
			return Finding{}, fmt.Errorf("rule %s: the fix value: %w", id, err)
		}
		f.Fix = &Fix{Path: path, Value: plainJSON(value), OptIn: r.Fix.OptIn}
	}
	return f, nil
}

// valueAt returns the value of key in o, or nil.
func valueAt(o ast.Object, key string) ast.Value {
	if t := o.Get(ast.InternedTerm(key)); t != nil {
		return t.Value
	}
	return nil
}

func fieldPathOf(v ast.Value) (FieldPath, error) {
	elems, ok := v.(*ast.Array)
	if !ok {
		name := "nothing"
		if v != nil {
			name = ast.ValueName(v)
		}
		return nil, fmt.Errorf("path must be an array of keys and indexes, got %s", name)
	}
	path := make(FieldPath, elems.Len())
	for i := range elems.Len() {
		switch el := elems.Elem(i).Value.(type) {
		case ast.String:
			path[i] = string(el)
		case ast.Number:
			n, ok := el.Int()
			if !ok {
				return nil, fmt.Errorf("path element %d: %v is not an index", i, el)
			}
			path[i] = n
		default:
			return nil, fmt.Errorf("path element %d must be a string or an integer, got %s", i, ast.ValueName(el))
		}
	}
	return path, nil
}

// plainJSON turns json.Number results into int64 or float64, so fixes marshal and patch cleanly.
func plainJSON(v any) any {
	return replaceNumbers(v, func(n json.Number) any {
		if i, err := n.Int64(); err == nil {
			return i
		}
		f, _ := n.Float64()
		return f
	})
}

// replaceNumbers replaces, in place, each json.Number in v (v itself, or in its lists and
// objects, at any depth) by what number makes of it.
func replaceNumbers(v any, number func(json.Number) any) any {
	switch v := v.(type) {
	case json.Number:
		return number(v)
	case []any:
		for i := range v {
			v[i] = replaceNumbers(v[i], number)
		}
	case map[string]any:
		for k := range v {
			v[k] = replaceNumbers(v[k], number)
		}
	}
	return v
}

// ObjectRefOf reads apiVersion, kind, namespace and name from an object.
func ObjectRefOf(obj ast.Object) ObjectRef {
	return ObjectRef{
		APIVersion: StringAt(obj, "apiVersion"),
		Kind:       StringAt(obj, "kind"),
		Namespace:  StringAt(obj, "metadata", "namespace"),
		Name:       cmp.Or(StringAt(obj, "metadata", "name"), StringAt(obj, "metadata", "generateName")),
	}
}

func groupKindOf(ref ObjectRef) GroupKind {
	group, _ := path.Split(ref.APIVersion) // "batch/v1" -> "batch/", "v1" -> ""
	return GroupKind{Group: strings.TrimSuffix(group, "/"), Kind: ref.Kind}
}

func ignoredRules(obj ast.Object) map[string]bool {
	list := StringAt(obj, "metadata", "annotations", IgnoreAnnotation)
	if list == "" {
		return nil
	}
	ids := map[string]bool{}
	for id := range strings.SplitSeq(list, ",") {
		ids[strings.TrimSpace(id)] = true
	}
	return ids
}

// StringAt returns the string at a path of keys in an object, or "" when a key is missing or the
// value is not a string.
func StringAt(obj ast.Object, keys ...string) string {
	var v ast.Value = obj
	for _, k := range keys {
		o, ok := v.(ast.Object)
		if !ok {
			return ""
		}
		t := o.Get(keyTerm(k))
		if t == nil {
			return ""
		}
		v = t.Value
	}
	s, _ := v.(ast.String)
	return string(s)
}

// keyTerms are the keys StringAt is asked for on every object, made once: a term made for each
// lookup was a tenth of the cost of evaluating an object that few rules check.
var keyTerms = func() map[string]*ast.Term {
	terms := map[string]*ast.Term{}
	for _, k := range []string{"apiVersion", "kind", "metadata", "name", "generateName", "namespace", "annotations", IgnoreAnnotation} {
		terms[k] = ast.StringTerm(k)
	}
	return terms
}()

func keyTerm(k string) *ast.Term {
	if t, ok := keyTerms[k]; ok {
		return t
	}
	return ast.StringTerm(k)
}

// loadModules parses every .rego file of each source, with annotations; _test.rego files only
// when tests is set. Files are named by their source's name and path, the bundled ones by path.
// Parsing is a third of a start: files are parsed in parallel, errors reported in walk order.
// walkRego calls visit with each Rego file of fsys and its text, in lexical order; test files
// only when tests.
func walkRego(fsys fs.FS, tests bool, visit func(name string, data []byte)) error {
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".rego") || !tests && strings.HasSuffix(name, "_test.rego") {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		visit(name, data)
		return nil
	})
}

func loadModules(sources []source, tests bool) (map[string]*ast.Module, error) {
	type file struct {
		src       source
		key, text string
		module    *ast.Module
		err       error
	}
	var files []*file
	for _, src := range sources {
		err := walkRego(src.fsys, tests, func(name string, data []byte) {
			key := name
			if src.name != "" {
				key = path.Join(filepath.ToSlash(src.name), name)
			}
			files = append(files, &file{src: src, key: key, text: string(data)})
		})
		if err != nil {
			return nil, loadError(src, err)
		}
	}
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(files)); i = next.Add(1) - 1 {
				f := files[i]
				f.module, f.err = ast.ParseModuleWithOpts(f.key, f.text, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
			}
		})
	}
	wg.Wait()
	modules := make(map[string]*ast.Module, len(files))
	for _, f := range files {
		if f.err != nil {
			return nil, loadError(f.src, f.err)
		}
		modules[f.key] = f.module
	}
	return modules, nil
}

func loadError(src source, err error) error {
	if src.name != "" {
		return fmt.Errorf("loading policies from %s: %w", src.name, err)
	}
	return fmt.Errorf("loading policies: %w", err)
}
