package policies_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
)

// countingChecker denies every request and counts how often each is asked about.
type countingChecker struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingChecker) Check(_ context.Context, sa rbac.ServiceAccount, req kubectl.Request) (rbac.Verdict, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[fmt.Sprintf("%s %+v", sa, req)]++
	return rbac.Verdict{Known: true}, nil
}

// TestRBACCheckAskedOncePerRequest: rbac-insufficient reads each request's verdict twice (is the
// RBAC known at all, then is the request allowed), and the webhook's checker sends a
// SubjectAccessReview per question: one evaluation asks about each request once.
func TestRBACCheckAskedOncePerRequest(t *testing.T) {
	engine := newEngine(t)
	cronJob := object(t, map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "CronJob",
		"metadata":   map[string]any{"name": "restart", "namespace": "ops"},
		"spec": map[string]any{"schedule": "0 3 * * *", "jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"serviceAccountName": "restarter",
			"restartPolicy":      "OnFailure",
			"containers": []any{map[string]any{
				"name": "kubectl", "image": "bitnami/kubectl:1.36",
				"command": []any{"sh", "-c", "kubectl scale deployment web --replicas=0 && kubectl scale deployment web --replicas=1"},
			}},
		}}}}},
	})
	checker := &countingChecker{calls: map[string]int{}}
	findings, err := engine.Evaluate(context.Background(), cronJob, policies.WithAccessChecker(checker))
	if err != nil {
		t.Fatal(err)
	}
	insufficient := 0
	for _, f := range findings {
		if f.Rule == "rbac-insufficient" {
			insufficient++
		}
	}
	if insufficient != 2 {
		t.Fatalf("%d rbac-insufficient findings, want one per kubectl command: %+v", insufficient, findings)
	}
	if len(checker.calls) == 0 {
		t.Fatal("the checker was not asked")
	}
	for req, n := range checker.calls {
		if n != 1 {
			t.Errorf("asked %d times about %s", n, req)
		}
	}
}
