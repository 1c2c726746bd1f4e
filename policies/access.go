package policies

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/jobguard/jobguard/internal/memo"
	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
	"github.com/jobguard/jobguard/policies/workload"
)

// AccessChecker answers whether a ServiceAccount may make an API request. Lint answers from the
// RBAC objects of its input (rbac.Inventory); the webhook asks the API server.
type AccessChecker interface {
	Check(ctx context.Context, sa rbac.ServiceAccount, req kubectl.Request) (rbac.Verdict, error)
}

// GrantAuditor is an AccessChecker that also knows the workloads, and so can tell which grants of
// an RBAC object no workload needs (rbac-overbroad).
type GrantAuditor interface {
	ExcessOf(kind, namespace, name string) []rbac.Excess
}

// TokenMounter is an AccessChecker that also knows the ServiceAccounts' own
// automountServiceAccountToken (lint's inventory, from the ServiceAccounts of its input).
type TokenMounter interface {
	AutomountToken(sa rbac.ServiceAccount) (mount, known bool)
}

// EvalOption configures one evaluation.
type EvalOption func(*evalOptions)

type evalOptions struct {
	access AccessChecker
	model  *workload.Workload // withModel (batch.go)
	rules  RuleSet            // WithRuleSet (ruleset.go)
}

// WithAccessChecker lets the cross-object RBAC rules (rbac-insufficient, rbac-overbroad) see the
// cluster's RBAC. Without one they report that the RBAC could not be checked.
func WithAccessChecker(c AccessChecker) EvalOption { return func(o *evalOptions) { o.access = c } }

type accessKey struct{}

func accessFrom(ctx context.Context) AccessChecker {
	c, _ := ctx.Value(accessKey{}).(AccessChecker)
	return c
}

func builtinRBACAutomountToken(bctx rego.BuiltinContext, namespace, name *ast.Term) (*ast.Term, error) {
	s, err := stringOperands(rbacAutomountToken, namespace, name)
	if err != nil {
		return nil, err
	}
	mount, known := true, false
	if m, ok := accessFrom(bctx.Context).(TokenMounter); ok {
		mount, known = m.AutomountToken(rbac.ServiceAccount{Namespace: s[0], Name: s[1]})
	}
	return ast.ObjectTerm(
		ast.Item(ast.InternedTerm("known"), ast.InternedTerm(known)),
		ast.Item(ast.InternedTerm("mount"), ast.InternedTerm(mount)),
	), nil
}

func builtinKubectlAnalyze(_ rego.BuiltinContext, command, args, namespace *ast.Term) (*ast.Term, error) {
	cmd, err := stringsOperand(kubectlAnalyze, command, 1)
	if err != nil {
		return nil, err
	}
	arg, err := stringsOperand(kubectlAnalyze, args, 2)
	if err != nil {
		return nil, err
	}
	ns, err := stringOperand(kubectlAnalyze, namespace, 3)
	if err != nil {
		return nil, err
	}
	key := strings.Join(cmd, "\x00") + "\x01" + strings.Join(arg, "\x00") + "\x01" + ns
	return analyzeCache.Get(key, func() *ast.Term { return analyzeTerm(kubectl.Analyze(cmd, arg, ns)) }), nil
}

// analyzeCache keeps the terms of recent analyses: terms are immutable once built.
var analyzeCache = memo.New[*ast.Term](4096)

func analyzeTerm(results []kubectl.Result) *ast.Term {
	invocations := make([]*ast.Term, len(results))
	for i, r := range results {
		invocations[i] = ast.ObjectTerm(
			ast.Item(ast.InternedTerm("text"), ast.StringTerm(r.Invocation.Text)),
			ast.Item(ast.InternedTerm("position"), ast.ObjectTerm(
				ast.Item(ast.InternedTerm("field"), ast.StringTerm(r.Invocation.Position.Field)),
				ast.Item(ast.InternedTerm("index"), ast.InternedTerm(r.Invocation.Position.Index)),
				ast.Item(ast.InternedTerm("offset"), ast.InternedTerm(r.Invocation.Position.Offset)),
			)),
			ast.Item(ast.InternedTerm("requests"), requestsTerm(r.Requests)),
			ast.Item(ast.InternedTerm("unresolved"), ast.StringTerm(r.Unresolved)),
		)
	}
	return ast.ArrayTerm(invocations...)
}

// requestsTerm is the requests of one kubectl invocation, as rules see them.
func requestsTerm(reqs []kubectl.Request) *ast.Term {
	terms := make([]*ast.Term, len(reqs))
	for i, req := range reqs {
		terms[i] = requestTerm(req)
	}
	return ast.ArrayTerm(terms...)
}

// requestTerm is a kubectl.Request as rules see it, with its YAML-ready rule. Terms are built
// directly: a JSON round trip would cost more than the rest of the evaluation.
func requestTerm(r kubectl.Request) *ast.Term {
	return ast.ObjectTerm(
		ast.Item(ast.InternedTerm("group"), ast.StringTerm(r.Group)),
		ast.Item(ast.InternedTerm("resource"), ast.StringTerm(r.Resource)),
		ast.Item(ast.InternedTerm("subresource"), ast.StringTerm(r.Subresource)),
		ast.Item(ast.InternedTerm("resourcePath"), ast.StringTerm(r.ResourcePath())),
		ast.Item(ast.InternedTerm("verb"), ast.StringTerm(r.Verb)),
		ast.Item(ast.InternedTerm("namespace"), ast.StringTerm(r.Namespace)),
		ast.Item(ast.InternedTerm("allNamespaces"), ast.InternedTerm(r.AllNamespaces)),
		ast.Item(ast.InternedTerm("name"), ast.StringTerm(r.Name)),
		ast.Item(ast.InternedTerm("optional"), ast.InternedTerm(r.Optional)),
		ast.Item(ast.InternedTerm("escalation"), ast.InternedTerm(r.Escalation)),
		ast.Item(ast.InternedTerm("assumed"), ast.StringTerm(r.Assumed)),
		ast.Item(ast.InternedTerm("rule"), ast.StringTerm(r.Rule())),
	)
}

// requestOf reads a request term back; fields a caller left out are zero.
func requestOf(t *ast.Term) (kubectl.Request, error) {
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return kubectl.Request{}, fmt.Errorf("want object, got %s", ast.ValueName(t.Value))
	}
	str := func(k string) string {
		if v := obj.Get(ast.InternedTerm(k)); v != nil {
			s, _ := v.Value.(ast.String)
			return string(s)
		}
		return ""
	}
	flag := func(k string) bool {
		if v := obj.Get(ast.InternedTerm(k)); v != nil {
			b, _ := v.Value.(ast.Boolean)
			return bool(b)
		}
		return false
	}
	return kubectl.Request{
		Group: str("group"), Resource: str("resource"), Subresource: str("subresource"), Verb: str("verb"),
		Namespace: str("namespace"), AllNamespaces: flag("allNamespaces"), Name: str("name"), Optional: flag("optional"),
		Escalation: flag("escalation"), Assumed: str("assumed"),
	}, nil
}

func verdictTerm(v rbac.Verdict) *ast.Term {
	return ast.ObjectTerm(
		ast.Item(ast.InternedTerm("known"), ast.InternedTerm(v.Known)),
		ast.Item(ast.InternedTerm("allowed"), ast.InternedTerm(v.Allowed)),
		ast.Item(ast.InternedTerm("note"), ast.StringTerm(v.Note)),
	)
}

// checkKey and checkMemo keep an evaluation's verdicts (the webhook's cost a SubjectAccessReview
// each), by operands: OPA's Memoize would key them by the operands' text, which took lint more time
// than the checks themselves.
type checkKey struct {
	namespace, name string
	request         int // the request term's hash; requests with one hash are told apart by Equal
}

type checkMemo struct{ request, verdict *ast.Term }

func builtinRBACCheck(bctx rego.BuiltinContext, namespace, name, request *ast.Term) (*ast.Term, error) {
	s, err := stringOperands(rbacCheck, namespace, name)
	if err != nil {
		return nil, err
	}
	key := checkKey{namespace: s[0], name: s[1], request: request.Hash()}
	var memos []checkMemo
	if bctx.Cache != nil {
		cached, _ := bctx.Cache.Get(key)
		memos, _ = cached.([]checkMemo)
		for _, m := range memos {
			if m.request.Equal(request) {
				return m.verdict, nil
			}
		}
	}
	verdict, err := rbacCheckOf(bctx, s, request)
	if err == nil && bctx.Cache != nil {
		bctx.Cache.Put(key, append(memos, checkMemo{request, verdict}))
	}
	return verdict, err
}

func rbacCheckOf(bctx rego.BuiltinContext, s []string, request *ast.Term) (*ast.Term, error) {
	req, err := requestOf(request)
	if err != nil {
		return nil, fmt.Errorf("%s: operand 3 must be a request object: %w", rbacCheck.Name, err)
	}
	checker := accessFrom(bctx.Context)
	if checker == nil {
		return verdictTerm(rbac.Verdict{}), nil
	}
	v, err := checker.Check(bctx.Context, rbac.ServiceAccount{Namespace: s[0], Name: s[1]}, req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rbacCheck.Name, err)
	}
	return verdictTerm(v), nil
}

func builtinRBACExcess(bctx rego.BuiltinContext, kind, namespace, name *ast.Term) (*ast.Term, error) {
	s, err := stringOperands(rbacExcess, kind, namespace, name)
	if err != nil {
		return nil, err
	}
	auditor, ok := accessFrom(bctx.Context).(GrantAuditor)
	if !ok {
		return ast.ArrayTerm(), nil
	}
	var items []*ast.Term
	for _, e := range auditor.ExcessOf(s[0], s[1], s[2]) {
		path, err := ast.InterfaceToValue(e.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rbacExcess.Name, err)
		}
		items = append(items, ast.ObjectTerm(
			ast.Item(ast.InternedTerm("path"), ast.NewTerm(path)),
			ast.Item(ast.InternedTerm("message"), ast.StringTerm(e.Message)),
		))
	}
	return ast.ArrayTerm(items...), nil
}

// stringOperands reads operands that must all be strings, in order.
func stringOperands(decl *rego.Function, terms ...*ast.Term) ([]string, error) {
	out := make([]string, len(terms))
	for i, t := range terms {
		s, err := stringOperand(decl, t, i+1)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func stringsOperand(decl *rego.Function, t *ast.Term, pos int) ([]string, error) {
	arr, ok := t.Value.(*ast.Array)
	if !ok {
		return nil, fmt.Errorf("%s: operand %d must be array but got %s", decl.Name, pos, ast.ValueName(t.Value))
	}
	out := make([]string, 0, arr.Len())
	for i := range arr.Len() {
		if s, ok := arr.Elem(i).Value.(ast.String); ok {
			out = append(out, string(s))
		} else {
			out = append(out, arr.Elem(i).Value.String()) // the API server would reject it; keep going
		}
	}
	return out, nil
}
