package webhook_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/webhook"
)

// answer is what the webhook server answered over HTTP.
type answer struct {
	status int
	review admissionv1.AdmissionReview
}

// postHTTP POSTs body to url as the API server does, over a real connection.
func postHTTP(t *testing.T, url, contentType string, body []byte) answer {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode}
	if err := json.Unmarshal(raw, &a.review); err != nil || a.review.Response == nil {
		t.Fatalf("HTTP %d, the answer is not an AdmissionReview with a response (%v): %.300s", resp.StatusCode, err, raw)
	}
	return a
}

// jobReview is an admission.k8s.io/v1 AdmissionReview of the CREATE of a Job, obj, with the UID
// uid (none if "").
func jobReview(t *testing.T, uid, obj string) map[string]any {
	t.Helper()
	var o any
	if err := json.Unmarshal([]byte(obj), &o); err != nil {
		t.Fatal(err)
	}
	req := map[string]any{
		"kind":      map[string]any{"group": "batch", "version": "v1", "kind": "Job"},
		"resource":  map[string]any{"group": "batch", "version": "v1", "resource": "jobs"},
		"namespace": "default",
		"operation": "CREATE",
		"userInfo":  map[string]any{"username": "alice"},
		"object":    o,
	}
	if uid != "" {
		req["uid"] = uid
	}
	return map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// badJob has no restartPolicy (an error: denied) and no ttlSecondsAfterFinished (a warning).
const badJob = `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"bad","namespace":"default"},
"spec":{"template":{"spec":{"containers":[{"name":"a","image":"busybox:1.36"}]}}}}`

// TestHostileRequests sends malformed, oversized and unexpected requests to both webhooks over
// HTTP. Each is answered with HTTP 200 and an AdmissionReview: a 4xx refusal that says why, or a
// verdict; never a 500, which is what a panic in a handler would give.
func TestHostileRequests(t *testing.T) {
	s := newServer(t, "", nil)
	srv := httptest.NewServer(s.WebhookHandler())
	defer srv.Close()

	v1beta1 := jobReview(t, "b1", badJob)
	v1beta1["apiVersion"] = "admission.k8s.io/v1beta1"
	v2 := jobReview(t, "v2", badJob)
	v2["apiVersion"] = "admission.k8s.io/v2"
	wrongKind := jobReview(t, "wk", badJob)
	wrongKind["kind"] = "AdmissionRequest"
	pod := jobReview(t, "pod", badJob)
	pod["apiVersion"], pod["kind"] = "v1", "Pod"
	noUID := jobReview(t, "", badJob)
	unknownKind := jobReview(t, "uk", `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"template":"not a pod"}}`)
	unknownKind["request"].(map[string]any)["kind"] = map[string]any{"group": "example.com", "version": "v1", "kind": "Widget"}
	stringObject := jobReview(t, "str", `"apiVersion: batch/v1"`)
	nullObject := jobReview(t, "null", `null`)
	arrayObject := jobReview(t, "arr", `[{"kind":"Job"}]`)
	// An object larger than controller-runtime's cap on request bodies (7 MiB, maxRequestSize in
	// sigs.k8s.io/controller-runtime/pkg/webhook/admission/http.go).
	huge := jobReview(t, "huge", `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"huge","annotations":{"a":"`+strings.Repeat("x", 10<<20)+`"}}}`)
	// Under the cap, a big object is reviewed.
	// The 5 MB are an env value: annotations over 256 KiB are rejected by the API server (and by invalid-field).
	big := jobReview(t, "big", `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"big"},
"spec":{"ttlSecondsAfterFinished":60,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"a","image":"busybox:1.36",
"env":[{"name":"PAYLOAD","value":"`+strings.Repeat("x", 5<<20)+`"}]}]}}}}`)

	for _, c := range []struct {
		name        string
		contentType string
		body        []byte
		// code is the response's status; for 200, allowed says the verdict.
		code    int32
		allowed bool
		// want is a substring of the response's message; uid the response's UID.
		want, uid string
		// envelope is the apiVersion and kind of the answer: by default "admission.k8s.io/v1
		// AdmissionReview"; "none" when the request was refused before it was decoded.
		envelope string
		// mutateAllows: the mutating webhook allows the request (it never denies, and it allows
		// anything but a CREATE without looking at it).
		mutateAllows bool
		// quiet: no warnings either.
		quiet bool
	}{
		{name: "malformed JSON", body: []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{`), code: 400, want: "json parse error: unexpected end of JSON input", envelope: "none"},
		// controller-runtime reads YAML too, which refuses control characters.
		{name: "binary", body: []byte("\x00\xff\xfe binary"), code: 400, want: "yaml: control characters are not allowed", envelope: "none"},
		{name: "empty body", body: nil, code: 400, want: "request body is empty", envelope: "none"},
		{name: "empty object", body: []byte(`{}`), code: 400, want: `expected an AdmissionReview of admission.k8s.io/v1 or v1beta1, got "" ""`},
		{name: "no request", body: []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), code: 400, want: "no uid", mutateAllows: true},
		{name: "10 MB body", body: marshal(t, huge), code: 413, want: "request entity is too large; limit is 7340032 bytes", envelope: "none"},
		{name: "5 MB object", body: marshal(t, big), code: 200, allowed: true, uid: "big"},
		{name: "v1beta1 review", body: marshal(t, v1beta1), code: 403, want: "[job-restart-policy]", uid: "b1", envelope: "admission.k8s.io/v1beta1 AdmissionReview", mutateAllows: true},
		// controller-runtime decodes any apiVersion and kind as a v1 review (it coerces on
		// purpose, for v1beta1) and answers in the request's apiVersion and kind; jobguard's
		// handlers never see them. The API server only sends v1 and v1beta1.
		{name: "unknown review version", body: marshal(t, v2), code: 400, want: `got "admission.k8s.io/v2" "AdmissionReview"`},
		{name: "wrong kind", body: marshal(t, wrongKind), code: 400, want: `got "admission.k8s.io/v1" "AdmissionRequest"`},
		{name: "a Pod, not a review", body: marshal(t, pod), code: 400, want: `expected an AdmissionReview of admission.k8s.io/v1 or v1beta1, got "v1" "Pod"`},
		{name: "no UID", body: marshal(t, noUID), code: 400, want: "jobguard: the admission request has no uid"},
		{name: "unknown kind", body: marshal(t, unknownKind), code: 200, allowed: true, uid: "uk", quiet: true},
		{name: "object is a string", body: marshal(t, stringObject), code: 400, want: "must be a JSON object, got string", uid: "str"},
		{name: "object is null", body: marshal(t, nullObject), code: 400, want: "has no object to review", uid: "null"},
		{name: "object is an array", body: marshal(t, arrayObject), code: 400, want: "must be a JSON object, got array", uid: "arr"},
		{name: "text/plain", contentType: "text/plain", body: marshal(t, jobReview(t, "tp", badJob)), code: 400, want: "contentType=text/plain, expected application/json", envelope: "none"},
		{name: "JSON with a charset", contentType: "application/json; charset=utf-8", body: marshal(t, jobReview(t, "cs", badJob)), code: 400, want: "expected application/json", envelope: "none"},
	} {
		for _, path := range []string{webhook.ValidatePath, webhook.MutatePath} {
			contentType := c.contentType
			if contentType == "" {
				contentType = "application/json"
			}
			a := postHTTP(t, srv.URL+path, contentType, c.body)
			resp := a.review.Response
			code, allowed, msg := int32(200), resp.Allowed, ""
			if resp.Result != nil {
				code, msg = resp.Result.Code, resp.Result.Message
			}
			if path == webhook.MutatePath && c.mutateAllows {
				if a.status != 200 || !allowed || code != 200 {
					t.Errorf("%s, %s: HTTP %d allowed=%v code=%d %q, want allowed", c.name, path, a.status, allowed, code, msg)
				}
				continue
			}
			t.Logf("%s, %s: HTTP %d, allowed=%v, %d %q", c.name, path, a.status, allowed, code, truncate(msg, 200))
			if a.status != http.StatusOK || code != c.code || allowed != c.allowed || !strings.Contains(msg, c.want) {
				t.Errorf("%s, %s: HTTP %d allowed=%v code=%d %q; want HTTP 200, allowed=%v, %d %q",
					c.name, path, a.status, allowed, code, truncate(msg, 300), c.allowed, c.code, c.want)
			}
			if c.quiet && len(resp.Warnings) > 0 {
				t.Errorf("%s, %s: warnings %q, want none", c.name, path, resp.Warnings)
			}
			if string(resp.UID) != c.uid {
				t.Errorf("%s, %s: response UID %q, want %q", c.name, path, resp.UID, c.uid)
			}
			wantEnvelope := cmp.Or(c.envelope, "admission.k8s.io/v1 AdmissionReview")
			if wantEnvelope == "none" {
				wantEnvelope = " "
			}
			if envelope := a.review.APIVersion + " " + a.review.Kind; envelope != wantEnvelope {
				t.Errorf("%s, %s: answered with %q, want %q", c.name, path, envelope, wantEnvelope)
			}
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// A custom rule that runs for minutes: 10^10 iterations.
const endlessRule = `# METADATA
# title: Endless
# description: Never finishes in time.
# custom:
#   id: endless
#   severity: error
#   kinds: [Job]
#   remediation: None.
package jobguard.rules.custom.endless

import data.jobguard.lib.result

deny contains result.fail("never", ["spec"]) if {
	n := count([x | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000); x := i * j])
	n < 0
}
`

// TestEvalTimeoutOverHTTP: a rule that would run for minutes (with a fix, so that the mutating
// webhook runs it too) is cut off at Options.EvalTimeout,
// and the API server gets a 500 that names the timeout well before its own 5s timeoutSeconds.
// The rule comes through Options.EngineOptions, as `jobguard serve` passes its own.
func TestEvalTimeoutOverHTTP(t *testing.T) {
	s, err := webhook.New(webhook.Options{
		EngineOptions: []policies.Option{policies.WithPolicies(fstest.MapFS{"endless.rego": {Data: []byte(withFix(endlessRule))}})},
		EvalTimeout:   300 * time.Millisecond,
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.WebhookHandler())
	defer srv.Close()
	for _, path := range []string{webhook.ValidatePath, webhook.MutatePath} {
		start := time.Now()
		a := postHTTP(t, srv.URL+path, "application/json", marshal(t, jobReview(t, "slow", badJob)))
		took := time.Since(start)
		resp := a.review.Response
		t.Logf("%s: %s, HTTP %d, %+v", path, took.Round(time.Millisecond), a.status, resp.Result)
		if took > 2*time.Second {
			t.Errorf("%s: answered after %s, want about the 300ms timeout, well before the API server's 5s", path, took)
		}
		if a.status != 200 || resp.Allowed || resp.UID != "slow" || resp.Result == nil || resp.Result.Code != 500 ||
			!strings.Contains(resp.Result.Message, "evaluating the rules on Job default/bad took longer than 300ms") {
			t.Errorf("%s: HTTP %d allowed=%v uid=%q %+v, want a 500 naming the timeout", path, a.status, resp.Allowed, resp.UID, resp.Result)
		}
	}
	if webhook.DefaultEvalTimeout >= 5*time.Second {
		t.Errorf("DefaultEvalTimeout = %s, want it below the webhook configurations' 5s timeoutSeconds", webhook.DefaultEvalTimeout)
	}
}
