package webhook

// reviewHandler re-implements, for speed, the part of controller-runtime's
// admission.Webhook.ServeHTTP (sigs.k8s.io/controller-runtime v0.24.1,
// pkg/webhook/admission/http.go) that reads a review and writes the answer. It must
// answer as that code does: TestReviewHandlerMatchesControllerRuntime (review_http_test.go)
// sends the same requests to both and fails when a controller-runtime upgrade changes
// the status codes, the body limit or the UID echo it copies.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// maxReviewBytes is controller-runtime's cap on a request body (admission/http.go): a body this
// large is left to it, to answer 413.
const maxReviewBytes = 7 << 20

// reviewHandler is the HTTP side of a webhook: it reads an AdmissionReview, has wh answer it
// (wh.Handle: the handler, panic recovery, the UID echoed) and writes the answer, as
// controller-runtime's wh.ServeHTTP does, with two differences:
//
//   - A JSON body that is not an AdmissionReview of admission.k8s.io/v1 or v1beta1 is answered
//     400: controller-runtime would read any apiVersion and kind as a review and echo them back.
//   - A review is parsed once, with k8s.io/apimachinery's json as controller-runtime decodes it
//     (case-sensitive keys, integers kept), its apiVersion and kind included: controller-runtime
//     parses the body twice, first with encoding/json for its apiVersion and kind.
//
// Whatever it does not handle this way (no body, one of 7 MiB or more, a content type other
// than application/json, a body that does not decode) goes to wh.ServeHTTP, which answers it as
// it always has (400 or 413, with its own message).
func reviewHandler(wh *admission.Webhook) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			wh.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxReviewBytes+1))
		toControllerRuntime := func() {
			if len(body) == 0 {
				r.Body = http.NoBody // as it came: controller-runtime answers "request body is empty"
			} else {
				r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
			}
			wh.ServeHTTP(w, r)
		}
		if err != nil || len(body) == 0 || len(body) >= maxReviewBytes {
			toControllerRuntime()
			return
		}
		// As controller-runtime decodes a review (admission/http.go): v1beta1 has the same fields.
		var req admission.Request
		in := admissionv1.AdmissionReview{Request: &req.AdmissionRequest}
		if utiljson.Unmarshal(body, &in) != nil {
			toControllerRuntime()
			return
		}
		apiVersion, kind := in.APIVersion, in.Kind
		if kind != "AdmissionReview" || apiVersion != "admission.k8s.io/v1" && apiVersion != "admission.k8s.io/v1beta1" {
			review := admissionv1.AdmissionReview{
				TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
				Response: &admissionv1.AdmissionResponse{Result: &metav1.Status{
					Code:    http.StatusBadRequest,
					Message: fmt.Sprintf("jobguard: expected an AdmissionReview of admission.k8s.io/v1 or v1beta1, got %q %q", apiVersion, kind),
				}},
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(review)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" {
			toControllerRuntime()
			return
		}
		resp := wh.Handle(r.Context(), req)
		out := admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: kind},
			Response: &resp.AdmissionResponse,
		}
		if err := json.NewEncoder(w).Encode(out); err != nil {
			// As controller-runtime: the connection is probably broken; try once to say so.
			serverError := admission.Errored(http.StatusInternalServerError, err)
			_ = json.NewEncoder(w).Encode(admissionv1.AdmissionReview{Response: &serverError.AdmissionResponse})
		}
	})
}
