package policies

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/jobguard/jobguard/internal/memo"
)

// The jobguard.* builtins, all declared here as data (name, typed and described arguments), as
// OPA declares its own in ast/builtins.go: Go for what Rego does badly (cron parsing, the API
// server's own checks, kubectl analysis, RBAC). Implementations live in their area's file
// (schedule.go, objectcheck.go, access.go, model.go). Each is added to one query with
// rego.FunctionN, never registered globally.

var stringList = types.NewArray(nil, types.S)

var cronCheck = &rego.Function{
	Name: "jobguard.cron.check",
	Description: "Checks a CronJob schedule as the API server does (robfig/cron ParseStandard, no TZ prefix) " +
		"and whether it ever fires.",
	Decl: types.NewFunction(
		types.Args(types.Named("schedule", types.S).Description("the spec.schedule value")),
		types.Named("result", types.NewObject([]*types.StaticProperty{
			types.NewStaticProperty("errors", stringList),
			types.NewStaticProperty("fires", types.B),
		}, nil)).Description("errors: the API server's reasons to reject it (empty when valid); fires: false when a valid schedule never fires"),
	),
}

// stringCheck declares a builtin that takes one string and returns the API server's reasons to
// reject it, empty when it is valid (stringsBuiltin implements it).
func stringCheck(name, description string, arg *types.NamedType, result string) *rego.Function {
	return &rego.Function{
		Name:        name,
		Description: description,
		Decl:        types.NewFunction(types.Args(arg), types.Named("errors", stringList).Description(result)),
	}
}

var (
	timeZoneErrors = stringCheck("jobguard.k8s.time_zone_errors",
		"Returns the API server's reasons to reject a CronJob spec.timeZone, using the embedded IANA database.",
		types.Named("zone", types.S).Description("the spec.timeZone value"), "empty when the zone is valid")
	dns1123LabelErrors = stringCheck("jobguard.k8s.dns1123_label_errors",
		"Returns the API server's reasons why a value is not an RFC 1123 label (namespaces, container names).",
		types.Named("value", types.S).Description("the name to check"), "empty when the value is valid")
	dns1123SubdomainErrors = stringCheck("jobguard.k8s.dns1123_subdomain_errors",
		"Returns the API server's reasons why a value is not an RFC 1123 subdomain (Job and CronJob names).",
		types.Named("value", types.S).Description("the name to check"), "empty when the value is valid")
)

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
			"per invocation: text, position {field, index, offset}, requests [{group, resource, subresource, resourcePath, verb, namespace, allNamespaces, name, optional, escalation, rule}], unresolved"),
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
	Nondeterministic: true, // memoized by builtinRBACCheck itself
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

var rbacAutomountToken = &rego.Function{
	Name:        "jobguard.rbac.automount_token",
	Description: "Says whether a ServiceAccount of the input mounts its token in pods that do not say (its automountServiceAccountToken).",
	Decl: types.NewFunction(
		types.Args(
			types.Named("namespace", types.S).Description("the ServiceAccount's namespace"),
			types.Named("name", types.S).Description("the ServiceAccount's name"),
		),
		types.Named("result", types.A).Description("known (false when the ServiceAccount is not in the input), mount"),
	),
	Nondeterministic: true,
}

var workloadOf = &rego.Function{
	Name: "jobguard.workload.of",
	Description: "Builds the model of a Job or CronJob that the engine gives rules as input.workload " +
		"(for tests, and for objects that are not the input).",
	Decl: types.NewFunction(
		types.Args(types.Named("object", types.A).Description("a Job or CronJob")),
		types.Named("workload", types.A).Description("the model; undefined for other objects"),
	),
	Memoize: true,
}

var decodeErrors = &rego.Function{
	Name: "jobguard.k8s.decode_errors",
	Description: "Decodes an object into its k8s.io/api type as the API server does (sigs.k8s.io/json: case-sensitive, " +
		"strict about unknown fields) and returns every field it cannot decode (wrong type) or does not know (dropped). " +
		"Kinds that are not built into Kubernetes return no errors.",
	Decl: types.NewFunction(
		types.Args(types.Named("object", types.A).Description("the object, as in input.object")),
		types.Named("errors", types.NewArray(nil, types.NewObject(nil, types.NewDynamicProperty(types.S, types.A)))).
			Description(`each {"path": [keys and indexes], "problem": "wrong type" or "unknown field", "got": the JSON type `+
				`written, "want": the Go type expected, "detail": the decoder's words, "hint": `+
				`{"case": the field with that name in another case} or {"at": the path of an enclosing object that has the field}}`),
	),
}

var selectorMatches = &rego.Function{
	Name:        "jobguard.k8s.selector_matches",
	Description: "Reports whether a metav1.LabelSelector (matchLabels, matchExpressions) selects a set of labels, as metav1.LabelSelectorAsSelector does; an invalid selector matches nothing.",
	Decl: types.NewFunction(
		types.Args(
			types.Named("selector", types.A).Description("the label selector"),
			types.Named("labels", types.NewObject(nil, types.NewDynamicProperty(types.S, types.S))).Description("the labels"),
		),
		types.Named("matches", types.B),
	),
}

// The value checks of k8s.io/apimachinery that pod and object validation apply, by name.
var (
	labelsErrors = &rego.Function{
		Name: "jobguard.k8s.labels_errors",
		Description: "Checks a labels map as the API server does (ValidateLabels: each key a qualified name, each value " +
			"a label value) and returns the keys and values it rejects; values that are not strings are left to decode_errors.",
		Decl: types.NewFunction(types.Args(types.Named("labels", types.A)), types.Named("errors", mapErrorsType)),
	}
	annotationsErrors = &rego.Function{
		Name: "jobguard.k8s.annotations_errors",
		Description: "Checks an annotations map as the API server does (ValidateAnnotations: each lowercased key a qualified " +
			"name, all keys and values together at most 256 KiB) and returns what it rejects.",
		Decl: types.NewFunction(types.Args(types.Named("annotations", types.A)), types.Named("errors", mapErrorsType)),
	}
	portNameErrors = stringCheck("jobguard.k8s.port_name_errors",
		"Returns the API server's reasons to reject a container port name (an IANA service name: at most 15 lowercase alphanumerics or '-', with a letter).",
		types.Named("name", types.S), "empty when valid")
	envVarNameErrors = stringCheck("jobguard.k8s.env_var_name_errors",
		"Returns the API server's reasons to reject an environment variable name (RelaxedEnvironmentVariableValidation, GA and locked on since 1.34: printable ASCII but '=').",
		types.Named("name", types.S), "empty when valid")
)

var mapErrorsType = types.NewArray(nil, types.NewObject([]*types.StaticProperty{
	types.NewStaticProperty("key", types.S),
	types.NewStaticProperty("part", types.S),
	types.NewStaticProperty("errors", stringList),
}, nil))

// builtin pairs a declaration with the option that adds its implementation to a query.
type builtin struct {
	decl *rego.Function
	impl func(*rego.Rego)
}

var builtins = []builtin{
	{cronCheck, rego.Function1(cronCheck, builtinCronCheck)},
	stringsBuiltin(timeZoneErrors, TimeZoneErrors),
	stringsBuiltin(dns1123LabelErrors, validation.IsDNS1123Label),
	stringsBuiltin(dns1123SubdomainErrors, validation.IsDNS1123Subdomain),
	{labelsErrors, rego.Function1(labelsErrors, builtinLabelsErrors)},
	{annotationsErrors, rego.Function1(annotationsErrors, builtinAnnotationsErrors)},
	stringsBuiltin(portNameErrors, validation.IsValidPortName),
	stringsBuiltin(envVarNameErrors, validation.IsRelaxedEnvVarName),
	{decodeErrors, rego.Function1(decodeErrors, builtinDecodeErrors)},
	{selectorMatches, rego.Function2(selectorMatches, builtinSelectorMatches)},
	{kubectlAnalyze, rego.Function3(kubectlAnalyze, builtinKubectlAnalyze)},
	{rbacCheck, rego.Function3(rbacCheck, builtinRBACCheck)},
	{rbacExcess, rego.Function3(rbacExcess, builtinRBACExcess)},
	{rbacAutomountToken, rego.Function2(rbacAutomountToken, builtinRBACAutomountToken)},
	{workloadOf, rego.Function1(workloadOf, builtinWorkloadOf)},
}

// BuiltinOptions returns the rego options that add every jobguard builtin to a query.
func BuiltinOptions() []func(*rego.Rego) {
	opts := make([]func(*rego.Rego), len(builtins))
	for i, b := range builtins {
		opts[i] = b.impl
	}
	return opts
}

// TesterBuiltins returns the jobguard builtins for OPA's test runner (tester.Runner.AddCustomBuiltins).
func TesterBuiltins() []*tester.Builtin {
	out := make([]*tester.Builtin, len(builtins))
	for i, b := range builtins {
		out[i] = &tester.Builtin{
			Decl: &ast.Builtin{Name: b.decl.Name, Description: b.decl.Description, Decl: b.decl.Decl},
			Func: b.impl,
		}
	}
	return out
}

func builtinCronCheck(_ rego.BuiltinContext, schedule *ast.Term) (*ast.Term, error) {
	s, err := stringOperand(cronCheck, schedule, 1)
	if err != nil {
		return nil, err
	}
	return cronCache.Get(s, func() *ast.Term {
		errs := ScheduleErrors(s)
		fires := len(errs) > 0 || ScheduleFires(s) // an invalid schedule is not reported as never firing too
		return ast.ObjectTerm(
			ast.Item(ast.InternedTerm("errors"), stringsTerm(errs)),
			ast.Item(ast.InternedTerm("fires"), ast.InternedTerm(fires)),
		)
	}), nil
}

var cronCache = memo.New[*ast.Term](4096)

// stringsBuiltin implements a stringCheck declaration with a func(string) []string check.
func stringsBuiltin(decl *rego.Function, check func(string) []string) builtin {
	return builtin{decl, rego.Function1(decl, func(_ rego.BuiltinContext, op *ast.Term) (*ast.Term, error) {
		s, err := stringOperand(decl, op, 1)
		if err != nil {
			return nil, err
		}
		return stringsTerm(check(s)), nil
	})}
}

func stringOperand(decl *rego.Function, t *ast.Term, pos int) (string, error) {
	s, ok := t.Value.(ast.String)
	if !ok {
		return "", fmt.Errorf("%s: operand %d must be string but got %s", decl.Name, pos, ast.ValueName(t.Value))
	}
	return string(s), nil
}

func stringsTerm(ss []string) *ast.Term {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(s)
	}
	return ast.ArrayTerm(terms...)
}
