package main

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"
)

// TestGCTunedBeforeHeavyInitialisers: internal/gctune's initialiser runs before those that
// allocate most at start, or they are collected at the default GOGC, which is what it is for.
// The order is Go's (by import path among the packages whose imports are initialised), read from
// GODEBUG=inittrace=1 of this test binary, which links the command's packages.
func TestGCTunedBeforeHeavyInitialisers(t *testing.T) {
	if os.Getenv("JOBGUARD_INITTRACE_CHILD") != "" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestGCTunedBeforeHeavyInitialisers$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "JOBGUARD_INITTRACE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var order []string
	for _, m := range regexp.MustCompile(`(?m)^init (\S+) @`).FindAllSubmatch(out, -1) {
		order = append(order, string(m[1]))
	}
	tune := slices.Index(order, "github.com/jobguard/jobguard/internal/gctune")
	if tune < 0 {
		t.Fatalf("internal/gctune's initialiser did not run; inittrace:\n%s", out)
	}
	for _, heavy := range []string{
		"k8s.io/client-go/kubernetes/scheme",
		"github.com/santhosh-tekuri/jsonschema/v6",
		"k8s.io/api/core/v1",
	} {
		if i := slices.Index(order, heavy); i < 0 {
			t.Errorf("%s is not initialised any more: choose another package that allocates at start", heavy)
		} else if i < tune {
			t.Errorf("%s is initialised before internal/gctune (%d, %d)", heavy, i, tune)
		}
	}
}
