package webhook

import (
	"testing"
	"time"
)

// TestRetryWait: after failed audits the pause doubles from 30s, so that an API server in trouble
// is not listed again and again, and never exceeds the interval.
func TestRetryWait(t *testing.T) {
	for _, c := range []struct {
		interval time.Duration
		failures int
		want     time.Duration
	}{
		{10 * time.Minute, 1, 30 * time.Second},
		{10 * time.Minute, 2, time.Minute},
		{10 * time.Minute, 3, 2 * time.Minute},
		{10 * time.Minute, 5, 8 * time.Minute},
		{10 * time.Minute, 6, 10 * time.Minute},
		{10 * time.Minute, 1000, 10 * time.Minute}, // no overflow of the shift
		{time.Second, 1, time.Second},
	} {
		if got := retryWait(c.interval, c.failures); got != c.want {
			t.Errorf("retryWait(%s, %d) = %s, want %s", c.interval, c.failures, got, c.want)
		}
	}
}
