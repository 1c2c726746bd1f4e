package workload

import (
	"testing"

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
