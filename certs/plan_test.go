package certs

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// TestPlanDecisions checks what a Manager decides for one Secret at one
// instant, the clock injected, without any API calls.
func TestPlanDecisions(t *testing.T) {
	const day = 24 * time.Hour
	genV := func(t *testing.T, service string, at time.Time, certValidity time.Duration) *Bundle {
		t.Helper()
		b, err := Generate(GenerateOptions{ServiceName: service, Namespace: testNS, Now: fixedNow(at),
			CAValidity: 300 * day, CertValidity: certValidity})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	gen := func(t *testing.T, service string, at time.Time) *Bundle { return genV(t, service, at, 90*day) }
	good := gen(t, testService, t0)
	other := gen(t, testService, t0)
	renamed := gen(t, "renamed", t0)
	// As long as its CA: due for renewal when the CA is.
	long := genV(t, testService, t0, 300*day)
	data := func(b *Bundle) map[string][]byte {
		return map[string][]byte{CACertName: b.CACert, CAKeyName: b.CAKey, CertName: b.Cert, KeyName: b.Key}
	}

	for _, tc := range []struct {
		name  string
		data  map[string][]byte
		since string
		at    time.Time
		// want is a substring of the reasons; "" means no change.
		want      string
		newCA     bool
		newCert   bool
		bundleLen int
	}{
		{name: "valid", data: data(good), at: t0.Add(day), bundleLen: 1},
		{name: "empty Secret", data: nil, at: t0, want: "new CA", newCA: true, newCert: true, bundleLen: 1},
		{name: "serving cert due", data: data(good), at: t0.Add(61 * day), want: "serving certificate renewed", newCert: true, bundleLen: 1},
		{name: "serving cert expired", data: data(good), at: t0.Add(91 * day), want: "new serving certificate (expired", newCert: true, bundleLen: 1},
		{name: "serving cert for another Service", data: func() map[string][]byte {
			d := data(good)
			d[CertName], d[KeyName] = renamed.Cert, renamed.Key
			return d
		}(), at: t0, want: "no SAN " + testService, newCert: true, bundleLen: 1},
		{name: "key does not match", data: func() map[string][]byte {
			d := data(good)
			d[KeyName] = other.Key
			return d
		}(), at: t0, want: "the key does not match", newCert: true, bundleLen: 1},
		{name: "signed by another CA", data: func() map[string][]byte {
			d := data(good)
			d[CertName], d[KeyName] = other.Cert, other.Key
			return d
		}(), at: t0, want: "not signed by the CA", newCert: true, bundleLen: 1},
		{name: "CA key missing", data: func() map[string][]byte {
			d := data(good)
			delete(d, CAKeyName)
			return d
		}(), at: t0, want: "new CA (CA: key", newCA: true, newCert: true, bundleLen: 1},
		{name: "CA expired", data: data(good), at: t0.Add(301 * day), want: "new CA (CA expired", newCA: true, newCert: true, bundleLen: 1},
		{name: "CA due: rollover starts, serving cert kept", data: data(long), at: t0.Add(201 * day), want: "new CA added to the bundle", newCA: true, bundleLen: 2},
		{name: "CA due and serving cert expired: both replaced, old CA kept", data: data(good), at: t0.Add(201 * day), want: "new CA added to the bundle", newCA: true, newCert: true, bundleLen: 2},
		{name: "stale rollover annotation removed", data: data(good), since: t0.Format(time.RFC3339), at: t0, want: "rollover annotation", bundleLen: 1},
		{name: "rollover without annotation restarts grace", data: func() map[string][]byte {
			d := data(good)
			d[CACertName] = append(append([]byte{}, good.CACert...), other.CACert...)
			return d
		}(), at: t0, want: "restarting its grace period", bundleLen: 2},
		{name: "expired previous CA dropped", data: func() map[string][]byte {
			old := gen(t, testService, t0.Add(-299*day))
			d := data(good)
			d[CACertName] = append(append([]byte{}, good.CACert...), old.CACert...)
			return d
		}(), since: t0.Format(time.RFC3339), at: t0.Add(2 * day), want: "dropped expired previous CA", bundleLen: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestManager(t, fake.NewClientBuilder().Build(), &clock{t: tc.at})
			p, err := m.plan(tc.data, tc.since, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			reasons := strings.Join(p.reasons, "; ")
			if tc.want == "" && reasons != "" {
				t.Errorf("changes %q, want none", reasons)
			}
			if tc.want != "" && !strings.Contains(reasons, tc.want) {
				t.Errorf("changes %q, want one containing %q", reasons, tc.want)
			}
			d := p.data()
			if got := !bytes.Equal(d[CAKeyName], tc.data[CAKeyName]); got != tc.newCA {
				t.Errorf("new CA = %v, want %v", got, tc.newCA)
			}
			if got := !bytes.Equal(d[CertName], tc.data[CertName]); got != tc.newCert {
				t.Errorf("new serving certificate = %v, want %v", got, tc.newCert)
			}
			certs, _, err := parseCerts(d[CACertName])
			if err != nil {
				t.Fatal(err)
			}
			if len(certs) != tc.bundleLen {
				t.Errorf("bundle holds %d CAs, want %d", len(certs), tc.bundleLen)
			}
			if err := m.checkServing(p.serving.cert, tc.at); err != nil {
				t.Errorf("planned serving certificate unusable: %v", err)
			}
			if !p.wake.After(tc.at) {
				t.Errorf("next check %v is not after now %v", p.wake, tc.at)
			}
		})
	}
}

// TestStart runs the loop: it becomes Ready after its first check and
// returns nil when the context ends.
func TestStart(t *testing.T) {
	c := fake.NewClientBuilder().WithObjects(webhookConfigs()...).Build()
	m := newTestManager(t, c, &clock{t: time.Now().Truncate(time.Second)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Start(ctx) }()

	deadline := time.After(10 * time.Second)
	for !m.Ready() {
		select {
		case <-deadline:
			t.Fatal("not Ready 10s after Start")
		case err := <-done:
			t.Fatalf("Start returned early: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	checkFiles(t, m, getSecret(t, c), time.Now())
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start returned %v after the context ended, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return after the context ended")
	}
}

// TestNextWait: how long Start sleeps between checks.
func TestNextWait(t *testing.T) {
	clk := &clock{t: t0}
	m := newTestManager(t, fake.NewClientBuilder().Build(), clk) // CheckInterval 1h, RetryInterval 10s
	fail := context.DeadlineExceeded
	var retry time.Duration
	var waits []time.Duration
	for range 12 {
		var w time.Duration
		w, retry = m.nextWait(fail, time.Time{}, retry)
		waits = append(waits, w)
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second,
		320 * time.Second, 640 * time.Second, 1280 * time.Second, 2560 * time.Second, time.Hour, time.Hour, time.Hour}
	if !slices.Equal(waits, want) {
		t.Errorf("waits after repeated failures = %v, want %v", waits, want)
	}
	for _, tc := range []struct {
		wake time.Time
		want time.Duration
	}{
		{time.Time{}, time.Hour},                     // nothing due: the interval
		{t0.Add(3 * time.Hour), time.Hour},           // due after the next check
		{t0.Add(20 * time.Minute), 20 * time.Minute}, // due sooner
		{t0.Add(-time.Minute), time.Second},          // overdue: soon, not in a busy loop
	} {
		if w, r := m.nextWait(nil, tc.wake, retry); w != tc.want || r != 0 {
			t.Errorf("nextWait(nil, %v) = %v, %v; want %v, 0", tc.wake, w, r, tc.want)
		}
	}
}
