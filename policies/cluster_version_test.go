package policies

import (
	"testing"

	"github.com/jobguard/jobguard/policies/kubectl"
)

// TestClusterVersionOptions: the kubectl mapping assumes a cluster version only when one is
// given: WithClusterVersion (the webhook's API server), else WithKubeVersion (--kube-version,
// .jobguard.yaml); DefaultKubeVersion, which deprecated-api targets, is not taken for it.
func TestClusterVersionOptions(t *testing.T) {
	v := func(minor int) KubeVersion { return KubeVersion{Major: 1, Minor: minor} }
	tests := []struct {
		opts []Option
		want kubectl.Version
	}{
		{nil, kubectl.Version{}},
		{[]Option{WithKubeVersion(v(33))}, kubectl.Version{Major: 1, Minor: 33}},
		{[]Option{WithClusterVersion(v(35)), WithKubeVersion(v(33))}, kubectl.Version{Major: 1, Minor: 35}},
	}
	for _, tt := range tests {
		e, err := New(tt.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.workloadOptions().Cluster; got != tt.want {
			t.Errorf("cluster version = %v, want %v", got, tt.want)
		}
	}
}
