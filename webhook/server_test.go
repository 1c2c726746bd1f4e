package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/jobguard/jobguard/certs"
	"github.com/jobguard/jobguard/internal/testkit"
)

func get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const slowJob = `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"slow","namespace":"default"},
"spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:1"}]}}}}`

func reviewBody(t *testing.T, uid string, obj string) []byte {
	t.Helper()
	ar := admissionv1.AdmissionReview{Request: &admissionv1.AdmissionRequest{
		UID:       types.UID("uid-" + uid),
		Kind:      metav1.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"},
		Operation: admissionv1.Create,
		Namespace: "default",
		Object:    runtime.RawExtension{Raw: []byte(obj)},
	}}
	ar.APIVersion, ar.Kind = "admission.k8s.io/v1", "AdmissionReview"
	b, err := json.Marshal(ar)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStart runs the three servers over real sockets: readiness follows the certificate, the
// webhook answers over TLS, metrics move, and cancelling the context lets the review in flight
// finish before Start returns.
func TestStart(t *testing.T) {
	certDir := t.TempDir()
	pool := testkit.ServingCert(t, certDir, certs.GenerateOptions{})
	addr, healthAddr, metricsAddr := testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)
	var certErr atomic.Pointer[error]
	notYet := errors.New("certificate not loaded yet")
	certErr.Store(&notYet)

	s, err := New(Options{
		Addr:        addr,
		CertDir:     certDir,
		HealthAddr:  healthAddr,
		MetricsAddr: metricsAddr,
		CertReady:   func() error { return *certErr.Load() },
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Hold the review of the Job named "slow" until released. Its request context is cancelled
	// when shutdown starts; the review must still complete.
	entered, release := make(chan struct{}), make(chan struct{})
	var cancelledInFlight atomic.Bool
	s.beforeReview = func(ctx context.Context, req admission.Request) {
		if strings.Contains(string(req.Object.Raw), `"slow"`) {
			close(entered)
			<-release
			cancelledInFlight.Store(ctx.Err() != nil)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- s.Start(ctx) }()

	waitFor(t, "/healthz", func() bool { code, _, _ := get("http://" + healthAddr + "/healthz"); return code == 200 })
	code, body, _ := get("http://" + healthAddr + "/readyz?verbose")
	if code != 500 || !strings.Contains(body, "[-]certificate failed") {
		t.Errorf("readyz with the certificate not loaded: %d %s, want a failed certificate check", code, body)
	}
	var ok error
	certErr.Store(&ok)
	waitFor(t, "/readyz", func() bool { code, _, _ := get("http://" + healthAddr + "/readyz"); return code == 200 })
	if code, body, _ := get("http://" + healthAddr + "/readyz/rules"); code != 200 {
		t.Errorf("/readyz/rules: %d %s", code, body)
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	postReview := func(uid, obj string) (*admissionv1.AdmissionReview, error) {
		resp, err := client.Post("https://"+addr+ValidatePath, "application/json", bytes.NewReader(reviewBody(t, uid, obj)))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var ar admissionv1.AdmissionReview
		if err := json.NewDecoder(resp.Body).Decode(&ar); err != nil {
			return nil, err
		}
		return &ar, nil
	}
	job := strings.ReplaceAll(slowJob, `"slow"`, `"quick"`)
	ar, err := postReview("1", job)
	if err != nil {
		t.Fatal(err)
	}
	if ar.Response.UID != "uid-1" || ar.Response.Allowed || ar.Response.Result.Code != 403 {
		t.Errorf("uid=%s allowed=%v result=%+v, want uid-1 denied", ar.Response.UID, ar.Response.Allowed, ar.Response.Result)
	}
	_, metrics, _ := get("http://" + metricsAddr + "/metrics")
	for _, want := range []string{
		`jobguard_admission_requests_total{allowed="false",kind="Job",operation="CREATE",webhook="validate"} 1`,
		`jobguard_admission_findings_total{action="denied",existing="false",rule="job-restart-policy",severity="error"} 1`,
		`jobguard_admission_duration_seconds_count{webhook="validate"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A review in flight when shutdown starts is finished, not failed.
	inFlight := make(chan *admissionv1.AdmissionReview, 1)
	go func() {
		ar, err := postReview("2", slowJob)
		if err != nil {
			t.Errorf("the review in flight failed: %v", err)
		}
		inFlight <- ar
	}()
	<-entered
	cancel()
	waitFor(t, "the listener to close", func() bool {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	close(release)
	if ar := <-inFlight; ar == nil || ar.Response.UID != "uid-2" || ar.Response.Result.Code != 403 {
		t.Errorf("the review in flight got %+v, want a complete denial", ar)
	}
	// controller-runtime's server cancels request contexts as soon as shutdown starts (its
	// BaseContext is Start's context); the review above completed anyway.
	if !cancelledInFlight.Load() {
		t.Error("the request context was not cancelled by the shutdown; the test no longer covers it")
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Start returned %v, want nil after a graceful shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return after the context was cancelled")
	}
}

// TestStartDrains: with Options.ShutdownDrain, cancelling Start's context first drains: /readyz
// fails, the listener still accepts, and every answer says "Connection: close", on kept-alive
// connections and new ones; Start returns once the drain is over.
func TestStartDrains(t *testing.T) {
	certDir := t.TempDir()
	pool := testkit.ServingCert(t, certDir, certs.GenerateOptions{})
	addr, healthAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	const drain = 700 * time.Millisecond
	s, err := New(Options{Addr: addr, CertDir: certDir, HealthAddr: healthAddr, MetricsAddr: Disabled,
		ShutdownDrain: drain, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- s.Start(ctx) }()
	waitFor(t, "/readyz", func() bool { code, _, _ := get("http://" + healthAddr + "/readyz"); return code == 200 })

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	post := func(uid string) (closed bool) {
		t.Helper()
		resp, err := client.Post("https://"+addr+ValidatePath, "application/json", bytes.NewReader(reviewBody(t, uid, slowJob)))
		if err != nil {
			t.Fatalf("review %s: %v", uid, err)
		}
		defer resp.Body.Close()
		var ar admissionv1.AdmissionReview
		if err := json.NewDecoder(resp.Body).Decode(&ar); err != nil || ar.Response == nil || ar.Response.UID != types.UID("uid-"+uid) {
			t.Fatalf("review %s: %v %+v", uid, err, ar.Response)
		}
		return resp.Close
	}
	if post("1") || s.Draining() {
		t.Fatal("before the cancellation: Connection: close or draining, want neither")
	}
	cancelled := time.Now()
	cancel()
	waitFor(t, "draining", s.Draining)
	if code, body, _ := get("http://" + healthAddr + "/readyz?verbose"); code == 200 || !strings.Contains(body, "[-]shutdown failed") {
		t.Errorf("/readyz while draining: %d %s, want the shutdown check failed", code, body)
	}
	if code, _, _ := get("http://" + healthAddr + "/healthz"); code != 200 {
		t.Errorf("/healthz while draining: %d, want 200 (alive)", code)
	}
	if !post("2") { // the kept-alive connection
		t.Error("while draining, the answer on a kept-alive connection did not say Connection: close")
	}
	if !post("3") { // a new connection: the listener still accepts
		t.Error("while draining, the answer on a new connection did not say Connection: close")
	}
	select {
	case err := <-stopped:
		if took := time.Since(cancelled); err != nil || took < drain {
			t.Errorf("Start returned %v after %s, want nil after the %s drain", err, took, drain)
		}
	case <-time.After(drain + 10*time.Second):
		t.Fatal("Start did not return after the drain")
	}
}

// TestStartFailsWithoutDrain: a server that cannot start stops the others at once, drain or not.
func TestStartFailsWithoutDrain(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	certDir := t.TempDir()
	testkit.ServingCert(t, certDir, certs.GenerateOptions{})
	s, err := New(Options{Addr: testkit.FreeAddr(t), CertDir: certDir, HealthAddr: Disabled, MetricsAddr: taken.Addr().String(),
		ShutdownDrain: time.Minute, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "metrics server") || time.Since(start) > 10*time.Second {
		t.Errorf("Start = %v after %s, want the metrics server's error, soon", err, time.Since(start))
	}
}
