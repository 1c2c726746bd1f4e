package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// TestEnvtest runs three Managers against a real kube-apiserver and etcd
// (controller-runtime's envtest): they converge on one CA in one Secret, the
// API server accepts the strategic-merge caBundle patches, and a TLS server
// reading the files through certwatcher presents a renewed certificate
// without a restart.
func TestEnvtest(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip(`KUBEBUILDER_ASSETS is unset, so there is no kube-apiserver to test against; to run this test:
  export KUBEBUILDER_ASSETS="$(hack/envtest-binaries.sh)"`)
	}
	if testing.Short() {
		t.Skip("starts a kube-apiserver: skipped with -short")
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting envtest with the binaries in %s: %v", os.Getenv("KUBEBUILDER_ASSETS"), err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS}}); err != nil {
		t.Fatal(err)
	}
	for _, obj := range webhookConfigs() {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}

	// Three replicas start at once.
	clk := &clock{t: time.Now().Truncate(time.Second)}
	var ms []*Manager
	for range 3 {
		ms = append(ms, newTestManager(t, c, clk, func(o *Options) { o.CertValidity = 30 * 24 * time.Hour }))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ms))
	for i, m := range ms {
		wg.Go(func() { errs[i] = m.Sync(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	s := getSecret(t, c)
	if s.Type != corev1.SecretTypeTLS {
		t.Errorf("Secret type %q", s.Type)
	}
	for i, m := range ms {
		checkFiles(t, m, s, clk.Now())
		if !bytes.Equal(readFile(t, m.CertPath()), s.Data[CertName]) {
			t.Errorf("replica %d did not adopt the Secret's certificate", i)
		}
	}
	checkBundleInjected(t, c, s.Data[CACertName])

	// Serve the files the way controller-runtime's webhook server does.
	m := ms[0]
	cw, err := certwatcher.New(m.CertPath(), m.KeyPath())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: cw.GetCertificate, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.(*tls.Conn).Handshake()
			_ = conn.Close()
		}
	}()
	served := func(at time.Time) []byte {
		t.Helper()
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(caBundles(t, c)["validating/jobs.jobguard.io"])
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), &tls.Config{
			RootCAs: roots, ServerName: testService + "." + testNS + ".svc", Time: func() time.Time { return at },
			MinVersion: tls.VersionTLS12,
		})
		if err != nil {
			t.Fatalf("handshake trusting the injected caBundle: %v", err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Raw
	}
	first := served(clk.Now())

	// 25 of 30 days later one replica renews; the served certificate changes
	// once certwatcher re-reads the files (it polls and watches; here it is
	// asked directly).
	later := clk.Now().Add(25 * 24 * time.Hour)
	clk.Set(later)
	if err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cw.ReadCertificate(); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(served(later), first) {
		t.Error("the server still presents the old certificate after renewal")
	}
	s2 := getSecret(t, c)
	if !bytes.Equal(s2.Data[CACertName], s.Data[CACertName]) {
		t.Error("renewal changed the CA")
	}
	// The other replicas adopt the renewed certificate on their next check.
	for _, other := range ms[1:] {
		if err := other.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(readFile(t, other.CertPath()), s2.Data[CertName]) {
			t.Error("a replica did not adopt the renewed certificate")
		}
	}
	if s3 := getSecret(t, c); s3.ResourceVersion != s2.ResourceVersion {
		t.Error("the other replicas rewrote the Secret")
	}

	// Seven years on the CA is due: the API server takes a two-CA caBundle,
	// then the old CA is dropped after the grace period.
	roll := later.Add(7 * 365 * 24 * time.Hour)
	clk.Set(roll)
	if err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cw.ReadCertificate(); err != nil {
		t.Fatal(err)
	}
	s4 := getSecret(t, c)
	if n := len(bundleCNs(t, s4.Data[CACertName])); n != 2 {
		t.Fatalf("bundle during the rollover holds %d CAs, want 2", n)
	}
	checkBundleInjected(t, c, s4.Data[CACertName])
	served(roll)
	clk.Set(roll.Add(m.opts.RolloverGracePeriod))
	if err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	s5 := getSecret(t, c)
	if n := len(bundleCNs(t, s5.Data[CACertName])); n != 1 {
		t.Fatalf("bundle after the rollover holds %d CAs, want 1", n)
	}
	checkBundleInjected(t, c, s5.Data[CACertName])
	served(roll.Add(m.opts.RolloverGracePeriod))
}
