package policies

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// fetchRule sends a request to the URL it is given in data, on every Job.
const fetchRule = `# METADATA
# title: Fetches a URL
# description: Reaches the network.
# custom:
#   id: fetches
#   severity: warning
#   kinds: [Job]
#   remediation: None.
package jobguard.rules.custom.fetches

import data.jobguard.lib.result

deny contains result.fail("fetched", ["spec"]) if {
	resp := http.send({"method": "GET", "url": "@@URL@@", "raise_error": false})
	resp.status_code == 200
}
`

// TestCustomRuleCannotReachTheNetwork: a custom rule that calls http.send fails to load, with an
// error naming the builtin, the file and line, and the flag that allows it; nothing is sent. Once
// allowed explicitly, the same rule loads and does reach the server.
func TestCustomRuleCannotReachTheNetwork(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "fetch.rego")
	if err := os.WriteFile(file, []byte(strings.Replace(fetchRule, "@@URL@@", srv.URL, 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := New(WithPolicyDir(dir))
	var notAllowed *BuiltinNotAllowedError
	if !errors.As(err, &notAllowed) {
		t.Fatalf("New with a rule calling http.send: %v, want a BuiltinNotAllowedError", err)
	}
	for _, want := range []string{file + ":14: http.send sends HTTP requests", "--allow-builtin http.send"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := RunTests(context.Background(), false, WithPolicyDir(dir)); !errors.As(err, &notAllowed) {
		t.Errorf("jobguard test with the same rule: %v, want a BuiltinNotAllowedError", err)
	}

	engine, err := New(WithPolicyDir(dir), WithAllowedBuiltins("http.send"))
	if err != nil {
		t.Fatalf("with http.send allowed: %v", err)
	}
	job := ast.MustParseTerm(`{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {}}`).Value.(ast.Object)
	found, err := engine.Evaluate(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(found, func(f Finding) bool { return f.Rule == "fetches" }) {
		t.Errorf("the allowed rule found nothing: %+v", found)
	}
	if hits.Load() == 0 {
		t.Error("the allowed rule did not reach the server: the test proves nothing")
	}
}

func TestAllowedBuiltinMustBeOneThatIsOff(t *testing.T) {
	_, err := New(WithAllowedBuiltins("time.now_ns"))
	if err == nil || !strings.Contains(err.Error(), `"time.now_ns": not one that is off by default (those are: http.send, net.lookup_ip_addr, opa.runtime)`) {
		t.Errorf("err = %v", err)
	}
}

// TestOutsideBuiltinsClassified: every nondeterministic builtin of the OPA we link is either off
// by default (outsideBuiltins) or known to stay in the process. An OPA upgrade that adds one fails
// here until someone decides which it is.
func TestOutsideBuiltinsClassified(t *testing.T) {
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		_, outside := outsideBuiltins[b.Name]
		if b.Nondeterministic && !outside && !localNondeterministic[b.Name] {
			t.Errorf("nondeterministic builtin %s is not classified: does it reach outside the process?", b.Name)
		}
	}
	for _, name := range OutsideBuiltins() {
		for _, b := range capabilities(nil).Builtins {
			if b.Name == name {
				t.Errorf("%s is in the default capabilities", name)
			}
		}
	}
}

// A JSON schema's $ref can name a URL, which json.match_schema would fetch: no host is allowed
// unless http.send is.
func TestSchemaRefCannotReachTheNetwork(t *testing.T) {
	for _, b := range capabilities(nil).Builtins {
		if b.Name == "json.match_schema" {
			if caps := capabilities(nil); caps.AllowNet == nil || len(caps.AllowNet) != 0 {
				t.Errorf("AllowNet = %v, want no host", caps.AllowNet)
			}
			if caps := capabilities(map[string]bool{"http.send": true}); caps.AllowNet != nil {
				t.Errorf("with http.send allowed, AllowNet = %v, want every host", caps.AllowNet)
			}
			return
		}
	}
	t.Fatal("json.match_schema is not in the capabilities")
}
