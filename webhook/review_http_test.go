package webhook

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestReviewHandlerMatchesControllerRuntime sends the same requests to reviewHandler and to
// controller-runtime's own Webhook.ServeHTTP, which it re-implements, and wants the same status
// code and the same answer: the body limit (7 MiB), empty and undecodable bodies, the content
// type, the UID echoed, the review's apiVersion kept. A controller-runtime upgrade that changes
// any of these fails here; reviewHandler's one deliberate difference (a JSON body that is not an
// AdmissionReview is answered 400) is checked apart.
func TestReviewHandlerMatchesControllerRuntime(t *testing.T) {
	wh := &admission.Webhook{Handler: admission.HandlerFunc(func(_ context.Context, req admission.Request) admission.Response {
		return admission.Allowed("reviewed " + req.Name)
	})}
	ours, theirs := reviewHandler(wh), http.HandlerFunc(wh.ServeHTTP)

	review := func(apiVersion string) string {
		return `{"apiVersion":"` + apiVersion + `","kind":"AdmissionReview","request":{"uid":"u-1","name":"j",` +
			`"kind":{"group":"batch","version":"v1","kind":"Job"},"resource":{"group":"batch","version":"v1","resource":"jobs"},` +
			`"operation":"CREATE","userInfo":{"username":"alice"},"object":{"kind":"Job"}}}`
	}
	pad := func(body string, size int) string { return body + strings.Repeat(" ", size-len(body)) }
	const limit = 7 << 20
	for _, tt := range []struct {
		name, contentType, body string
	}{
		{"v1 review", "application/json", review("admission.k8s.io/v1")},
		{"v1beta1 review", "application/json", review("admission.k8s.io/v1beta1")},
		{"empty body", "application/json", ""},
		{"not JSON", "application/json", "{"},
		{"wrong content type", "text/plain", review("admission.k8s.io/v1")},
		{"at the limit", "application/json", pad(review("admission.k8s.io/v1"), limit)},
		{"over the limit", "application/json", pad(review("admission.k8s.io/v1"), limit+1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code1, body1 := serve(ours, tt.contentType, tt.body)
			code2, body2 := serve(theirs, tt.contentType, tt.body)
			if code1 != code2 || body1 != body2 {
				t.Errorf("reviewHandler: %d %s\ncontroller-runtime: %d %s", code1, body1, code2, body2)
			}
		})
	}
	if code, body := serve(ours, "application/json", `{"apiVersion":"v1","kind":"Pod"}`); code != 200 ||
		!strings.Contains(body, `"code":400`) || !strings.Contains(body, "expected an AdmissionReview") {
		t.Errorf("a JSON body that is not an AdmissionReview: %d %s, want a 400 answer", code, body)
	}
}

func serve(h http.Handler, contentType, body string) (int, string) {
	req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader([]byte(body)))
	if body == "" {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, strings.TrimSpace(rec.Body.String())
}
