package webhook_test

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/jobguard/jobguard/certs"
	"github.com/jobguard/jobguard/hack/loadgen/load"
	"github.com/jobguard/jobguard/webhook"
)

// Configurations the soak test cycles through: good, a different good, a bad one (an unknown
// rule: it parses as YAML but does not compile) that must be rejected, good again.
const (
	soakConfigA = "# soak A\nrules:\n  job-missing-ttl:\n    params:\n      ttlSecondsAfterFinished: 86400\n"
	soakConfigB = "# soak B\nwebhook:\n  excludedNamespaces: [kube-system]\nrules:\n  image-latest-tag:\n    mode: enforce\n  job-missing-ttl:\n    params:\n      ttlSecondsAfterFinished: 3600\n"
	soakConfigX = "# soak bad\nrules:\n  no-such-rule:\n    enabled: false\n"
)

// TestSoak keeps mixed load on a webhook server over TLS on 127.0.0.1 while its configuration
// is reloaded (good, another good, a bad one that must be rejected with the last good one
// kept, good again) and its serving certificate is rotated (a new one from the same CA, then
// one from another CA the client also trusts), with the client reconnecting every second so
// that new connections see each certificate. No review may fail, and the goroutines and the
// live heap of the last stretch of the run may not exceed those of the first by more than a
// small bound.
//
// By default it runs for 12 seconds of load (skipped with -short). JOBGUARD_SOAK=10m runs it
// for that long (make soak), in one-minute segments each logged, comparing the first minute
// with the last; the go test timeout must allow for it (-timeout 15m).
func TestSoak(t *testing.T) {
	dur, segment, window, sampleEvery, rate := 12*time.Second, 3*time.Second, 3*time.Second, 250*time.Millisecond, 300.0
	eventStart, eventGap := 2*time.Second, 1500*time.Millisecond
	// The short version runs within go test ./..., on machines busy with other tests: a review
	// starved of CPU for seconds must not become an evaluation timeout there. The long one keeps
	// the default (3s).
	evalTimeout := 30 * time.Second
	if env := os.Getenv("JOBGUARD_SOAK"); env != "" {
		d, err := time.ParseDuration(env)
		if err != nil || d < time.Minute {
			t.Fatalf("JOBGUARD_SOAK=%q: want a duration of at least 1m, e.g. 10m", env)
		}
		dur, segment, window, sampleEvery, rate = d, time.Minute, time.Minute, 5*time.Second, 400
		eventStart, eventGap = 20*time.Second, 20*time.Second
		evalTimeout = 0
		if deadline, ok := t.Deadline(); ok && time.Until(deadline) < dur+time.Minute {
			t.Fatalf("JOBGUARD_SOAK=%s needs a longer go test -timeout (make soak sets 15m)", env)
		}
	} else if testing.Short() {
		t.Skip("a 15-second soak; run without -short, or JOBGUARD_SOAK=10m for the long one")
	}

	cfgPath := filepath.Join(t.TempDir(), ".jobguard.yaml")
	writeConfig := func(content string) {
		if err := os.WriteFile(cfgPath+".tmp", []byte(content), 0o644); err != nil {
			t.Error(err)
		}
		if err := os.Rename(cfgPath+".tmp", cfgPath); err != nil { // as the kubelet swaps a ConfigMap: atomically
			t.Error(err)
		}
	}
	writeConfig(soakConfigA)
	srv := loadStart(t, webhook.Options{ConfigFile: cfgPath, ReloadInterval: 100 * time.Millisecond, EvalTimeout: evalTimeout})
	// The client trusts two CAs: the server's, and one it rotates to later.
	otherCA, err := certs.Generate(certs.GenerateOptions{ServiceName: "jobguard-webhook", Namespace: "jobguard"})
	if err != nil {
		t.Fatal(err)
	}
	roots := srv.Roots.Clone()
	roots.AppendCertsFromPEM(otherCA.CACert)
	bodies := loadMix(t)

	// Memory and goroutines, sampled after a collection, while the load runs.
	type sample struct {
		at         time.Duration
		goroutines int
		heap       uint64
	}
	var (
		mu      sync.Mutex
		samples []sample
	)
	start := time.Now()
	end := start.Add(dur)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var bg sync.WaitGroup
	defer bg.Wait()
	bg.Go(func() {
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mu.Lock()
			samples = append(samples, sample{time.Since(start), runtime.NumGoroutine(), ms.HeapAlloc})
			mu.Unlock()
		}
	})

	// The events, in a cycle, while the load runs.
	reloads := func(result string) float64 { return testutil.ToFloat64(srv.Metrics().Reloads.WithLabelValues(result)) }
	waitUntil := func(what string, limit time.Duration, cond func() bool) error {
		deadline := time.Now().Add(limit)
		for !cond() {
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: not within %s", what, limit)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	}
	reload := func(name, content string, wantOK bool) error {
		before, ok0, fail0 := srv.Policy(), reloads("success"), reloads("failure")
		writeConfig(content)
		if !wantOK {
			if err := waitUntil("configuration "+name+" rejected (jobguard_config_reloads_total{result=failure})", 5*time.Second,
				func() bool { return reloads("failure") > fail0 }); err != nil {
				return err
			}
			if srv.Policy() != before || reloads("success") != ok0 {
				return fmt.Errorf("configuration %s: the last good configuration was replaced", name)
			}
			return nil
		}
		return waitUntil("configuration "+name+" reloaded", 5*time.Second, func() bool {
			return reloads("success") > ok0 && srv.Policy() != before
		})
	}
	current := srv.Bundle // the CA the serving certificate comes from
	rotate := func(ca *certs.Bundle) error {
		next, serial, err := loadSignServing(ca)
		if err != nil {
			return err
		}
		if err := next.WriteDir(srv.CertDir); err != nil {
			return err
		}
		current = ca
		var got *big.Int
		return waitUntil("the rotated certificate served", 12*time.Second, func() bool {
			got, err = srv.servingSerial(roots)
			return err == nil && got.Cmp(serial) == 0
		})
	}
	events := []struct {
		name string
		do   func() error
	}{
		{"reload B", func() error { return reload("B", soakConfigB, true) }},
		{"reject a bad configuration", func() error {
			if err := reload("bad", soakConfigX, false); err != nil {
				return err
			}
			if got := srv.Policy().Config.Webhook.ExcludedNamespaces; !slices.Equal(got, []string{"kube-system"}) {
				return fmt.Errorf("after the bad configuration, excludedNamespaces = %q, want B's", got)
			}
			return nil
		}},
		{"reload A", func() error {
			if err := reload("A", soakConfigA, true); err != nil {
				return err
			}
			if got := srv.Policy().Config.Webhook.ExcludedNamespaces; len(got) != 0 {
				return fmt.Errorf("after reloading A, excludedNamespaces = %q", got)
			}
			return nil
		}},
		{"rotate the certificate, same CA", func() error { return rotate(current) }},
		{"rotate the certificate to another CA", func() error {
			if current == otherCA {
				return rotate(srv.Bundle)
			}
			return rotate(otherCA)
		}},
	}
	var eventErrs []error
	done := 0
	bg.Go(func() {
		at := start.Add(eventStart)
		for i := 0; ; i++ {
			if at.Add(eventGap).After(end) { // leave the last stretch undisturbed
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(at)):
			}
			e := events[i%len(events)]
			began := time.Now()
			err := e.do()
			t.Logf("%s: %s at %s, took %s (error: %v)", t.Name(), e.name, began.Sub(start).Round(time.Millisecond),
				time.Since(began).Round(time.Millisecond), err)
			if err != nil {
				mu.Lock()
				eventErrs = append(eventErrs, fmt.Errorf("%s at %s: %w", e.name, time.Since(start).Round(time.Millisecond), err))
				mu.Unlock()
			}
			mu.Lock()
			done++
			mu.Unlock()
			at = at.Add(eventGap)
		}
	})

	// The load, in segments of at most a minute (hack/loadgen's runs are bounded).
	var failed, reviews int64
	for seg := 1; time.Until(end) > 0; seg++ {
		res, err := load.Run(ctx, load.Options{
			URL: srv.URL, RootCAs: roots, Bodies: bodies, Rate: rate, Workers: 16,
			Duration: min(segment, time.Until(end)), ReconnectEvery: time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		failed += res.Failed
		reviews += res.Reviews()
		t.Logf("segment %d: %d reviews (%.0f/s), %d failed, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, %d connections",
			seg, res.Reviews(), res.Throughput(), res.Failed, float64(res.Latency.Quantile(.5))/1e6,
			float64(res.Latency.Quantile(.99))/1e6, float64(res.Latency.Quantile(.999))/1e6, res.Connections)
		for cause, n := range res.Errors {
			t.Errorf("segment %d: %d failed: %s, e.g. %s", seg, n, cause, res.Examples[cause])
		}
	}
	cancel()
	bg.Wait()

	for _, err := range eventErrs {
		t.Error(err)
	}
	if done < len(events) {
		t.Errorf("only %d of the %d events ran", done, len(events))
	}
	if failed > 0 {
		t.Errorf("%d of %d reviews failed", failed, failed+reviews)
	}
	if reviews < int64(rate*dur.Seconds()/4) { // the machine may be busy: the load must have been sent, not kept up with
		t.Errorf("only %d reviews in %s at %g/s", reviews, dur, rate)
	}

	// No growth: the last window's lowest figures against the first window's highest, the first
	// second (connections, caches) left out.
	var first, last []sample
	for _, s := range samples {
		switch {
		case s.at >= time.Second && s.at < time.Second+window:
			first = append(first, s)
		case s.at >= dur-window:
			last = append(last, s)
		}
	}
	if len(first) == 0 || len(last) == 0 {
		t.Fatalf("too few samples: %d in the first window, %d in the last", len(first), len(last))
	}
	maxOf := func(ss []sample, f func(sample) uint64) uint64 {
		return slices.Max(mapSamples(ss, f))
	}
	minOf := func(ss []sample, f func(sample) uint64) uint64 {
		return slices.Min(mapSamples(ss, f))
	}
	goroutines := func(s sample) uint64 { return uint64(s.goroutines) }
	heap := func(s sample) uint64 { return s.heap }
	g0, g1 := maxOf(first, goroutines), minOf(last, goroutines)
	h0, h1 := maxOf(first, heap), minOf(last, heap)
	t.Logf("%d reviews, %d events; goroutines: first window max %d, last window min %d; live heap: first window max %.1f MiB, last window min %.1f MiB",
		reviews, done, g0, g1, float64(h0)/(1<<20), float64(h1)/(1<<20))
	if g1 > g0+10 {
		t.Errorf("goroutines grew from %d to %d", g0, g1)
	}
	if h1 > h0+h0/4+4<<20 {
		t.Errorf("the live heap grew from %.1f MiB to %.1f MiB", float64(h0)/(1<<20), float64(h1)/(1<<20))
	}
}

func mapSamples[S any](ss []S, f func(S) uint64) []uint64 {
	out := make([]uint64, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}
