package policies

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestBundledRulesPassEveryCheck compiles the bundled rules with every compiler stage: New skips
// the check-only ones (checkOnlyStages) for them, so this is where their mistakes show.
func TestBundledRulesPassEveryCheck(t *testing.T) {
	modules, err := loadModules([]source{{fsys: Bundled}}, false)
	if err != nil {
		t.Fatal(err)
	}
	compiler := ast.NewCompiler().WithCapabilities(capabilities(nil)).WithStrict(true)
	if compiler.Compile(modules); compiler.Failed() {
		t.Fatal(compiler.Errors)
	}
}

// TestCustomRulesGetEveryCheck: a custom rule with a type error fails to load, although the
// check that finds it is skipped for the bundled rules.
func TestCustomRulesGetEveryCheck(t *testing.T) {
	_, err := New(WithPolicies(fstest.MapFS{"bad.rego": {Data: []byte(`# METADATA
# title: Bad
# description: Adds a string to a number.
# custom:
#   id: custom-bad
#   severity: warning
#   kinds: [Job]
#   remediation: None.
package jobguard.rules.custom.custom_bad

deny contains {"message": "x", "path": []} if {
	input.object.spec.parallelism + "one" > 1
}
`)}}))
	if err == nil || !strings.Contains(err.Error(), "rego_type_error") {
		t.Fatalf("a rule adding a string to a number: %v, want a type error", err)
	}
}
