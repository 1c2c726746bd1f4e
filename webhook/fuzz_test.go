package webhook_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/jobguard/jobguard/webhook"
)

// FuzzValidate POSTs arbitrary bodies to the validating webhook; see fuzzWebhook.
func FuzzValidate(f *testing.F) { fuzzWebhook(f, webhook.ValidatePath) }

// FuzzMutate POSTs arbitrary bodies to the mutating webhook; see fuzzWebhook.
func FuzzMutate(f *testing.F) { fuzzWebhook(f, webhook.MutatePath) }

// fuzzSeeds are AdmissionReviews as the API server sends them, and near misses. More are in
// testdata/fuzz/FuzzValidate and FuzzMutate (real manifests from testdata/ as reviews).
var fuzzSeeds = []string{
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"batch","version":"v1","kind":"Job"},` +
		`"resource":{"group":"batch","version":"v1","resource":"jobs"},"namespace":"default","operation":"CREATE","userInfo":{"username":"alice"},` +
		`"object":{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"busybox"}]}}}}}}`,
	`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"2","kind":{"group":"batch","version":"v1","kind":"CronJob"},` +
		`"operation":"UPDATE","object":{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c","namespace":"ops"},` +
		`"spec":{"schedule":"0 0 30 2 *","jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"bitnami/kubectl",` +
		`"command":["sh","-c","kubectl delete pods -l x=y"]}]}}}}}},"oldObject":{}}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"3","kind":{"group":"rbac.authorization.k8s.io","version":"v1","kind":"Role"},` +
		`"operation":"CREATE","namespace":"x","object":{"metadata":{"name":"r"},"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"4","operation":"DELETE","oldObject":{"kind":"Job"}}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"5","operation":"CREATE","object":"a string"}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE","object":{"apiVersion":"v1","kind":"ConfigMap"}}}`,
	`{"apiVersion":"v1","kind":"Pod"}`,
	`{"kind":"AdmissionReview","request":null}`,
	`{}`,
	``,
	`[`,
	"kind: AdmissionReview\napiVersion: admission.k8s.io/v1\n",
}

// fuzzWebhook checks that no body makes a webhook fail: the answer is always HTTP 200 or a 4xx,
// with an AdmissionReview whose response, when it is an error, is a 4xx, never a 500. A panic in
// a handler would be one: controller-runtime recovers it as a 500 "panic: ... [recovered]". A
// patch from the mutating webhook must apply to the request's object.
func fuzzWebhook(f *testing.F, path string) {
	s, err := webhook.New(webhook.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	h := s.WebhookHandler()
	for _, seed := range fuzzSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			return
		}
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
			t.Fatalf("the answer is not an AdmissionReview with a response (%v): %s", err, rec.Body)
		}
		resp := out.Response
		if resp.Result != nil && resp.Result.Code >= 500 {
			t.Fatalf("a %d: %s", resp.Result.Code, resp.Result.Message)
		}
		if !resp.Allowed && (resp.Result == nil || resp.Result.Code < 400 || strings.TrimSpace(resp.Result.Message) == "") {
			t.Fatalf("a refusal without a 4xx status that says why: %+v", resp.Result)
		}
		if len(resp.Patch) == 0 {
			return
		}
		if path != webhook.MutatePath || resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
			t.Fatalf("a patch (type %v) from %s", resp.PatchType, path)
		}
		var in admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &in); err != nil || in.Request == nil || in.Request.UID != resp.UID {
			return // controller-runtime's decoder read it differently (it also reads YAML)
		}
		p, err := jsonpatch.DecodePatch(resp.Patch)
		if err != nil {
			t.Fatalf("the patch %s does not decode: %v", resp.Patch, err)
		}
		if _, err := p.Apply(in.Request.Object.Raw); err != nil {
			t.Fatalf("the patch %s does not apply to the object: %v", resp.Patch, err)
		}
	})
}
