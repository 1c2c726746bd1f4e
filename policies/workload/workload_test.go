package workload

import (
	"fmt"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/jobguard/jobguard/policies/kubectl"
)

// TestAnalysisKey: inputs that differ anywhere give different keys, however their words could be
// run together; equal inputs give equal keys.
func TestAnalysisKey(t *testing.T) {
	v := func(kubectlMinor, clusterMinor int, image string) kubectl.Versions {
		return kubectl.Versions{Kubectl: kubectl.Version{Major: 1, Minor: kubectlMinor}, Cluster: kubectl.Version{Major: 1, Minor: clusterMinor}, Image: image}
	}
	base := v(31, 36, "bitnami/kubectl:1.31.0")
	inputs := []struct {
		command, args []string
		namespace     string
		versions      kubectl.Versions
	}{
		{[]string{"sh", "-c"}, []string{"kubectl get pods"}, "team", base},
		{[]string{"sh"}, []string{"-c", "kubectl get pods"}, "team", base},
		{[]string{"sh", "-c", "kubectl get pods"}, nil, "team", base},
		{[]string{"sh -c"}, []string{"kubectl get pods"}, "team", base},
		{[]string{"sh", "-c"}, []string{"kubectl get pods"}, "teams", base},
		{[]string{"sh", "-c"}, []string{"kubectl get pods"}, "", base},
		{[]string{"sh", "-c"}, []string{"kubectl get podsteam"}, "", base},
		{[]string{"sh", "-c"}, []string{"kubectl get pods"}, "team", v(31, 35, "bitnami/kubectl:1.31.0")},
		{[]string{"sh", "-c"}, []string{"kubectl get pods"}, "team", v(3, 136, "bitnami/kubectl:1.31.0")},
		{[]string{"sh", "-c"}, []string{"kubectl get pods"}, "team", v(31, 36, "bitnami/kubectl:1.31.1")},
	}
	seen := map[string]int{}
	for i, in := range inputs {
		key := analysisKey(in.command, in.args, in.namespace, in.versions)
		if j, ok := seen[key]; ok {
			t.Errorf("inputs %d and %d have the same key %q", j, i, key)
		}
		seen[key] = i
		if again := analysisKey(append([]string(nil), in.command...), append([]string(nil), in.args...), in.namespace, in.versions); again != key {
			t.Errorf("input %d: key %q, then %q", i, key, again)
		}
	}
}

// TestAnalysisIDsDoNotCopyTheScript: a script of many kubectl commands gives each invocation an
// Analysis of bounded size, not a copy of the whole script (which made memory quadratic in the
// number of commands).
func TestAnalysisIDsDoNotCopyTheScript(t *testing.T) {
	var script strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&script, "kubectl get pods p%d\n", i)
	}
	job := ast.MustParseTerm(fmt.Sprintf(`{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "ops"},
		"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "bitnami/kubectl:1.36.3", "command": ["sh", "-c", %q]}]}}}}`, script.String())).Value.(ast.Object)
	w, ok := Of(job, Options{})
	if !ok || len(w.Invocations) != 2000 {
		t.Fatalf("Of: ok=%v, %d invocations, want 2000", ok, len(w.Invocations))
	}
	ids := map[string]bool{}
	for _, inv := range w.Invocations {
		if len(inv.Analysis) > 100 {
			t.Fatalf("Analysis is %d bytes: it copies the script", len(inv.Analysis))
		}
		ids[inv.Analysis] = true
	}
	if len(ids) != len(w.Invocations) {
		t.Errorf("%d distinct Analysis for %d invocations", len(ids), len(w.Invocations))
	}
}
