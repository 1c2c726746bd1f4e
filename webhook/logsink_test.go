package webhook

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestLazyLogger: controller-runtime's per-request logger, built on lazyLogger, logs the same
// values as on the plain logger, and nothing below the handler's level.
func TestLazyLogger(t *testing.T) {
	req := &admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "u-1", Name: "j", Namespace: "ns",
		UserInfo: authenticationv1.UserInfo{Username: "alice"}}}
	line := func(base logr.Logger, buf *bytes.Buffer) string {
		l := admission.DefaultLogConstructor(base, req).WithName("admission").WithValues("k", "v")
		l.V(5).Info("not logged")
		l.Error(errors.New("boom"), "failed", "x", 1)
		return strings.TrimSpace(buf.String())
	}
	var plain, lazy bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	want := line(logr.FromSlogHandler(slog.NewTextHandler(&plain, opts)), &plain)
	got := line(lazyLogger(logr.FromSlogHandler(slog.NewTextHandler(&lazy, opts))), &lazy)
	if got != want || !strings.Contains(got, "requestID=u-1") || strings.Contains(got, "not logged") {
		t.Errorf("lazy logger logged\n%s\nwant\n%s", got, want)
	}
}
