package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jobguard/jobguard/certs"
	"github.com/jobguard/jobguard/internal/testkit"
)

// serve runs `jobguard serve args` until ctx is done and returns what it logged and its error.
func serve(ctx context.Context, args ...string) (*testkit.SyncBuffer, error) {
	cmd := newServeCommand()
	var out testkit.SyncBuffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return &out, cmd.ExecuteContext(ctx)
}

func TestServeHelp(t *testing.T) {
	cmd := newServeCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"--addr string", `(default ":9443")`,
		"--cert-dir string", "tls.crt", "tls.key",
		"--config string",
		"--health-addr string", `(default ":8081")`,
		"--metrics-addr string", `(default ":8080")`,
		"--kube-version version",
		"--shutdown-drain duration", "(default 3s)", `"Connection: close"`, "terminationGracePeriodSeconds",
		"jobguard certs generate --service jobguard-webhook --namespace jobguard --out ./certs",
		"curl -s --cacert ./certs/ca.crt",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func exitCode(t *testing.T, err error) (int, string) {
	t.Helper()
	var ee *exitError
	if !errors.As(err, &ee) {
		t.Fatalf("error %v is not an exitError", err)
	}
	return ee.code, ee.Error()
}

func TestServeStartupErrors(t *testing.T) {
	good := t.TempDir()
	testkit.ServingCert(t, good, certs.GenerateOptions{})
	expired := t.TempDir()
	testkit.ServingCert(t, expired, certs.GenerateOptions{Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }, CertValidity: time.Hour})
	badConfig := filepath.Join(t.TempDir(), ".jobguard.yaml")
	if err := os.WriteFile(badConfig, []byte("webhook:\n  mode: block\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		args []string
		want []string
	}{
		"bad config":       {[]string{"--cert-dir", good, "--config", badConfig}, []string{badConfig, `unknown mode "block"`}},
		"missing config":   {[]string{"--cert-dir", good, "--config", badConfig + ".missing"}, []string{"no such file"}},
		"no certificate":   {[]string{"--cert-dir", t.TempDir()}, []string{"--cert-dir", "tls.crt", "jobguard certs generate"}},
		"expired":          {[]string{"--cert-dir", expired}, []string{"expired"}},
		"bad address":      {[]string{"--cert-dir", good, "--addr", "9443"}, []string{"webhook address"}},
		"bad kube version": {[]string{"--cert-dir", good, "--kube-version", "2.0"}, []string{"only Kubernetes 1.x"}},
		"negative drain":   {[]string{"--cert-dir", good, "--shutdown-drain", "-1s"}, []string{"--shutdown-drain", "negative"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := serve(context.Background(), c.args...)
			if name == "bad kube version" { // a flag error: cobra's, exit 2 from run
				if err == nil || !strings.Contains(err.Error(), c.want[0]) {
					t.Errorf("error = %v, want %q", err, c.want[0])
				}
				return
			}
			code, msg := exitCode(t, err)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

// TestServe runs the command as a user would try it: no cluster, a certificate in a directory,
// curl-like requests, then a signal-like cancellation, which drains (--shutdown-drain) before
// the server stops: /readyz fails and answers say "Connection: close".
func TestServe(t *testing.T) {
	certDir := t.TempDir()
	pool := testkit.ServingCert(t, certDir, certs.GenerateOptions{})
	addr, health, metrics := testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)
	config := filepath.Join(t.TempDir(), ".jobguard.yaml")
	if err := os.WriteFile(config, []byte("webhook:\n  excludedNamespaces: [kube-system]\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		err  error
		logs *testkit.SyncBuffer
	}
	done := make(chan result, 1)
	go func() {
		logs, err := serve(ctx, "--addr", addr, "--cert-dir", certDir, "--config", config,
			"--health-addr", health, "--metrics-addr", metrics, "--kube-version", "1.24", "--shutdown-drain", "2s")
		done <- result{err, logs}
	}()

	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + health + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			r := <-done
			t.Fatalf("not ready: %v; logs:\n%s", r.err, r.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The serving certificate's expiry, for alerts (deploy/monitoring).
	resp, err := http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	exposition, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var expiry float64
	for line := range strings.Lines(string(exposition)) {
		if rest, ok := strings.CutPrefix(line, "jobguard_certificate_expiry_timestamp_seconds "); ok {
			expiry, _ = strconv.ParseFloat(strings.TrimSpace(rest), 64)
		}
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(certDir, "tls.crt"), filepath.Join(certDir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(pair.Leaf.NotAfter.Unix()); expiry != want {
		t.Errorf("jobguard_certificate_expiry_timestamp_seconds = %v, want the certificate's notAfter, %v", expiry, want)
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	// post returns the answer's response and whether it said "Connection: close".
	post := func(object string) (map[string]any, bool) {
		t.Helper()
		body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"42","operation":"CREATE",` +
			`"namespace":"default","kind":{"group":"batch","version":"v1beta1","kind":"CronJob"},"object":` + object + `}}`
		resp, err := client.Post("https://"+addr+"/validate", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ar struct{ Response map[string]any }
		if err := json.NewDecoder(resp.Body).Decode(&ar); err != nil {
			t.Fatal(err)
		}
		return ar.Response, resp.Close
	}
	// batch/v1beta1 CronJobs exist in 1.24 (--kube-version), so deprecated-api does not deny.
	cronJob := `{"apiVersion":"batch/v1beta1","kind":"CronJob","metadata":{"name":"ok"},"spec":{"schedule":"0 1 * * *",` +
		`"startingDeadlineSeconds":300,"concurrencyPolicy":"Forbid","jobTemplate":{"spec":{"activeDeadlineSeconds":600,` +
		`"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"a","image":"a:1"}]}}}}}}`
	r, closed := post(cronJob)
	if r["uid"] != "42" || r["allowed"] != true || closed {
		t.Errorf("response %v (Connection: close %v), want uid 42 allowed, connection kept alive", r, closed)
	}

	cancel()
	// Draining: /readyz fails at once, reviews are still answered, each with Connection: close.
	readyz := func() int {
		resp, err := http.Get("http://" + health + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for deadline := time.Now().Add(time.Second); readyz() == http.StatusOK; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("/readyz still succeeds 1s after the cancellation, want it to fail while draining")
		}
	}
	r, closed = post(cronJob) // on the kept-alive connection
	if r["uid"] != "42" || r["allowed"] != true || !closed {
		t.Errorf("while draining: response %v (Connection: close %v), want uid 42 allowed with Connection: close", r, closed)
	}
	select {
	case r := <-done:
		if r.err != nil {
			t.Errorf("serve returned %v after cancellation, want nil; logs:\n%s", r.err, r.logs)
		}
		t.Logf("logs:\n%s", r.logs)
		for _, want := range []string{"jobguard webhook starting", "SubjectAccessReview checks are skipped", "background audit off: it needs a cluster connection", "jobguard webhook draining", "jobguard webhook stopped"} {
			if !strings.Contains(r.logs.String(), want) {
				t.Errorf("logs lack %q:\n%s", want, r.logs)
			}
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}
