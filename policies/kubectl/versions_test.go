package kubectl

import (
	"slices"
	"strings"
	"testing"
)

var v136 = Versions{Kubectl: Version{1, 36}, Cluster: Version{1, 36}}

func TestImageVersion(t *testing.T) {
	tests := []struct {
		image string
		want  Version
	}{
		{"bitnami/kubectl:1.31.0", Version{1, 31}},
		{"docker.io/bitnami/kubectl:1.31.0-debian-12-r0", Version{1, 31}},
		{"bitnami/kubectl:1.31", Version{1, 31}},
		{"registry.k8s.io/kubectl:v1.30.2", Version{1, 30}},
		{"alpine/k8s:1.29.4", Version{1, 29}},
		{"rancher/kubectl:v1.30.2", Version{1, 30}},
		{"lachlanevenson/k8s-kubectl:v1.25.4", Version{1, 25}},
		{"mirror.example.com:5000/library/bitnami/kubectl:1.33.1", Version{1, 33}},
		{"bitnami/kubectl:1.36.3@sha256:" + strings.Repeat("a", 64), Version{1, 36}},
		// unknown
		{"bitnami/kubectl:latest", Version{}},
		{"bitnami/kubectl", Version{}},
		{"bitnami/kubectl@sha256:" + strings.Repeat("a", 64), Version{}},
		{"dtzar/helm-kubectl:3.14.0", Version{}}, // helm's version
		{"alpine:3.20", Version{}},
		{"example.com/ops/tools:1.31.0", Version{}},
		{"bitnami/kubectl:2.0.0", Version{}},
		{"bitnami/kubectl:1.31rc", Version{}},
		{"bitnami/kubectl:stable-1.31", Version{}},
		{"Bitnami/Kubectl:1.31", Version{}}, // not a valid reference
		{"", Version{}},
	}
	for _, tt := range tests {
		if got := ImageVersion(tt.image); got != tt.want {
			t.Errorf("ImageVersion(%q) = %v, want %v", tt.image, got, tt.want)
		}
	}
}

// TestRequestsVersions: kubectl rollout status and wait list before they watch unless kubectl
// (1.35 and later) and the API server (1.32, 1.34 and later) both use watch-list; when either
// version is unknown, the list is required. The reason is in Request.Assumed.
func TestRequestsVersions(t *testing.T) {
	kubectl := func(minor int) Version { return Version{1, minor} }
	tests := []struct {
		versions     Versions
		listOptional bool
		assumed      string
	}{
		{Versions{Kubectl: kubectl(31), Cluster: kubectl(36)}, false, "kubectl 1.31 lists before it watches"},
		{Versions{Kubectl: kubectl(34), Cluster: kubectl(34)}, false, "kubectl 1.34 lists before it watches"},
		{Versions{Kubectl: kubectl(35), Cluster: kubectl(35)}, true, "kubectl 1.35 streams the list over its watch on a 1.35 cluster"},
		{Versions{Kubectl: kubectl(36), Cluster: kubectl(36)}, true, "kubectl 1.36 streams the list over its watch on a 1.36 cluster"},
		{Versions{Kubectl: kubectl(36), Cluster: kubectl(34)}, true, "kubectl 1.36 streams the list over its watch on a 1.34 cluster"},
		{Versions{Kubectl: kubectl(36), Cluster: kubectl(33)}, false, "kubectl 1.36 lists before it watches on a 1.33 cluster, which does not serve watch-list"},
		{Versions{Kubectl: kubectl(36), Cluster: kubectl(32)}, true, "kubectl 1.36 streams the list over its watch on a 1.32 cluster"},
		{Versions{Kubectl: kubectl(36), Cluster: kubectl(31)}, false, "kubectl 1.36 lists before it watches on a 1.31 cluster, which does not serve watch-list"},
		{Versions{Kubectl: kubectl(36)}, false, "kubectl 1.36 lists before it watches on clusters without watch-list (set --kube-version)"},
		{Versions{Image: "bitnami/kubectl:latest", Cluster: kubectl(36)}, false, `image "bitnami/kubectl:latest" does not say its kubectl version, and kubectl before 1.35 lists before it watches`},
		{Versions{}, false, "kubectl version unknown, and kubectl before 1.35 lists before it watches"},
	}
	commands := []string{"rollout status deploy/web", "wait --for=condition=Available deploy/web"}
	for _, tt := range tests {
		for _, cmd := range commands {
			reqs, err := Find(sh("kubectl "+cmd), nil)[0].RequestsFor("jobs", tt.versions)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(reqs, func(r Request) bool { return r.Verb == "list" })
			if i < 0 {
				t.Fatalf("%s with %+v: no list in %v", cmd, tt.versions, reqs)
			}
			if list := reqs[i]; list.Optional != tt.listOptional || list.Assumed != tt.assumed {
				t.Errorf("%s with %+v: list optional %v, assumed %q; want %v, %q", cmd, tt.versions, list.Optional, list.Assumed, tt.listOptional, tt.assumed)
			}
			if w := slices.IndexFunc(reqs, func(r Request) bool { return r.Verb == "watch" }); w < 0 || reqs[w].Optional || reqs[w].Assumed != "" {
				t.Errorf("%s with %+v: want a required watch that depends on no version, got %v", cmd, tt.versions, reqs)
			}
		}
	}
	// Commands that do not watch do not depend on the versions.
	for _, cmd := range []string{"scale deploy/web --replicas=0", "exec web-1 -- true", "logs deploy/web", "get pods"} {
		old, _ := Find(sh("kubectl "+cmd), nil)[0].RequestsFor("jobs", Versions{Kubectl: kubectl(31)})
		cur, _ := Find(sh("kubectl "+cmd), nil)[0].RequestsFor("jobs", v136)
		if !slices.Equal(old, cur) {
			t.Errorf("%s: kubectl 1.31 requests %v, kubectl 1.36 %v; want the same", cmd, old, cur)
		}
	}
}

// TestRequestsMergeAssumed: a list that one command needs whatever the versions and another only
// because of the kubectl version is required without an assumption; a list required only by the
// version keeps its reason.
func TestRequestsMergeAssumed(t *testing.T) {
	old := Versions{Kubectl: Version{1, 31}}
	m := &mapper{versions: old}
	deployments, _ := lookupType("deployments")
	m.watchObject(deployments, "")
	m.req("list", deployments, "")
	reqs := m.requests()
	if i := slices.IndexFunc(reqs, func(r Request) bool { return r.Verb == "list" }); reqs[i].Optional || reqs[i].Assumed != "" {
		t.Errorf("list needed by get and by an informer: %+v, want required without assumption", reqs[i])
	}

	m = &mapper{versions: v136}
	m.watchObject(deployments, "web")
	m.versions = old
	m.watchObject(deployments, "web")
	reqs = m.requests()
	if i := slices.IndexFunc(reqs, func(r Request) bool { return r.Verb == "list" }); reqs[i].Optional || reqs[i].Assumed != "kubectl 1.31 lists before it watches" {
		t.Errorf("list optional for one informer, required for another: %+v", reqs[i])
	}
}
