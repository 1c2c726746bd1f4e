package webhook_test

import (
	"context"
	"runtime/debug"
	"testing"
	"time"

	"github.com/jobguard/jobguard/hack/loadgen/load"
	"github.com/jobguard/jobguard/webhook"
)

// The benchmarks send the reviews of testdata (load.Mix: Jobs, CronJobs and RBAC objects,
// CREATE and UPDATE, a quarter dry runs) to a real webhook server started in this process on
// 127.0.0.1, over TLS with HTTP/1.1 keep-alive, through hack/loadgen's client; the client runs
// in the same process and shares the CPUs. The garbage collector is set as jobguard serve sets
// it (GOGC 400) and logs are formatted then discarded.
//
//	saturation  8 concurrent requests, as fast as they are answered; ns/op is the time per
//	            review at that concurrency, reviews/s the throughput
//	rate=1000   1,000 reviews/s on a fixed schedule (so ns/op is 1ms by construction); the
//	            latency percentiles are the figures of interest
//
// Each reports reviews/s and the p50, p99 and p99.9 latency in milliseconds. For the figures of
// BENCHMARKS.md use a fixed count, e.g. -benchtime 20000x.
func BenchmarkValidate(b *testing.B) { loadBenchmark(b, load.ValidatePath) }

// BenchmarkMutate sends the CREATEs of Jobs and CronJobs to /mutate; see BenchmarkValidate.
func BenchmarkMutate(b *testing.B) { loadBenchmark(b, load.MutatePath) }

// BenchmarkMixed sends the whole mix, /validate and /mutate, as hack/loadgen does by default.
func BenchmarkMixed(b *testing.B) { loadBenchmark(b) }

func loadBenchmark(b *testing.B, paths ...string) {
	bodies := loadMix(b, paths...)
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	srv := loadStart(b, webhook.Options{})
	b.Run("saturation", func(b *testing.B) { loadBenchmarkRun(b, srv, bodies, 0, 8) })
	b.Run("rate=1000", func(b *testing.B) { loadBenchmarkRun(b, srv, bodies, 1000, 32) })
}

func loadBenchmarkRun(b *testing.B, srv *loadServer, bodies []load.Body, rate float64, workers int) {
	ctx := context.Background()
	opts := load.Options{URL: srv.URL, RootCAs: srv.Roots, Bodies: bodies, Rate: rate, Workers: workers}

	// Warm up: connections, the engine's caches, the heap.
	warm := opts
	warm.Rate, warm.Duration, warm.MaxRequests = 0, 10*time.Second, int64(2*len(bodies))
	if res, err := load.Run(ctx, warm); err != nil || res.Failed > 0 {
		b.Fatalf("warm-up: %v, %+v", err, res)
	}

	opts.MaxRequests = int64(b.N)
	opts.Duration = load.MaxDuration
	if rate > 0 {
		opts.Duration = min(load.MaxDuration, time.Duration(float64(b.N)/rate*float64(time.Second))+time.Second)
	}
	b.ResetTimer()
	res, err := load.Run(ctx, opts)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if res.Failed > 0 || res.Requests != int64(b.N) {
		b.Fatalf("%d of %d requests failed (%d sent): %v", res.Failed, b.N, res.Requests, res.Examples)
	}
	b.ReportMetric(res.Throughput(), "reviews/s")
	b.ReportMetric(float64(res.Latency.Quantile(.5))/1e6, "p50-ms")
	b.ReportMetric(float64(res.Latency.Quantile(.99))/1e6, "p99-ms")
	b.ReportMetric(float64(res.Latency.Quantile(.999))/1e6, "p99.9-ms")
}
