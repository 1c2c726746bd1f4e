package policies

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
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

// EvalOption configures one evaluation.
type EvalOption func(*evalOptions)

type evalOptions struct {
	access AccessChecker
}

// WithAccessChecker lets the cross-object RBAC rules (rbac-insufficient, rbac-overbroad) see the
// cluster's RBAC. Without one they report that the RBAC could not be checked.
func WithAccessChecker(c AccessChecker) EvalOption { return func(o *evalOptions) { o.access = c } }

type accessKey struct{}

func accessFrom(ctx context.Context) AccessChecker {
	c, _ := ctx.Value(accessKey{}).(AccessChecker)
	return c
}

var kubectlAnalyze = &rego.Function{
	Name: "jobguard.kubectl.analyze",
	Description: "Finds the kubectl invocations of a container (command + args, sh -c scripts parsed) and the " +
		"API requests each makes.",
	Decl: types.NewFunction(
		types.Args(
			types.Named("command", types.NewArray(nil, types.A)).Description("the container's command"),
			types.Named("args", types.NewArray(nil, types.A)).Description("the container's args"),
			types.Named("namespace", types.S).Description("the pod's namespace, used when kubectl gets no -n"),
		),
		types.Named("invocations", types.NewArray(nil, types.A)).Description(
			"per invocation: text, position {field, index, offset}, requests [{group, resource, subresource, verb, namespace, allNamespaces, name, optional, rule}], unresolved"),
	),
	Memoize: true,
}

var rbacCheck = &rego.Function{
	Name:        "jobguard.rbac.check",
	Description: "Asks the evaluation's access checker whether a ServiceAccount may make a request.",
	Decl: types.NewFunction(
		types.Args(
			types.Named("namespace", types.S).Description("the ServiceAccount's namespace"),
			types.Named("name", types.S).Description("the ServiceAccount's name"),
			types.Named("request", types.A).Description("a request from jobguard.kubectl.analyze"),
		),
		types.Named("verdict", types.A).Description("known (false when the RBAC is not available), allowed, note"),
	),
	Nondeterministic: true,
}

var rbacExcess = &rego.Function{
	Name:        "jobguard.rbac.excess",
	Description: "Lists what an RBAC object grants beyond what the workloads bound to it need (lint only).",
	Decl: types.NewFunction(
		types.Args(
			types.Named("kind", types.S).Description("Role, ClusterRole or ClusterRoleBinding"),
			types.Named("namespace", types.S).Description("the object's namespace"),
			types.Named("name", types.S).Description("the object's name"),
		),
		types.Named("excess", types.NewArray(nil, types.A)).Description("path and message of each unneeded grant"),
	),
	Nondeterministic: true,
}

// requestJSON is a kubectl.Request as rules see it, with its YAML-ready rule.
type requestJSON struct {
	kubectl.Request
	Rule string `json:"rule"`
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
	type invocation struct {
		Text       string           `json:"text"`
		Position   kubectl.Position `json:"position"`
		Requests   []requestJSON    `json:"requests"`
		Unresolved string           `json:"unresolved"`
	}
	var out []invocation
	for _, r := range kubectl.Analyze(cmd, arg, ns) {
		inv := invocation{Text: r.Invocation.Text, Position: r.Invocation.Position, Unresolved: r.Unresolved, Requests: []requestJSON{}}
		if inv.Unresolved == "" {
			inv.Unresolved = r.Invocation.Unresolved
		}
		for _, req := range r.Requests {
			inv.Requests = append(inv.Requests, requestJSON{req, req.Rule()})
		}
		out = append(out, inv)
	}
	return jsonTerm(out)
}

func builtinRBACCheck(bctx rego.BuiltinContext, namespace, name, request *ast.Term) (*ast.Term, error) {
	ns, err := stringOperand(rbacCheck, namespace, 1)
	if err != nil {
		return nil, err
	}
	sa, err := stringOperand(rbacCheck, name, 2)
	if err != nil {
		return nil, err
	}
	var req kubectl.Request
	if err := fromTerm(request, &req); err != nil {
		return nil, fmt.Errorf("%s: operand 3 must be a request object: %w", rbacCheck.Name, err)
	}
	checker := accessFrom(bctx.Context)
	if checker == nil {
		return jsonTerm(rbac.Verdict{})
	}
	v, err := checker.Check(bctx.Context, rbac.ServiceAccount{Namespace: ns, Name: sa}, req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rbacCheck.Name, err)
	}
	return jsonTerm(v)
}

func builtinRBACExcess(bctx rego.BuiltinContext, kind, namespace, name *ast.Term) (*ast.Term, error) {
	var s [3]string
	for i, t := range []*ast.Term{kind, namespace, name} {
		v, err := stringOperand(rbacExcess, t, i+1)
		if err != nil {
			return nil, err
		}
		s[i] = v
	}
	auditor, ok := accessFrom(bctx.Context).(GrantAuditor)
	if !ok {
		return ast.ArrayTerm(), nil
	}
	excess := auditor.ExcessOf(s[0], s[1], s[2])
	if excess == nil {
		excess = []rbac.Excess{}
	}
	return jsonTerm(excess)
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

func jsonTerm(v any) (*ast.Term, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return ast.ParseTerm(string(data))
}

func fromTerm(t *ast.Term, into any) error {
	raw, err := ast.JSON(t.Value)
	if err != nil {
		return err
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}
