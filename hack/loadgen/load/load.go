// Package load drives jobguard's admission webhooks with AdmissionReviews over HTTPS with
// keep-alive and measures throughput and latency: hack/loadgen is its command line, and the
// webhook package's benchmarks, soak test and shutdown test use it in-process.
//
// It only ever sends traffic to the loopback interface: ParseTarget refuses any URL whose host
// is not, or does not resolve only to, 127.0.0.0/8 or ::1, and the client it builds dials that
// checked address and nothing else. Every run is bounded: by Options.Duration (at most
// MaxDuration), optionally by a number of requests, and by a hard deadline after which requests
// still in flight are abandoned.
package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Bounds of a run.
const (
	DefaultDuration = 10 * time.Second
	MaxDuration     = 5 * time.Minute
	MaxWarmup       = time.Minute
	DefaultTimeout  = 10 * time.Second
	// MaxWorkers bounds the concurrency, and so the number of connections.
	MaxWorkers = 256
)

// Options configure Run.
type Options struct {
	// URL is the webhook server's base URL (https://127.0.0.1:9443); a body's path is appended.
	// It must point at the loopback interface (see ParseTarget).
	URL string
	// RootCAs verify the server's certificate.
	RootCAs *x509.CertPool
	// Bodies are the reviews to send, in turn (each worker starts at a different one). Required.
	Bodies []Body

	// Rate is the reviews per second to send, on a fixed schedule (open loop: a slow answer does
	// not delay the next request, and latency counts from the time a request was due). 0 sends
	// as fast as Workers can: the saturation throughput.
	Rate float64
	// Workers is the number of concurrent requests, and connections, at most. Default: 8 at
	// saturation, 32 at a rate. At most MaxWorkers.
	Workers int
	// Duration is how long to measure. Default DefaultDuration; at most MaxDuration.
	Duration time.Duration
	// Warmup is how long to send load before measuring (connections, caches); not recorded.
	// At most MaxWarmup.
	Warmup time.Duration
	// MaxRequests, when positive, ends the run after this many measured requests.
	MaxRequests int64
	// Timeout bounds one request. Default DefaultTimeout.
	Timeout time.Duration
	// ReconnectEvery, when positive, makes each worker end its connection that often (its
	// request says "Connection: close"), so that new TLS connections keep being made (and see a
	// rotated certificate).
	ReconnectEvery time.Duration
	// Stop, when closed, ends the run: no request starts after it, those in flight complete.
	Stop <-chan struct{}
	// Trace records connection details in each Sample (Reused, Wrote, GotFirstByte).
	Trace bool
	// BeforeDial, when set, is called before each new connection; an error it returns refuses
	// the connection, and the request that needed it fails with that error (wrapped). Tests use
	// it to model a server taken out of a Service's endpoints: connections already made are
	// kept, new ones go elsewhere.
	BeforeDial func() error
	// OnSample, when set, is called with every request's Sample, warm-up ones included, from the
	// worker that made it (concurrently).
	OnSample func(Sample)
}

// Outcome is what became of a request.
type Outcome int

// Outcomes. Allowed, Denied and Patched are answered reviews; Errored and Failed are failures.
const (
	Failed  Outcome = iota // no valid AdmissionReview: transport error, HTTP status, bad JSON, wrong UID
	Errored                // a valid review that reports an error (status code other than 403)
	Allowed                // allowed, without a patch
	Denied                 // denied (403)
	Patched                // allowed with a JSON patch
)

// Sample is one request.
type Sample struct {
	UID       string
	Body      *Body
	Warmup    bool
	Scheduled time.Time // when it was due (at a rate) or started (at saturation)
	Start     time.Time
	End       time.Time
	Outcome   Outcome
	Status    int   // HTTP status, 0 without a response
	Err       error // why it failed (Failed, Errored)

	// With Options.Trace:
	Reused       bool // sent on a kept-alive connection
	Wrote        bool // the request was written completely
	GotFirstByte bool // some of the response arrived

	// ConnClose: the answer said "Connection: close" (the server ends the connection after it).
	ConnClose bool
}

// Result is what Run measured.
type Result struct {
	URL      string
	Rate     float64
	Workers  int
	Bodies   int
	Elapsed  time.Duration // from the end of the warm-up to the end of the last measured request
	Requests int64         // measured requests
	Allowed  int64
	Denied   int64
	Patched  int64
	Failed   int64 // Failed and Errored outcomes
	// Errors counts failures by cause; Examples has one message of each.
	Errors   map[string]int64
	Examples map[string]string
	// Latency is from when a request was due (Options.Rate) or sent (saturation) to the end of
	// its response; Service is from when it was sent.
	Latency, Service Histogram
	Connections      int64 // TCP connections made, warm-up included
}

// Reviews is the number of answered reviews.
func (r *Result) Reviews() int64 { return r.Allowed + r.Denied + r.Patched }

// Throughput is answered reviews per second of the measured time.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Reviews()) / r.Elapsed.Seconds()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }

// Print writes a report of r.
func (r *Result) Print(w io.Writer) {
	mode := fmt.Sprintf("saturation, %d workers", r.Workers)
	if r.Rate > 0 {
		mode = fmt.Sprintf("rate %g reviews/s, up to %d workers", r.Rate, r.Workers)
	}
	fmt.Fprintf(w, "target       %s, %d reviews in the mix\n", r.URL, r.Bodies)
	fmt.Fprintf(w, "mode         %s, HTTP/1.1 keep-alive, %d connections made\n", mode, r.Connections)
	fmt.Fprintf(w, "measured     %.2fs\n", r.Elapsed.Seconds())
	fmt.Fprintf(w, "requests     %d: %d reviews (%d allowed, %d denied, %d patched), %d failed\n",
		r.Requests, r.Reviews(), r.Allowed, r.Denied, r.Patched, r.Failed)
	fmt.Fprintf(w, "throughput   %.1f reviews/s\n", r.Throughput())
	from := "sent"
	if r.Rate > 0 {
		from = "due"
	}
	fmt.Fprintf(w, "latency      p50 %s  p99 %s  p99.9 %s  max %s  mean %s  (from when a request was %s)\n",
		ms(r.Latency.Quantile(.5)), ms(r.Latency.Quantile(.99)), ms(r.Latency.Quantile(.999)), ms(r.Latency.Max()), ms(r.Latency.Mean()), from)
	if r.Rate > 0 {
		fmt.Fprintf(w, "service      p50 %s  p99 %s  p99.9 %s  max %s  (from when it was sent)\n",
			ms(r.Service.Quantile(.5)), ms(r.Service.Quantile(.99)), ms(r.Service.Quantile(.999)), ms(r.Service.Max()))
	}
	causes := make([]string, 0, len(r.Errors))
	for c := range r.Errors {
		causes = append(causes, c)
	}
	sort.Strings(causes)
	for _, c := range causes {
		fmt.Fprintf(w, "failed       %d × %s, e.g. %s\n", r.Errors[c], c, r.Examples[c])
	}
}

// Run sends the load o describes and returns what it measured. It returns an error only for
// bad options; failed requests are counted in the Result. ctx aborts the run, requests in
// flight included.
func Run(ctx context.Context, o Options) (*Result, error) {
	target, err := ParseTarget(o.URL, "https")
	if err != nil {
		return nil, err
	}
	if len(o.Bodies) == 0 {
		return nil, errors.New("load: no bodies to send")
	}
	if o.Rate < 0 {
		return nil, errors.New("load: the rate must be 0 (saturation) or positive")
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Duration < 0 || o.Duration > MaxDuration {
		return nil, fmt.Errorf("load: the duration must be positive and at most %s", MaxDuration)
	}
	if o.Warmup < 0 || o.Warmup > MaxWarmup {
		return nil, fmt.Errorf("load: the warm-up must be at most %s", MaxWarmup)
	}
	if o.Workers == 0 {
		o.Workers = 8
		if o.Rate > 0 {
			o.Workers = 32
		}
	}
	if o.Workers < 0 || o.Workers > MaxWorkers {
		return nil, fmt.Errorf("load: workers must be from 1 to %d", MaxWorkers)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}

	target.BeforeDial = o.BeforeDial
	r := &run{o: o, target: target, base: strings.TrimSuffix(target.URL.String(), "/"), stopped: make(chan struct{})}
	r.client = target.Client(o.RootCAs, o.Workers, o.Timeout, &r.dials)
	defer r.client.CloseIdleConnections()
	var idBytes [4]byte
	_, _ = rand.Read(idBytes[:])
	r.runID = binary.BigEndian.Uint32(idBytes[:])

	// The hard bound: nothing runs past the measured window by more than one request timeout.
	r.start = time.Now()
	r.measureFrom = r.start.Add(o.Warmup)
	r.end = r.measureFrom.Add(o.Duration)
	ctx, cancel := context.WithDeadline(ctx, r.end.Add(o.Timeout+time.Second))
	defer cancel()
	if o.Stop != nil {
		go func() {
			select {
			case <-o.Stop:
				r.stop()
			case <-ctx.Done():
			case <-r.stopped:
			}
		}()
	}
	var due chan time.Time
	if o.Rate > 0 {
		due = make(chan time.Time, o.Workers)
		go r.schedule(ctx, due)
	}
	workers := make([]*worker, o.Workers)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{r: r, next: i * len(o.Bodies) / o.Workers, errors: map[string]int64{}, examples: map[string]string{}}
		workers[i] = w
		wg.Go(func() { w.loop(ctx, due) })
	}
	wg.Wait()
	r.stop()

	res := &Result{URL: o.URL, Rate: o.Rate, Workers: o.Workers, Bodies: len(o.Bodies), Connections: r.dials.Load(),
		Errors: map[string]int64{}, Examples: map[string]string{}}
	var last time.Time
	for _, w := range workers {
		res.Requests += w.requests
		res.Allowed += w.allowed
		res.Denied += w.denied
		res.Patched += w.patched
		res.Failed += w.failed
		res.Latency.Merge(&w.latency)
		res.Service.Merge(&w.service)
		for c, n := range w.errors {
			res.Errors[c] += n
			if _, ok := res.Examples[c]; !ok {
				res.Examples[c] = w.examples[c]
			}
		}
		if w.lastEnd.After(last) {
			last = w.lastEnd
		}
	}
	res.Elapsed = last.Sub(r.measureFrom)
	return res, nil
}

type run struct {
	o      Options
	target *Target
	base   string
	client *http.Client
	dials  atomic.Int64
	runID  uint32
	seq    atomic.Uint64

	start, measureFrom, end time.Time
	measured                atomic.Int64 // measured requests started
	stopOnce                sync.Once
	stopped                 chan struct{}
}

func (r *run) stop() { r.stopOnce.Do(func() { close(r.stopped) }) }

// schedule sends the time each request is due, at Options.Rate, until the end of the run. When
// every worker is busy it falls behind and catches up, keeping the times due.
func (r *run) schedule(ctx context.Context, due chan<- time.Time) {
	defer close(due)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := int64(0); ; i++ {
		next := r.start.Add(time.Duration(float64(i) * float64(time.Second) / r.o.Rate))
		if !next.Before(r.end) {
			return
		}
		if d := time.Until(next); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			case <-r.stopped:
				return
			}
		}
		select {
		case due <- next:
		case <-ctx.Done():
			return
		case <-r.stopped:
			return
		}
	}
}

type worker struct {
	r         *run
	next      int
	connSince time.Time // when the worker's connection was last ended (ReconnectEvery)

	requests, allowed, denied, patched, failed int64
	latency, service                           Histogram
	errors                                     map[string]int64
	examples                                   map[string]string
	lastEnd                                    time.Time
}

func (w *worker) loop(ctx context.Context, due <-chan time.Time) {
	r := w.r
	for {
		var sched time.Time
		if due != nil {
			var ok bool
			select {
			case sched, ok = <-due:
				if !ok {
					return
				}
			case <-r.stopped:
				return
			}
		} else {
			sched = time.Now()
			if !sched.Before(r.end) {
				return
			}
		}
		select {
		case <-r.stopped:
			return
		case <-ctx.Done():
			return
		default:
		}
		measured := !sched.Before(r.measureFrom)
		if measured && r.o.MaxRequests > 0 {
			if r.measured.Add(1) > r.o.MaxRequests {
				r.stop()
				return
			}
		}
		body := &r.o.Bodies[w.next]
		w.next = (w.next + 1) % len(r.o.Bodies)
		s := w.do(ctx, body, sched)
		s.Warmup = !measured
		if measured {
			w.record(&s)
		}
		if r.o.OnSample != nil {
			r.o.OnSample(s)
		}
	}
}

func (w *worker) record(s *Sample) {
	w.requests++
	switch s.Outcome {
	case Allowed:
		w.allowed++
	case Denied:
		w.denied++
	case Patched:
		w.patched++
	default:
		w.failed++
		cause := Cause(s)
		w.errors[cause]++
		if _, ok := w.examples[cause]; !ok {
			w.examples[cause] = s.Err.Error()
		}
	}
	w.latency.Record(s.End.Sub(s.Scheduled))
	w.service.Record(s.End.Sub(s.Start))
	if s.End.After(w.lastEnd) {
		w.lastEnd = s.End
	}
}

// uid returns a UUID-shaped UID unique in this process: the run's random id and a sequence number.
func (r *run) uid() string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", r.runID, r.seq.Add(1)&(1<<48-1))
}

// review is the part of an AdmissionReview response that is checked.
type review struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Response   *struct {
		UID     string `json:"uid"`
		Allowed bool   `json:"allowed"`
		Status  *struct {
			Code    int32  `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
		Patch     []byte  `json:"patch"`
		PatchType *string `json:"patchType"`
	} `json:"response"`
}

func (w *worker) do(ctx context.Context, body *Body, sched time.Time) Sample {
	r := w.r
	s := Sample{UID: r.uid(), Body: body, Scheduled: sched}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+body.Path, bytes.NewReader(body.Fill(s.UID)))
	if err != nil {
		s.Err = err
		s.End = time.Now()
		return s
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if every := r.o.ReconnectEvery; every > 0 {
		if now := time.Now(); w.connSince.IsZero() {
			w.connSince = now
		} else if now.Sub(w.connSince) >= every {
			req.Close = true
			w.connSince = now
		}
	}
	var reused, wrote, gotFirstByte atomic.Bool // the transport may call these from its own goroutines
	if r.o.Trace {
		req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			GotConn:              func(i httptrace.GotConnInfo) { reused.Store(i.Reused) },
			WroteRequest:         func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
			GotFirstResponseByte: func() { gotFirstByte.Store(true) },
		}))
	}
	s.Start = time.Now()
	if s.Scheduled.After(s.Start) {
		s.Scheduled = s.Start
	}
	resp, err := r.client.Do(req)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		s.Status, s.ConnClose = resp.StatusCode, resp.Close
		if err != nil {
			err = fmt.Errorf("reading the response (truncated): %w", err)
		}
	}
	s.End = time.Now()
	s.Reused, s.Wrote, s.GotFirstByte = reused.Load(), wrote.Load(), gotFirstByte.Load()
	if err != nil {
		s.Err = err
		return s
	}
	if resp.StatusCode != http.StatusOK {
		s.Err = fmt.Errorf("HTTP status %d: %.200s", resp.StatusCode, data)
		return s
	}
	var ar review
	if err := json.Unmarshal(data, &ar); err != nil {
		s.Err = fmt.Errorf("the response is not an AdmissionReview (%d bytes): %w", len(data), err)
		return s
	}
	switch {
	case ar.APIVersion != "admission.k8s.io/v1" || ar.Kind != "AdmissionReview" || ar.Response == nil:
		s.Err = fmt.Errorf("the response is not an admission.k8s.io/v1 AdmissionReview with a response: %.200s", data)
	case ar.Response.UID != s.UID:
		s.Err = fmt.Errorf("the response's UID is %q, want the request's %q", ar.Response.UID, s.UID)
	case ar.Response.Allowed && len(ar.Response.Patch) > 0:
		s.Outcome = Patched
	case ar.Response.Allowed:
		s.Outcome = Allowed
	case ar.Response.Status != nil && ar.Response.Status.Code == http.StatusForbidden:
		s.Outcome = Denied
	default:
		s.Outcome = Errored
		code, msg := int32(0), ""
		if st := ar.Response.Status; st != nil {
			code, msg = st.Code, st.Message
		}
		s.Err = fmt.Errorf("the review was answered with an error, code %d: %.300s", code, msg)
	}
	return s
}

// Cause classifies why a request failed, for counting: "connection refused", "connection
// reset", "EOF", "timeout", "truncated response", "HTTP 500", "review error 500", ...
func Cause(s *Sample) string {
	err := s.Err
	switch {
	case err == nil:
		return "none"
	case s.Outcome == Errored:
		return "review error"
	case strings.HasPrefix(err.Error(), "reading the response"):
		return "truncated response"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case s.Status != 0 && s.Status != http.StatusOK:
		return fmt.Sprintf("HTTP %d", s.Status)
	case s.Status == http.StatusOK:
		return "invalid review"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "server closed idle connection"):
		return "EOF"
	}
	return "transport error"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
