package kubectl

import "testing"

func TestLookupType(t *testing.T) {
	tests := []struct {
		arg, want string // want is "" when kubectl would not know the type
	}{
		{"pods", "pods"},
		{"pod", "pods"},
		{"po", "pods"},
		{"Pod", "pods"},
		{"deploy", "deployments.apps"},
		{"Deployment", "deployments.apps"},
		{"deployments.apps", "deployments.apps"},
		{"deployment.v1.apps", "deployments.apps"},
		{"sts", "statefulsets.apps"},
		{"rs", "replicasets.apps"},
		{"ds", "daemonsets.apps"},
		{"cj", "cronjobs.batch"},
		{"jobs.batch", "jobs.batch"},
		{"svc", "services"},
		{"cm", "configmaps"},
		{"ns", "namespaces"},
		{"no", "nodes"},
		{"sa", "serviceaccounts"},
		{"pvc", "persistentvolumeclaims"},
		{"ev", "events"},
		{"events.events.k8s.io", "events.events.k8s.io"},
		{"ing", "ingresses.networking.k8s.io"},
		{"hpa", "horizontalpodautoscalers.autoscaling"},
		{"clusterrolebindings", "clusterrolebindings.rbac.authorization.k8s.io"},
		{"rc", "replicationcontrollers"},
		{"ep", "endpoints"},
		{"pods.metrics.k8s.io", "pods.metrics.k8s.io"},
		{"deploy.batch", ""},
		{"widgets", ""},
		{"widgets.example.com", ""},
	}
	for _, tt := range tests {
		got := ""
		if rt, ok := lookupType(tt.arg); ok {
			got = rt.String()
		}
		if got != tt.want {
			t.Errorf("lookupType(%q) = %q, want %q", tt.arg, got, tt.want)
		}
	}
}
