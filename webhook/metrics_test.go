package webhook_test

import (
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/jobguard/jobguard/webhook"
)

// TestMetricLabelsBounded: kinds and operations a client makes up are counted as "other", so
// that nobody can grow the number of series by sending odd requests.
func TestMetricLabelsBounded(t *testing.T) {
	s, err := webhook.New(webhook.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"Widget", "Gadget", "Job"} {
		req := request(t, admissionv1.Create, []byte(`{"apiVersion":"example.com/v1","kind":"`+kind+`","metadata":{"name":"x"}}`))
		s.Validator().Handle(ctx, req)
	}
	requests := s.Metrics().Requests
	if got := testutil.ToFloat64(requests.WithLabelValues("validate", "CREATE", "other", "true")); got != 2 {
		t.Errorf(`kind="other" counted %v, want 2`, got)
	}
	if got := testutil.ToFloat64(requests.WithLabelValues("validate", "CREATE", "Job", "true")); got != 1 {
		t.Errorf(`kind="Job" counted %v, want 1`, got)
	}
	if n := testutil.CollectAndCount(requests); n != 2 {
		t.Errorf("%d series, want 2", n)
	}
}
