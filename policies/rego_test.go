package policies

import (
	"context"
	"testing"
)

// TestRego runs every *_test.rego beside the rules through OPA's test runner, with the jobguard
// builtins and the default parameters in data, so `go test ./...` covers them as `opa test` would.
func TestRego(t *testing.T) {
	results, err := RunTests(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no Rego tests ran")
	}
	for _, r := range results {
		switch {
		case r.Err != nil:
			t.Errorf("%s: error: %v", r.Name, r.Err)
		case r.Skip:
			t.Logf("%s: skipped", r.Name)
		case !r.Pass:
			t.Errorf("%s: failed (%s)", r.Name, r.File)
		}
	}
	t.Logf("%d Rego tests ran", len(results))
}
