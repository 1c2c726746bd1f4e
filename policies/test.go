package policies

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego test (a rule named test_*).
type TestResult struct {
	// Name is the test's package and rule, e.g. data.jobguard.rules.custom.x_test.test_bad_denied.
	Name string
	// File is where the test is; files of extra sources are named policies#N/<path>.
	File     string
	Pass     bool
	Skip     bool
	Err      error
	Duration time.Duration
}

// RunTests runs the Rego tests of the bundled rules and of extra sources (custom policies), the
// way `opa test` would but with jobguard's builtins, its library (data.jobguard.lib) and the rules'
// default parameters in data. With bundledTests false only the tests of extra sources run.
func RunTests(ctx context.Context, bundledTests bool, extra ...fs.FS) ([]TestResult, error) {
	e, err := New(withSources(extra))
	if err != nil {
		return nil, err
	}
	modules, err := loadModules(append([]fs.FS{Bundled}, extra...), true)
	if err != nil {
		return nil, err
	}
	ch, err := tester.NewRunner().
		SetStore(inmem.NewFromObject(e.data())).
		AddCustomBuiltins(TesterBuiltins()).
		RaiseBuiltinErrors(true).
		EnableTracing(false).
		SetModules(modules).
		RunTests(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("running Rego tests: %w", err)
	}
	var out []TestResult
	for r := range ch {
		file := ""
		if r.Location != nil {
			file = r.Location.File
		}
		if !bundledTests && !strings.HasPrefix(file, "policies#") {
			continue
		}
		out = append(out, TestResult{
			Name: r.Package + "." + r.Name, File: file, Pass: r.Pass(), Skip: r.Skip, Err: r.Error, Duration: r.Duration,
		})
	}
	slices.SortFunc(out, func(a, b TestResult) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func withSources(sources []fs.FS) Option {
	return func(o *options) { o.sources = append(o.sources, sources...) }
}
