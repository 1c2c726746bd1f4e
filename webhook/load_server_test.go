package webhook_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/jobguard/jobguard/certs"
	"github.com/jobguard/jobguard/hack/loadgen/load"
	"github.com/jobguard/jobguard/internal/testkit"
	"github.com/jobguard/jobguard/webhook"
)

// loadServer is a Server started on a loopback port over TLS, for the load, soak and shutdown
// tests and benchmarks.
type loadServer struct {
	*webhook.Server
	Addr    string // 127.0.0.1:port
	URL     string // https://127.0.0.1:port
	CertDir string
	Bundle  *certs.Bundle // the certificate it started with
	Roots   *x509.CertPool
}

// loadStart starts a Server with opts on a free 127.0.0.1 port with a certificate from
// certs.Generate in a temporary CertDir; the health and metrics servers are off unless opts
// sets them, and logs are formatted (as jobguard serve's are) then discarded unless opts sets a
// Logger. The server is stopped, gracefully, when the test ends.
func loadStart(tb testing.TB, opts webhook.Options) *loadServer {
	tb.Helper()
	bundle, err := certs.Generate(certs.GenerateOptions{ServiceName: "jobguard-webhook", Namespace: "jobguard"})
	if err != nil {
		tb.Fatal(err)
	}
	certDir := tb.TempDir()
	if err := bundle.WriteDir(certDir); err != nil {
		tb.Fatal(err)
	}
	opts.Addr, opts.CertDir = testkit.FreeAddr(tb), certDir
	if opts.HealthAddr == "" {
		opts.HealthAddr = webhook.Disabled
	}
	if opts.MetricsAddr == "" {
		opts.MetricsAddr = webhook.Disabled
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := webhook.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- s.Start(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				tb.Errorf("Start: %v", err)
			}
		case <-time.After(30 * time.Second):
			tb.Error("the server did not stop within 30s")
		}
	})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(bundle.CACert)
	srv := &loadServer{Server: s, Addr: opts.Addr, URL: "https://" + opts.Addr, CertDir: certDir, Bundle: bundle, Roots: roots}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := srv.servingSerial(roots); err == nil {
			return srv
		} else if time.Now().After(deadline) {
			tb.Fatalf("the webhook server does not answer on %s: %v", opts.Addr, err)
		}
		select {
		case err := <-stopped:
			tb.Fatalf("the webhook server stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// servingSerial makes a new TLS connection, verified with roots, and returns the serial number
// of the certificate the server presented.
func (s *loadServer) servingSerial(roots *x509.CertPool) (*big.Int, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 2 * time.Second}, Config: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}}
	conn, err := d.Dial("tcp", s.Addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	peers := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(peers) == 0 {
		return nil, errors.New("no peer certificate")
	}
	return peers[0].SerialNumber, nil
}

// loadMix returns the reviews of testdata sent to paths (all when none is given).
func loadMix(tb testing.TB, paths ...string) []load.Body {
	tb.Helper()
	bodies, err := load.MixFrom("../testdata")
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) > 0 {
		bodies = load.Only(bodies, paths...)
	}
	return bodies
}

// loadSignServing issues a serving certificate for localhost, 127.0.0.1 and ::1 signed by the
// CA of ca (its CACert and CAKey), valid for a day, and returns a bundle of that CA with it.
func loadSignServing(ca *certs.Bundle) (*certs.Bundle, *big.Int, error) {
	caBlock, _ := pem.Decode(ca.CACert)
	keyBlock, _ := pem.Decode(ca.CAKey)
	if caBlock == nil || keyBlock == nil {
		return nil, nil, errors.New("the CA certificate or key is not PEM")
	}
	caCert, err := x509.ParseCertificate(caBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	caKey, err := x509.ParseECPrivateKey(keyBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: fmt.Sprintf("jobguard-webhook rotated@%d", now.UnixNano())},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return &certs.Bundle{
		CACert: ca.CACert,
		CAKey:  ca.CAKey,
		Cert:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:    pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, serial, nil
}
