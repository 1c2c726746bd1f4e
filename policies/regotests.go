package policies

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego test (a rule named test_*).
type TestResult struct {
	// Name is the test's package and rule, e.g. data.jobguard.rules.custom.x_test.test_bad_denied.
	Name string
	// File is where the test is; files of custom rules are named by their path.
	File     string
	Pass     bool
	Skip     bool
	Err      error
	Duration time.Duration
}

// RunTests runs the Rego tests of the bundled rules and of the custom rules opts add
// (WithPolicyDir, WithPolicies), the way `opa test` would but with jobguard's builtins, its library
// (data.jobguard.lib), the rules' default parameters in data, and the same capabilities as the
// engine (no builtin that reaches outside the process unless WithAllowedBuiltins allows it). With
// bundledTests false only the tests of the custom rules run.
func RunTests(ctx context.Context, bundledTests bool, opts ...Option) ([]TestResult, error) {
	e, err := New(opts...)
	if err != nil {
		return nil, err
	}
	modules, err := loadModules(append([]source{{fsys: Bundled}}, e.opts.sources...), true)
	if err != nil {
		return nil, err
	}
	bundled, err := loadModules([]source{{fsys: Bundled}}, true)
	if err != nil {
		return nil, err
	}
	compiler := ast.NewCompiler().WithCapabilities(capabilities(e.opts.allowedBuiltins)).WithEnablePrintStatements(true)
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(inmem.NewFromObject(e.data())).
		AddCustomBuiltins(TesterBuiltins()).
		RaiseBuiltinErrors(true).
		EnableTracing(false).
		SetModules(modules).
		RunTests(ctx, nil)
	if err != nil {
		if err := notAllowedIn(err); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("running Rego tests: %w", err)
	}
	var out []TestResult
	for r := range ch {
		file := ""
		if r.Location != nil {
			file = r.Location.File
		}
		if _, isBundled := bundled[file]; isBundled && !bundledTests {
			continue
		}
		out = append(out, TestResult{
			Name: r.Package + "." + r.Name, File: file, Pass: r.Pass(), Skip: r.Skip, Err: r.Error, Duration: r.Duration,
		})
	}
	slices.SortFunc(out, func(a, b TestResult) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// notAllowedIn finds a call of a builtin that is off among the tester's compile errors.
func notAllowedIn(err error) error {
	var errs ast.Errors
	if errors.As(err, &errs) {
		return notAllowed(errs)
	}
	return nil
}
