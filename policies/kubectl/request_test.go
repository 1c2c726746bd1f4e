package kubectl

import (
	"encoding/json"
	"testing"
)

func TestRequestRule(t *testing.T) {
	tests := []struct {
		req  Request
		want string
	}{
		{
			Request{Group: "apps", Resource: "deployments", Subresource: "scale", Verb: "patch", Namespace: "ns", Name: "example-deployment"},
			`{apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["patch"], resourceNames: ["example-deployment"]}`,
		},
		{
			Request{Resource: "pods", Verb: "list", Namespace: "ns"},
			`{apiGroups: [""], resources: ["pods"], verbs: ["list"]}`,
		},
		{
			Request{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews", Verb: "create"},
			`{apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews"], verbs: ["create"]}`,
		},
	}
	for _, tt := range tests {
		if got := tt.req.Rule(); got != tt.want {
			t.Errorf("Rule() = %s, want %s", got, tt.want)
		}
	}
}

func TestRequestString(t *testing.T) {
	tests := []struct {
		req  Request
		want string
	}{
		{Request{Group: "apps", Resource: "deployments", Subresource: "scale", Verb: "patch", Namespace: "ns", Name: "web"}, `patch deployments.apps/scale "web" in namespace "ns"`},
		{Request{Resource: "pods", Verb: "list", AllNamespaces: true}, `list pods in all namespaces`},
		{Request{Resource: "nodes", Verb: "get", Name: "n1", Optional: true}, `get nodes "n1" (cluster-scoped) (optional)`},
	}
	for _, tt := range tests {
		if got := tt.req.String(); got != tt.want {
			t.Errorf("String() = %s, want %s", got, tt.want)
		}
		if tt.req.ClusterScoped() != (tt.req.Namespace == "" && !tt.req.AllNamespaces) {
			t.Errorf("ClusterScoped() = %v for %v", tt.req.ClusterScoped(), tt.req)
		}
	}
}

// A Rego builtin returns Analyze's results as JSON: keep its shape stable.
func TestAnalyzeJSON(t *testing.T) {
	results := Analyze(sh("kubectl -n $NS get pods; kubectl scale deploy/web --replicas=0"), nil, "jobs")
	got, err := json.Marshal(results)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"invocation":{"args":[{"value":"-n","resolved":true},{"value":"$NS","resolved":false},{"value":"get","resolved":true},{"value":"pods","resolved":true}],"text":"kubectl -n $NS get pods","position":{"field":"command","index":2,"offset":0}},"requests":[],"unresolved":"namespace $NS is not a literal"},` +
		`{"invocation":{"args":[{"value":"scale","resolved":true},{"value":"deploy/web","resolved":true},{"value":"--replicas=0","resolved":true}],"text":"kubectl scale deploy/web --replicas=0","position":{"field":"command","index":2,"offset":25}},"requests":[` +
		`{"group":"apps","resource":"deployments","subresource":"","verb":"get","namespace":"jobs","allNamespaces":false,"name":"web","optional":false},` +
		`{"group":"apps","resource":"deployments","subresource":"scale","verb":"patch","namespace":"jobs","allNamespaces":false,"name":"web","optional":false}]}]`
	if string(got) != want {
		t.Errorf("json =\n%s\nwant\n%s", got, want)
	}
}
