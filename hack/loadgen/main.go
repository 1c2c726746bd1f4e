// Command loadgen drives jobguard's admission webhooks (/validate and /mutate) over HTTPS with
// HTTP/1.1 keep-alive, on the loopback interface only, and reports throughput, failures,
// latency percentiles (p50, p99, p99.9) and, optionally, the server's resident memory.
//
// The reviews are built from the Job, CronJob and RBAC manifests of testdata/*/{good,bad}.yaml:
// a CREATE and an UPDATE to /validate for each, a CREATE to /mutate for Jobs and CronJobs,
// every fourth a dry run, each with a UID of its own that the answer must echo.
//
// Against a running `jobguard serve` (see BENCHMARKS.md):
//
//	go run ./hack/loadgen -url https://127.0.0.1:9443 -ca certs/ca.crt -rate 1000 -duration 20s -pid $(pgrep -n jobguard)
//	go run ./hack/loadgen -url https://127.0.0.1:9443 -ca certs/ca.crt -rate 0 -workers 8 -duration 20s -metrics-url http://127.0.0.1:8080/metrics
//
// Or in-process, with the webhook server started in the same process (for profiling):
//
//	go run ./hack/loadgen -in-process -duration 10s -cpuprofile cpu.prof
//
// Safety: the target must be 127.0.0.0/8, ::1 or a name resolving only to those; anything else
// is refused. A run lasts at most 5 minutes (plus a warm-up of at most 1 minute) and stops by
// itself. The exit status is 1 when any request failed, 2 on bad flags.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/jobguard/jobguard/certs"
	"github.com/jobguard/jobguard/hack/loadgen/load"
	"github.com/jobguard/jobguard/webhook"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type flags struct {
	url        string
	caFile     string
	rate       float64
	workers    int
	duration   time.Duration
	warmup     time.Duration
	requests   int64
	paths      string
	testdata   string
	pid        int
	metricsURL string
	inProcess  bool
	config     string
	cpuProfile string
	reconnect  time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	var f flags
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.url, "url", "https://127.0.0.1:9443", "base URL of the webhook server; must be a loopback address (127.0.0.0/8, ::1)")
	fs.StringVar(&f.caFile, "ca", "", "PEM file of the CA that signed the server's certificate (jobguard certs generate's ca.crt)")
	fs.Float64Var(&f.rate, "rate", 0, "reviews per second, on a fixed schedule; 0 = saturation (as fast as -workers allow)")
	fs.IntVar(&f.workers, "workers", 0, "concurrent requests (and connections) at most; default 8 at saturation, 32 at a rate")
	fs.DurationVar(&f.duration, "duration", load.DefaultDuration, fmt.Sprintf("how long to measure, at most %s", load.MaxDuration))
	fs.DurationVar(&f.warmup, "warmup", 2*time.Second, fmt.Sprintf("load sent before measuring, at most %s", load.MaxWarmup))
	fs.Int64Var(&f.requests, "requests", 0, "stop after this many measured requests; 0 = no limit but -duration")
	fs.StringVar(&f.paths, "paths", "validate,mutate", "webhooks to send to: validate, mutate or both, comma-separated")
	fs.StringVar(&f.testdata, "testdata", "", "directory of the fixtures (default: the module's testdata)")
	fs.IntVar(&f.pid, "pid", 0, "server process id: report its resident memory from /proc/<pid>/status")
	fs.StringVar(&f.metricsURL, "metrics-url", "", "server's /metrics URL (loopback): report its process_resident_memory_bytes")
	fs.BoolVar(&f.inProcess, "in-process", false, "start jobguard's webhook server in this process on 127.0.0.1 (generated certificate) and load it; -url and -ca are ignored")
	fs.StringVar(&f.config, "config", "", "with -in-process: the server's configuration file")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (server included with -in-process) to this file")
	fs.DurationVar(&f.reconnect, "reconnect", 0, "each worker ends its connection (Connection: close) this often, forcing new TLS handshakes; 0 = never")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "loadgen: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := runLoad(f, stdout); err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		var fe failedError
		if errors.As(err, &fe) {
			return 1
		}
		return 2
	}
	return 0
}

type failedError int64

func (e failedError) Error() string { return fmt.Sprintf("%d requests failed", int64(e)) }

func runLoad(f flags, stdout io.Writer) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	bodies, err := load.MixFrom(f.testdata)
	if err != nil {
		return err
	}
	var paths []string
	for p := range strings.SplitSeq(f.paths, ",") {
		switch strings.TrimSpace(p) {
		case "validate":
			paths = append(paths, load.ValidatePath)
		case "mutate":
			paths = append(paths, load.MutatePath)
		default:
			return fmt.Errorf("-paths: unknown webhook %q (validate, mutate)", p)
		}
	}
	if bodies = load.Only(bodies, paths...); len(bodies) == 0 {
		return errors.New("no reviews to send")
	}
	if f.metricsURL != "" {
		// Checked before any load is sent.
		if _, err := load.ParseTarget(f.metricsURL, "http"); err != nil {
			return fmt.Errorf("-metrics-url: %w", err)
		}
	}

	var roots *x509.CertPool
	if f.inProcess {
		url, pool, stop, err := startInProcess(ctx, f.config)
		if err != nil {
			return err
		}
		defer stop()
		f.url, roots = url, pool
		if f.pid == 0 && f.metricsURL == "" {
			f.pid = os.Getpid()
		}
	} else {
		if _, err := load.ParseTarget(f.url, "https"); err != nil {
			return err
		}
		if f.caFile == "" {
			return errors.New("-ca is required (the CA of the server's certificate), unless -in-process")
		}
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return err
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("-ca %s: no PEM certificate in it", f.caFile)
		}
	}

	if f.cpuProfile != "" {
		out, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	rssLabel := "server RSS  "
	if f.inProcess && f.pid == os.Getpid() {
		rssLabel = "process RSS "
	}
	rss := startRSS(ctx, rssLabel, f.pid, f.metricsURL)
	var sent atomic.Int64 // warm-up included
	cpu0, cpuErr := cpuOf(f.pid)
	var self0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
	wall0 := time.Now()
	res, err := load.Run(ctx, load.Options{
		OnSample:       func(load.Sample) { sent.Add(1) },
		URL:            f.url,
		RootCAs:        roots,
		Bodies:         bodies,
		Rate:           f.rate,
		Workers:        f.workers,
		Duration:       f.duration,
		Warmup:         f.warmup,
		MaxRequests:    f.requests,
		ReconnectEvery: f.reconnect,
	})
	wall := time.Since(wall0)
	rssReport := rss()
	cpu1, cpuErr1 := cpuOf(f.pid)
	var self1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
	if err != nil {
		return err
	}
	res.Print(stdout)
	if rssReport != "" {
		fmt.Fprintln(stdout, rssReport)
	}
	n := max(sent.Load(), 1)
	if f.pid != 0 && !f.inProcess && cpuErr == nil && cpuErr1 == nil {
		used := cpu1 - cpu0
		fmt.Fprintf(stdout, "server CPU   %.2fs in %.1fs (%.0f%% of a core), %.0f µs per request (%d requests, warm-up included)\n",
			used.Seconds(), wall.Seconds(), 100*used.Seconds()/wall.Seconds(), float64(used.Microseconds())/float64(n), n)
	}
	self := rusageCPU(&self1) - rusageCPU(&self0)
	what := "loadgen CPU "
	if f.inProcess {
		what = "process CPU "
	}
	fmt.Fprintf(stdout, "%s %.2fs in %.1fs (%.0f%% of a core), %.0f µs per request\n",
		what, self.Seconds(), wall.Seconds(), 100*self.Seconds()/wall.Seconds(), float64(self.Microseconds())/float64(n))
	if res.Failed > 0 {
		return failedError(res.Failed)
	}
	return nil
}

func cpuOf(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, errors.New("no pid")
	}
	return load.ProcCPU(pid)
}

func rusageCPU(r *syscall.Rusage) time.Duration {
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// startRSS samples the server's resident memory every 250ms until the returned function is
// called, which returns a report line ("" when there is nothing to sample).
func startRSS(ctx context.Context, label string, pid int, metricsURL string) func() string {
	if pid == 0 && metricsURL == "" {
		return func() string { return "" }
	}
	read := func() (int64, error) {
		if pid != 0 {
			rss, _, err := load.ProcRSS(pid)
			return rss, err
		}
		return load.MetricsRSS(ctx, metricsURL)
	}
	var (
		mu        sync.Mutex
		first     int64
		last, top int64
		lastErr   error
	)
	sample := func() {
		v, err := read()
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			lastErr = err
			return
		}
		if first == 0 {
			first = v
		}
		last, top = v, max(top, v)
	}
	sample()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				sample()
			case <-done:
				return
			}
		}
	}()
	return func() string {
		close(done)
		<-stopped
		sample()
		mu.Lock()
		defer mu.Unlock()
		if top == 0 {
			return fmt.Sprintf("%s unavailable: %v", label, lastErr)
		}
		mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
		line := fmt.Sprintf("%s start %s, max %s, end %s (sampled every 250ms", label, mib(first), mib(top), mib(last))
		if pid != 0 {
			if _, peak, err := load.ProcRSS(pid); err == nil {
				line += ", VmHWM " + mib(peak)
			}
			line += fmt.Sprintf(", pid %d)", pid)
		} else {
			line += ", " + metricsURL + ")"
		}
		return line
	}
}

// startInProcess starts jobguard's webhook server in this process on a free 127.0.0.1 port with
// a generated certificate, as `jobguard serve` would (GOGC 400 unless set, logs formatted and
// discarded), and returns its URL and the CA to trust.
func startInProcess(ctx context.Context, configFile string) (string, *x509.CertPool, func(), error) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400) // as cmd/jobguard does
	}
	logf.SetLogger(logr.Discard())
	dir, err := os.MkdirTemp("", "loadgen-certs-")
	if err != nil {
		return "", nil, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	bundle, err := certs.Generate(certs.GenerateOptions{ServiceName: "jobguard-webhook", Namespace: "jobguard"})
	if err == nil {
		err = bundle.WriteDir(dir)
	}
	if err != nil {
		cleanup()
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cleanup()
		return "", nil, nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	srv, err := webhook.New(webhook.Options{
		Addr:        addr,
		CertDir:     dir,
		ConfigFile:  configFile,
		HealthAddr:  webhook.Disabled,
		MetricsAddr: webhook.Disabled,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		cleanup()
		return "", nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Start(ctx) }()
	stop := func() {
		cancel()
		<-stopped
		cleanup()
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(bundle.CACert)
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err == nil {
			_ = conn.Close()
			break
		}
		select {
		case err := <-stopped:
			cancel()
			cleanup()
			return "", nil, nil, fmt.Errorf("the in-process server stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, nil, fmt.Errorf("the in-process server did not answer on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "loadgen: in-process webhook server on https://%s (certificates in %s)\n", addr, filepath.Clean(dir))
	return "https://" + addr, pool, stop, nil
}
