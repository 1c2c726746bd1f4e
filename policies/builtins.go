package policies

import (
	"github.com/jobguard/jobguard/internal/memo"

	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/types"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The jobguard.* builtins: Go for what Rego does badly (cron parsing, the API server's own name checks).
// Each is added to one query with rego.FunctionN, never registered globally.

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

var timeZoneErrors = &rego.Function{
	Name:        "jobguard.k8s.time_zone_errors",
	Description: "Returns the API server's reasons to reject a CronJob spec.timeZone, using the embedded IANA database.",
	Decl: types.NewFunction(
		types.Args(types.Named("zone", types.S).Description("the spec.timeZone value")),
		types.Named("errors", stringList).Description("empty when the zone is valid"),
	),
}

var dns1123LabelErrors = &rego.Function{
	Name:        "jobguard.k8s.dns1123_label_errors",
	Description: "Returns the API server's reasons why a value is not an RFC 1123 label (namespaces, container names).",
	Decl: types.NewFunction(
		types.Args(types.Named("value", types.S).Description("the name to check")),
		types.Named("errors", stringList).Description("empty when the value is valid"),
	),
}

var dns1123SubdomainErrors = &rego.Function{
	Name:        "jobguard.k8s.dns1123_subdomain_errors",
	Description: "Returns the API server's reasons why a value is not an RFC 1123 subdomain (Job and CronJob names).",
	Decl: types.NewFunction(
		types.Args(types.Named("value", types.S).Description("the name to check")),
		types.Named("errors", stringList).Description("empty when the value is valid"),
	),
}

// builtin pairs a declaration with the option that adds its implementation to a query.
type builtin struct {
	decl *rego.Function
	impl func(*rego.Rego)
}

var builtins = []builtin{
	{cronCheck, rego.Function1(cronCheck, builtinCronCheck)},
	{timeZoneErrors, rego.Function1(timeZoneErrors, stringsBuiltin(timeZoneErrors, TimeZoneErrors))},
	{dns1123LabelErrors, rego.Function1(dns1123LabelErrors, stringsBuiltin(dns1123LabelErrors, validation.IsDNS1123Label))},
	{dns1123SubdomainErrors, rego.Function1(dns1123SubdomainErrors, stringsBuiltin(dns1123SubdomainErrors, validation.IsDNS1123Subdomain))},
	{labelsErrors, rego.Function1(labelsErrors, builtinLabelsErrors)},
	{annotationsErrors, rego.Function1(annotationsErrors, builtinAnnotationsErrors)},
	{portNameErrors, rego.Function1(portNameErrors, stringsBuiltin(portNameErrors, validation.IsValidPortName))},
	{envVarNameErrors, rego.Function1(envVarNameErrors, stringsBuiltin(envVarNameErrors, validation.IsRelaxedEnvVarName))},
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

// stringsBuiltin adapts a func(string) []string check to a one-argument builtin.
func stringsBuiltin(decl *rego.Function, check func(string) []string) rego.Builtin1 {
	return func(_ rego.BuiltinContext, op *ast.Term) (*ast.Term, error) {
		s, err := stringOperand(decl, op, 1)
		if err != nil {
			return nil, err
		}
		return stringsTerm(check(s)), nil
	}
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
