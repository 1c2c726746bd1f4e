package kubectl

import (
	"errors"
	"strings"
	"testing"
)

// FuzzFind checks that no script or command line makes Find or Requests
// panic, and that Requests only fails with an *UnresolvedError.
func FuzzFind(f *testing.F) {
	for _, seed := range []string{
		"kubectl scale deployment example-deployment -n example-namespace --replicas=0",
		"kubectl exec example-redis -n redis -- redis-cli flushall",
		"set -e; NS=redis; kubectl -n $NS get pods && kubectl logs deploy/web | grep x; if kubectl get cm x; then :; fi",
		`for p in $(kubectl get pods -o name); do timeout 30 kubectl delete "$p" --wait=false; done`,
		`sh -c "bash -c 'kubectl get pods -A -w'" | xargs kubectl delete`,
		"kubectl cp ns/pod:/a /b -c c; kubectl port-forward svc/x 80 &",
		"kubectl -nfoo -it=false --dry-run rollout undo sts/db --to-revision=2",
		"eval \"kubectl get $X\"; ${K:-kubectl} get; env -i A=1 kubectl",
		"kubectl get pods; if then",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, script string) {
		invs := Find([]string{"sh", "-c", script}, nil)
		invs = append(invs, Find(append([]string{"kubectl"}, strings.Fields(script)...), nil)...)
		for _, inv := range invs {
			_, err := inv.Requests("ns")
			var unresolved *UnresolvedError
			if err != nil && !errors.As(err, &unresolved) {
				t.Errorf("Requests() error %T: %v", err, err)
			}
		}
	})
}
