package webhook_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jobguard/jobguard/hack/loadgen/load"
	"github.com/jobguard/jobguard/internal/testkit"
)

// TestSIGTERMUnderLoad builds cmd/jobguard, starts `jobguard serve --shutdown-drain 1500ms` on
// 127.0.0.1 with certificates from `jobguard certs generate`, keeps 8 reviews in flight at all
// times with hack/loadgen's client (HTTP/1.1 keep-alive, as the API server), sends SIGTERM, and
// checks that no request fails.
//
// The client models a cluster: from the signal on, the pod is out of the Service's endpoints
// (the preStop sleep lets the removal reach the API servers before SIGTERM), so the client makes
// no new connection to it: such a dial is refused by the test and counted as "routed elsewhere",
// as the API server would send the review to another replica. Connections already made stay in
// use, as they do in a cluster. During the drain the server answers every request with
// "Connection: close", so each connection ends after its next answer; when the drain is over no
// connection is left for Shutdown to close under a request being sent (before the drain, 6 to 11
// requests per run failed with "http: server closed idle connection"). Every request must then
// either get a complete, valid AdmissionReview or be routed elsewhere: any EOF, reset, truncated
// answer or other failure fails the test, as does a review in flight at the signal that does not
// complete, /readyz not failing during the drain, or an exit other than 0 within the drain + 5s.
//
// Which reviews the server began is read from its log, not guessed from the client's clock: the
// configuration denies every review sent, and each denied review is logged with its UID.
func TestSIGTERMUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the jobguard binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build cmd/jobguard with")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "jobguard")
	buildCtx, cancelBuild := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancelBuild()
	build := exec.CommandContext(buildCtx, goBin, "build", "-o", bin, "./cmd/jobguard")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/jobguard: %v\n%s", err, out)
	}

	certDir := filepath.Join(dir, "certs")
	if out, err := exec.Command(bin, "certs", "generate", "--service", "jobguard-webhook", "--namespace", "jobguard", "--out", certDir).CombinedOutput(); err != nil {
		t.Fatalf("jobguard certs generate: %v\n%s", err, out)
	}
	caPEM, err := os.ReadFile(filepath.Join(certDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	// Every finding denies, and every denied review is logged with its UID: the server's log
	// says which reviews it began.
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("webhook:\n  mode: enforce\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()

	addr, healthAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	const drain = 1500 * time.Millisecond
	serve := exec.Command(bin, "serve", "--addr", addr, "--health-addr", healthAddr, "--metrics-addr", "0",
		"--cert-dir", certDir, "--config", cfg, "--shutdown-drain", drain.String())
	serve.Stdout, serve.Stderr = logFile, logFile
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KUBERNETES_SERVICE_HOST=") { // no cluster connection
			serve.Env = append(serve.Env, kv)
		}
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	type exit struct {
		err error
		at  time.Time
	}
	exited := make(chan exit, 1)
	go func() {
		err := serve.Wait()
		exited <- exit{err, time.Now()}
	}()
	var final *exit
	defer func() {
		if final == nil { // the test failed before the process ended: end it
			_ = serve.Process.Kill()
			<-exited
		}
	}()
	serverLog := func() string {
		b, _ := os.ReadFile(logPath)
		return string(b)
	}

	ready := func() bool {
		resp, err := http.Get("http://" + healthAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	for deadline := time.Now().Add(20 * time.Second); !ready(); time.Sleep(50 * time.Millisecond) {
		select {
		case e := <-exited:
			final = &e
			t.Fatalf("jobguard serve exited before it was ready: %v\n%s", e.err, serverLog())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobguard serve not ready within 20s:\n%s", serverLog())
		}
	}

	// Only the reviews the configuration denies, so that each is in the log.
	all := loadMix(t, load.ValidatePath)
	denied := map[string]bool{}
	var mu sync.Mutex
	pre, err := load.Run(context.Background(), load.Options{
		URL: "https://" + addr, RootCAs: roots, Bodies: all, Workers: 1, MaxRequests: int64(len(all)), Duration: time.Minute,
		OnSample: func(s load.Sample) {
			mu.Lock()
			defer mu.Unlock()
			denied[s.Body.Name] = s.Outcome == load.Denied
		},
	})
	if err != nil || pre.Failed > 0 {
		t.Fatalf("sending each review once: %v %v", err, pre.Examples)
	}
	var bodies []load.Body
	for _, b := range all {
		if denied[b.Name] {
			bodies = append(bodies, b)
		}
	}
	if len(bodies) < 10 {
		t.Fatalf("only %d reviews of %d are denied", len(bodies), len(all))
	}

	// From the signal on, the endpoint is removed: no new connection to this server.
	var removed atomic.Bool
	errRoutedElsewhere := errors.New("endpoint removed: routed to another replica")
	beforeDial := func() error {
		if removed.Load() {
			// About the time a review takes elsewhere, so that a worker without a connection
			// does not spin.
			time.Sleep(2 * time.Millisecond)
			return errRoutedElsewhere
		}
		return nil
	}

	stop := make(chan struct{})
	var samples []load.Sample
	type result struct {
		res *load.Result
		err error
	}
	loaded := make(chan result, 1)
	go func() {
		res, err := load.Run(context.Background(), load.Options{
			URL: "https://" + addr, RootCAs: roots, Bodies: bodies, Workers: 8, Duration: 20 * time.Second,
			Stop: stop, Trace: true, BeforeDial: beforeDial,
			OnSample: func(s load.Sample) {
				mu.Lock()
				defer mu.Unlock()
				samples = append(samples, s)
			},
		})
		loaded <- result{res, err}
	}()
	time.Sleep(1500 * time.Millisecond)

	// /readyz, polled from the signal until the process exits, must fail during the drain.
	var readyzFailed atomic.Bool
	pollDone := make(chan struct{})
	pollStop := make(chan struct{})
	go func() {
		defer close(pollDone)
		c := &http.Client{Timeout: time.Second}
		for {
			select {
			case <-pollStop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			resp, err := c.Get("http://" + healthAddr + "/readyz")
			if err != nil {
				continue // stopped, or busy
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				readyzFailed.Store(true)
			}
		}
	}()

	removed.Store(true)
	sigAt := time.Now()
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-exited:
		final = &e
	case <-time.After(drain + 10*time.Second):
		close(stop)
		close(pollStop)
		t.Fatalf("jobguard serve still running %s after SIGTERM:\n%.3000s", drain+10*time.Second, serverLog())
	}
	close(pollStop)
	<-pollDone
	time.Sleep(100 * time.Millisecond) // keep sending: these go elsewhere
	close(stop)
	lr := <-loaded
	if lr.err != nil {
		t.Fatal(lr.err)
	}

	took := final.at.Sub(sigAt)
	if final.err != nil {
		t.Errorf("jobguard serve exited with %v after SIGTERM, want status 0", final.err)
	}
	if took < drain || took > drain+5*time.Second {
		t.Errorf("jobguard serve took %s to exit after SIGTERM, want the %s drain and at most 5s more", took, drain)
	}
	if !readyzFailed.Load() {
		t.Error("/readyz did not fail during the drain")
	}
	logText := serverLog()
	for _, want := range []string{"jobguard webhook draining", "jobguard webhook stopped"} {
		if !strings.Contains(logText, want) {
			t.Errorf("the log does not say %q:\n%.3000s", want, logText)
		}
	}
	begun := map[string]bool{}
	for _, m := range regexp.MustCompile(`uid=([0-9a-f]{8}-0000-4000-8000-[0-9a-f]{12})`).FindAllStringSubmatch(logText, -1) {
		begun[m[1]] = true
	}

	var before, inFlight, completedAfter, closed, elsewhere int
	problems := map[string]int{}
	example := map[string]string{}
	problem := func(kind string, s *load.Sample) {
		problems[kind]++
		if _, ok := example[kind]; !ok {
			example[kind] = fmt.Sprintf("%s (%s, sent %s after SIGTERM, reused connection %v, written %v, response begun %v): %v",
				s.UID, s.Body.Name, s.Start.Sub(sigAt).Round(time.Microsecond), s.Reused, s.Wrote, s.GotFirstByte, s.Err)
		}
	}
	for i := range samples {
		s := &samples[i]
		sentBefore := s.Start.Before(sigAt)
		if sentBefore {
			before++
			if s.End.After(sigAt) {
				inFlight++
			}
		}
		if s.ConnClose {
			closed++
		}
		switch {
		case s.Outcome == load.Denied:
			if !sentBefore {
				completedAfter++
			}
			if !begun[s.UID] {
				problem("denied but not in the server's log (the test's premise is broken)", s)
			}
		case s.Outcome != load.Failed:
			problem(fmt.Sprintf("answered with outcome %d, not a denial", s.Outcome), s)
		case errors.Is(s.Err, errRoutedElsewhere) && !s.Reused && !s.Wrote:
			elsewhere++
		case s.GotFirstByte || s.Status != 0:
			problem("failed after the answer began (truncated or invalid)", s)
		case begun[s.UID]:
			problem("begun by the server (in its log) but failed", s)
		case s.Start.Before(sigAt):
			problem("sent before SIGTERM, failed", s)
		default:
			problem("sent after SIGTERM, failed with "+load.Cause(s), s)
		}
	}
	t.Logf("exit %s after SIGTERM (drain %s); %d requests: %d sent before it (%d in flight), %d sent after it and answered, "+
		"%d answers with Connection: close, %d routed elsewhere (no new connection to a removed endpoint)",
		took.Round(time.Millisecond), drain, len(samples), before, inFlight, completedAfter, closed, elsewhere)
	for kind, n := range problems {
		t.Errorf("%d requests %s, e.g. %s", n, kind, example[kind])
	}
	if inFlight == 0 {
		t.Error("no review was in flight at SIGTERM: the test did not test anything")
	}
	if completedAfter == 0 || closed == 0 {
		t.Errorf("%d reviews sent after SIGTERM were answered, %d with Connection: close; want some of each: the drain serves kept-alive connections and ends them", completedAfter, closed)
	}
	if elsewhere == 0 {
		t.Error("no request was routed elsewhere: the load stopped too early to tell")
	}
}
