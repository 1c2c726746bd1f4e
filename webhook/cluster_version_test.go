package webhook_test

import (
	"context"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
	"github.com/jobguard/jobguard/webhook"
)

// allButList is an AccessChecker that grants everything but list.
type allButList struct{}

func (allButList) Check(_ context.Context, _ rbac.ServiceAccount, req kubectl.Request) (rbac.Verdict, error) {
	return rbac.Verdict{Known: true, Allowed: req.Verb != "list"}, nil
}

// TestClusterVersionDecidesKubectlRequests: the webhook judges kubectl's requests for the cluster
// version jobguard serve reads from the API server (EngineOptions, WithClusterVersion). kubectl
// 1.36 streams the list of rollout status over its watch on a 1.36 cluster, so RBAC without list
// is enough there; a 1.33 API server does not serve watch-list, and no known cluster means list
// may be needed.
func TestClusterVersionDecidesKubectlRequests(t *testing.T) {
	cron := yamlJSON(t, strings.Replace(restartCronJob, "kubectl rollout restart deployment/web", "kubectl rollout status deployment/web", 1))
	v := func(minor int) []policies.Option {
		return []policies.Option{policies.WithClusterVersion(policies.KubeVersion{Major: 1, Minor: minor})}
	}
	tests := []struct {
		name    string
		opts    []policies.Option
		allowed bool
		why     string
	}{
		{"1.36 cluster", v(36), true, ""},
		{"1.33 cluster", v(33), false, "(kubectl 1.36 lists before it watches on a 1.33 cluster, which does not serve watch-list)"},
		{"cluster version unknown", nil, false, "(kubectl 1.36 lists before it watches on clusters without watch-list (set --kube-version))"},
	}
	for _, tt := range tests {
		s := newServerWith(t, webhook.Options{AccessChecker: allButList{}, EngineOptions: tt.opts})
		resp := s.Validator().Handle(ctx, request(t, admissionv1.Create, cron))
		if resp.Allowed != tt.allowed || !tt.allowed && !strings.Contains(message(resp), "needs list on deployments (group apps) \"web\" "+tt.why) {
			t.Errorf("%s: allowed=%v %q; want allowed=%v, a missing list saying %q", tt.name, resp.Allowed, message(resp), tt.allowed, tt.why)
		}
	}
}
