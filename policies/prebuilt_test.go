package policies

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

var updatePrebuilt = flag.Bool("update-prebuilt", false, "write prebuilt.plan from the bundled rules (make plan)")

// TestPrebuiltIsCurrent: prebuilt.plan is what makePrebuilt makes of today's bundled rules, so an
// engine of them starts from it with the rules and plan it would make itself. `make plan`
// rewrites it.
func TestPrebuiltIsCurrent(t *testing.T) {
	want, err := makePrebuilt()
	if err != nil {
		t.Fatal(err)
	}
	if *updatePrebuilt {
		if err := os.WriteFile("prebuilt.plan", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(prebuiltFile, want) {
		t.Fatal("prebuilt.plan is not what the bundled rules make today: run `make plan`")
	}
	pre := bundledPrebuilt()
	if pre == nil {
		t.Fatal("the embedded prebuilt.plan was not read")
	}
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if e.modules != nil {
		t.Error("an engine of the bundled rules parsed them: the prebuilt plan was not used")
	}
	parsed := &Engine{byID: map[string]*Rule{}, opts: defaultOptions()}
	if _, err := parsed.load(); err != nil {
		t.Fatal(err)
	}
	if len(e.rules) != len(parsed.rules) {
		t.Fatalf("%d prebuilt rules, %d parsed", len(e.rules), len(parsed.rules))
	}
	for i, r := range e.rules {
		p := parsed.rules[i]
		if !r.pkg.Equal(p.pkg) || r.readsWorkload != p.readsWorkload {
			t.Errorf("rule %s: package %v, reads the model %t; parsed: %v, %t", r.ID, r.pkg, r.readsWorkload, p.pkg, p.readsWorkload)
		}
		a, b := *r, *p
		a.pkg, b.pkg = ast.Ref{}, ast.Ref{}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("rule %s: prebuilt metadata %+v, parsed %+v", r.ID, a, b)
		}
	}
}

// TestPrebuiltFromOtherSources: a prebuilt file made from other sources (its key differs) is
// not used.
func TestPrebuiltFromOtherSources(t *testing.T) {
	stale := bytes.Replace(prebuiltFile, []byte(`"key":"`), []byte(`"key":"0`), 1)
	if bytes.Equal(stale, prebuiltFile) {
		t.Fatal("no key in prebuilt.plan")
	}
	if _, err := decodePrebuilt(stale); err == nil {
		t.Error("a prebuilt plan of other sources was accepted")
	}
	if _, err := decodePrebuilt(prebuiltFile); err != nil {
		t.Errorf("today's prebuilt plan: %v", err)
	}
}
