package policies

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/format"
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

// TestRegoFormatted: every rule, library and Rego test file is as `opa fmt` writes it, so that a
// diff shows only what changed.
func TestRegoFormatted(t *testing.T) {
	for _, root := range []string{"lib", "rules"} {
		err := fs.WalkDir(os.DirFS("."), root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			formatted, err := format.Source(path, src)
			if err != nil {
				return err
			}
			if !bytes.Equal(formatted, src) {
				t.Errorf("policies/%s is not formatted: run `opa fmt -w` on it, or format.Source", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
