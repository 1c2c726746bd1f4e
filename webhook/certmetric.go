package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ObserveCertificate exports jobguard_certificate_expiry_timestamp_seconds, when the serving
// certificate that notAfter reports expires (Unix time; 0 while none is loaded), so that an alert
// can fire before the API server stops trusting the webhook.
func (s *Server) ObserveCertificate(notAfter func() (time.Time, error)) error {
	return s.registry.Register(newCertificateExpiry(notAfter))
}

func newCertificateExpiry(notAfter func() (time.Time, error)) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "jobguard_certificate_expiry_timestamp_seconds",
		Help: "When the serving certificate expires, in seconds since the Unix epoch (0 while none is loaded).",
	}, func() float64 {
		t, err := notAfter()
		if err != nil {
			return 0
		}
		return float64(t.Unix())
	})
}
