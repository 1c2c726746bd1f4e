package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/jobguard/jobguard/policies"
)

// TestServerVersion: the webhook reads the cluster version kubectl's requests are judged for
// from the API server's /version, "36" or a distribution's "36+".
func TestServerVersion(t *testing.T) {
	for minor, want := range map[string]policies.KubeVersion{"36": {Major: 1, Minor: 36}, "31+": {Major: 1, Minor: 31}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/version" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"major": "1", "minor": "` + minor + `", "gitVersion": "v1.` + minor + `.3-distro.1"}`))
		}))
		got, err := serverVersion(&rest.Config{Host: srv.URL})
		srv.Close()
		if err != nil || got != want {
			t.Errorf("minor %q: serverVersion = %v, %v; want %v", minor, got, err, want)
		}
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if v, err := serverVersion(&rest.Config{Host: srv.URL}); err == nil {
		t.Errorf("no /version: serverVersion = %v, want an error", v)
	}
}
