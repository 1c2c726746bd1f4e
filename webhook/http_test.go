package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/jobguard/jobguard/hack/loadgen/load"
	"github.com/jobguard/jobguard/webhook"
)

// review is the AdmissionReview the API server POSTs for req.
func review(t *testing.T, req admission.Request) []byte {
	t.Helper()
	ar := admissionv1.AdmissionReview{Request: &req.AdmissionRequest}
	ar.APIVersion, ar.Kind = "admission.k8s.io/v1", "AdmissionReview"
	b, err := json.Marshal(ar)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(t *testing.T, h http.Handler, path, contentType string, body []byte) (int, admissionv1.AdmissionReview) {
	t.Helper()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	h.ServeHTTP(rec, r)
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &ar); err != nil {
		t.Fatalf("the response is not an AdmissionReview: %v\n%s", err, rec.Body)
	}
	if ar.Response == nil {
		t.Fatalf("the AdmissionReview has no response: %s", rec.Body)
	}
	return rec.Code, ar
}

// TestServeHTTP goes through controller-runtime's transport, as the API server's calls do.
func TestServeHTTP(t *testing.T) {
	s := newServer(t, "", nil)
	validate := &admission.Webhook{Handler: s.Validator()}

	req := request(t, admissionv1.Create, fixture(t, "job-restart-policy/bad.yaml", "Job", "migrate"))
	req.UID = "0b1c1a5e-7d1f-4c4e-9a51-3b0f3c0c2a11"
	status, ar := post(t, validate, "/validate", "application/json", review(t, req))
	if status != http.StatusOK {
		t.Errorf("HTTP status %d, want 200 (the verdict is in the review)", status)
	}
	if ar.APIVersion != "admission.k8s.io/v1" || ar.Kind != "AdmissionReview" {
		t.Errorf("response is %s %s, want admission.k8s.io/v1 AdmissionReview", ar.APIVersion, ar.Kind)
	}
	if ar.Response.UID != req.UID {
		t.Errorf("response UID %q, want the request's %q", ar.Response.UID, req.UID)
	}
	if ar.Response.Allowed || ar.Response.Result.Code != 403 || !strings.HasPrefix(ar.Response.Result.Message, "[job-restart-policy] ") {
		t.Errorf("allowed=%v result=%+v, want a 403 denial by job-restart-policy", ar.Response.Allowed, ar.Response.Result)
	}
	if len(ar.Response.Warnings) != 1 {
		t.Errorf("warnings = %q, want job-missing-ttl's", ar.Response.Warnings)
	}
}

// TestWebhookHandler uses the Server's own mux, both paths, and the patch as the API server reads it.
func TestWebhookHandler(t *testing.T) {
	s := newServer(t, "", nil)
	job := fixture(t, "job-missing-ttl/bad.yaml", "Job", "reindex")
	req := request(t, admissionv1.Create, job)

	_, ar := post(t, s.WebhookHandler(), webhook.MutatePath, "application/json", review(t, req))
	if ar.Response.UID != req.UID || !ar.Response.Allowed {
		t.Fatalf("uid=%q allowed=%v, want %q allowed", ar.Response.UID, ar.Response.Allowed, req.UID)
	}
	if ar.Response.PatchType == nil || *ar.Response.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Fatalf("patchType = %v, want JSONPatch", ar.Response.PatchType)
	}
	if want := `[{"op":"add","path":"/spec/ttlSecondsAfterFinished","value":86400}]`; string(ar.Response.Patch) != want {
		t.Errorf("patch = %s, want %s", ar.Response.Patch, want)
	}

	_, ar = post(t, s.WebhookHandler(), webhook.ValidatePath, "application/json", review(t, req))
	if ar.Response.UID != req.UID || !ar.Response.Allowed || len(ar.Response.Warnings) != 1 {
		t.Errorf("validate: uid=%q allowed=%v warnings=%q", ar.Response.UID, ar.Response.Allowed, ar.Response.Warnings)
	}
}

// TestBadHTTPRequests: controller-runtime answers malformed reviews; an undecodable object is
// answered by jobguard; neither panics.
func TestBadHTTPRequests(t *testing.T) {
	s := newServer(t, "", nil)
	req := request(t, admissionv1.Create, []byte(`{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"x"}}`))
	req.Object = runtime.RawExtension{Raw: []byte(`["not", "an", "object"]`)}
	for name, c := range map[string]struct {
		contentType string
		body        []byte
		wantCode    int32
	}{
		"not JSON":             {"application/json", []byte("kind: AdmissionReview"), 400},
		"wrong content type":   {"text/plain", review(t, req), 400},
		"empty":                {"application/json", []byte("{}"), 400},
		"object not an object": {"application/json", review(t, req), 400},
		"review without a UID": {"application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}`), 400},
	} {
		_, ar := post(t, s.WebhookHandler(), webhook.ValidatePath, c.contentType, c.body)
		if ar.Response.Allowed || ar.Response.Result == nil || ar.Response.Result.Code != c.wantCode {
			t.Errorf("%s: allowed=%v result=%+v, want a %d", name, ar.Response.Allowed, ar.Response.Result, c.wantCode)
		}
	}
}

// TestSameAnswersAsControllerRuntime: for reviews, jobguard's HTTP handler (which parses a
// review once) answers byte for byte as controller-runtime's transport (admission.Webhook's
// ServeHTTP) does: every review of hack/loadgen's mix, as v1 and as v1beta1, and the fuzz seeds
// that are reviews of either version.
func TestSameAnswersAsControllerRuntime(t *testing.T) {
	s := newServer(t, "", nil)
	bodies, err := load.MixFrom("../testdata")
	if err != nil {
		t.Fatal(err)
	}
	type c struct {
		name, path string
		body       []byte
	}
	var cases []c
	for _, b := range bodies {
		body := b.Fill("0b1c1a5e-7d1f-4c4e-9a51-3b0f3c0c2a11")
		cases = append(cases, c{b.Name, b.Path, body},
			c{b.Name + " v1beta1", b.Path, bytes.Replace(body, []byte(`"admission.k8s.io/v1"`), []byte(`"admission.k8s.io/v1beta1"`), 1)})
	}
	for i, seed := range fuzzSeeds {
		for _, path := range []string{webhook.ValidatePath, webhook.MutatePath} {
			cases = append(cases, c{fmt.Sprintf("fuzz seed %d", i), path, []byte(seed)})
		}
	}
	compared := 0
	for _, c := range cases {
		var env admissionv1.AdmissionReview // read as the handler reads it: case-sensitive keys
		if utiljson.Unmarshal(c.body, &env) != nil || env.Kind != "AdmissionReview" ||
			env.APIVersion != "admission.k8s.io/v1" && env.APIVersion != "admission.k8s.io/v1beta1" {
			continue // not a review: jobguard answers 400 where controller-runtime would not
		}
		h := s.Validator()
		if c.path == webhook.MutatePath {
			h = s.Mutator()
		}
		answer := func(handler http.Handler) (int, string) {
			rec := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, c.path, bytes.NewReader(c.body))
			r.Header.Set("Content-Type", "application/json")
			handler.ServeHTTP(rec, r)
			return rec.Code, rec.Body.String()
		}
		gotCode, got := answer(s.WebhookHandler())
		wantCode, want := answer(&admission.Webhook{Handler: h})
		if gotCode != wantCode || got != want {
			t.Errorf("%s: HTTP %d %s\ncontroller-runtime: HTTP %d %s", c.name, gotCode, got, wantCode, want)
		}
		compared++
	}
	if compared < 2*len(bodies) {
		t.Errorf("compared %d answers, want at least %d", compared, 2*len(bodies))
	}
}
