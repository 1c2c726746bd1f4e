package policies

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/jobguard/jobguard/internal/memo"
	"github.com/jobguard/jobguard/policies/workload"
)

// workloadTerm is the model of a Job or CronJob as rules read it, input.workload:
//
//	{kind, name, namespace, namespaceAssumed,
//	 serviceAccount: {namespace, name, set, path},
//	 automountToken: true | false | null, automountTokenPath,
//	 podSpecPath,
//	 containers: [{name, image, init, path}],
//	 invocations: [{container, path, offset, text, requests: [...], unresolved}]}
//
// Terms are built directly: a JSON round trip would cost more than most evaluations.
func workloadTerm(w *workload.Workload) *ast.Term {
	containers := make([]*ast.Term, len(w.Containers))
	for i, c := range w.Containers {
		containers[i] = ast.ObjectTerm(
			ast.Item(ast.InternedTerm("name"), ast.StringTerm(c.Name)),
			ast.Item(ast.InternedTerm("image"), ast.StringTerm(c.Image)),
			ast.Item(ast.InternedTerm("init"), ast.InternedTerm(c.Init)),
			ast.Item(ast.InternedTerm("path"), pathTerm(c.Path)),
		)
	}
	invocations := make([]*ast.Term, len(w.Invocations))
	for i, inv := range w.Invocations {
		invocations[i] = ast.ObjectTerm(
			ast.Item(ast.InternedTerm("container"), ast.InternedTerm(inv.Container)),
			ast.Item(ast.InternedTerm("path"), pathTerm(inv.Path)),
			ast.Item(ast.InternedTerm("offset"), ast.InternedTerm(inv.Invocation.Position.Offset)),
			ast.Item(ast.InternedTerm("text"), ast.StringTerm(inv.Invocation.Text)),
			ast.Item(ast.InternedTerm("requests"), invocationRequests.Get(inv.Analysis, func() *ast.Term { return requestsTerm(inv.Requests) })),
			ast.Item(ast.InternedTerm("unresolved"), ast.StringTerm(inv.Unresolved)),
		)
	}
	automount := ast.InternedNullTerm
	if w.AutomountToken != nil {
		automount = ast.InternedTerm(*w.AutomountToken)
	}
	return ast.ObjectTerm(
		ast.Item(ast.InternedTerm("kind"), ast.StringTerm(w.Kind)),
		ast.Item(ast.InternedTerm("name"), ast.StringTerm(w.Name)),
		ast.Item(ast.InternedTerm("namespace"), ast.StringTerm(w.Namespace)),
		ast.Item(ast.InternedTerm("namespaceAssumed"), ast.InternedTerm(w.NamespaceAssumed)),
		ast.Item(ast.InternedTerm("serviceAccount"), ast.ObjectTerm(
			ast.Item(ast.InternedTerm("namespace"), ast.StringTerm(w.ServiceAccount.Namespace)),
			ast.Item(ast.InternedTerm("name"), ast.StringTerm(w.ServiceAccount.Name)),
			ast.Item(ast.InternedTerm("set"), ast.InternedTerm(w.ServiceAccountSet)),
			ast.Item(ast.InternedTerm("path"), pathTerm(w.ServiceAccountPath)),
		)),
		ast.Item(ast.InternedTerm("automountToken"), automount),
		ast.Item(ast.InternedTerm("automountTokenPath"), pathTerm(w.AutomountTokenPath)),
		ast.Item(ast.InternedTerm("podSpecPath"), pathTerm(w.PodSpecPath)),
		ast.Item(ast.InternedTerm("containers"), ast.ArrayTerm(containers...)),
		ast.Item(ast.InternedTerm("invocations"), ast.ArrayTerm(invocations...)),
	)
}

// invocationRequests keeps the requests terms of recent analyses (workload.Invocation.Analysis):
// a fleet of CronJobs runs the same script, and building the terms cost a CronJob that runs kubectl
// more than evaluating rbac-insufficient on it. Terms are immutable once built.
var invocationRequests = memo.New[*ast.Term](4096)

// pathTerm is a field path of keys (strings) and indexes (ints).
func pathTerm(path []any) *ast.Term {
	elems := make([]*ast.Term, len(path))
	for i, p := range path {
		switch p := p.(type) {
		case string:
			elems[i] = ast.StringTerm(p)
		case int:
			elems[i] = ast.InternedTerm(p)
		}
	}
	return ast.ArrayTerm(elems...)
}

// inputTerm is what rules read as input: the object, and for a Job or CronJob its model.
func inputTerm(obj ast.Object, w *workload.Workload) ast.Value {
	input := ast.NewObject(ast.Item(ast.InternedTerm("object"), ast.NewTerm(obj)))
	if w != nil {
		input.Insert(ast.InternedTerm("workload"), workloadTerm(w))
	}
	return input
}

func builtinWorkloadOf(_ rego.BuiltinContext, obj *ast.Term) (*ast.Term, error) {
	o, ok := obj.Value.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("%s: operand 1 must be object but got %s", workloadOf.Name, ast.ValueName(obj.Value))
	}
	w, ok := workload.Of(o, workload.Options{})
	if !ok {
		return nil, nil
	}
	return workloadTerm(w), nil
}
