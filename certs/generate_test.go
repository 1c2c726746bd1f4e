package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// t0 is a whole second: x509 keeps seconds only.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustParseCert(t *testing.T, pemData []byte) *x509.Certificate {
	t.Helper()
	certs, _, err := parseCerts(pemData)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	if len(certs) != 1 {
		t.Fatalf("got %d certificates, want 1", len(certs))
	}
	return certs[0]
}

func checkP256(t *testing.T, what string, cert *x509.Certificate, keyPEM []byte) {
	t.Helper()
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("%s: public key is %T, want ECDSA P-256", what, cert.PublicKey)
	}
	if cert.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Errorf("%s: signature algorithm %v, want ECDSA-SHA256", what, cert.SignatureAlgorithm)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		t.Fatalf("%s: parse key: %v", what, err)
	}
	if k, ok := key.(*ecdsa.PrivateKey); !ok || k.Curve != elliptic.P256() || !k.PublicKey.Equal(cert.PublicKey) {
		t.Errorf("%s: key is not the certificate's P-256 key", what)
	}
}

func TestGenerate(t *testing.T) {
	b, err := Generate(GenerateOptions{ServiceName: "jobguard-webhook", Namespace: "jobguard", Now: fixedNow(t0)})
	if err != nil {
		t.Fatal(err)
	}

	ca := mustParseCert(t, b.CACert)
	checkP256(t, "CA", ca, b.CAKey)
	if !ca.IsCA || !ca.BasicConstraintsValid {
		t.Errorf("CA: IsCA=%v BasicConstraintsValid=%v, want both", ca.IsCA, ca.BasicConstraintsValid)
	}
	if ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA: key usage %b lacks CertSign", ca.KeyUsage)
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Errorf("CA is not self-signed: %v", err)
	}
	if !ca.NotAfter.Equal(t0.Add(10 * 365 * 24 * time.Hour)) {
		t.Errorf("CA NotAfter = %v, want %v (10 years)", ca.NotAfter, t0.Add(DefaultCAValidity))
	}
	if ca.NotBefore.After(t0) {
		t.Errorf("CA NotBefore = %v, after issue time %v", ca.NotBefore, t0)
	}

	srv := mustParseCert(t, b.Cert)
	checkP256(t, "serving", srv, b.Key)
	if srv.IsCA {
		t.Error("serving certificate is a CA")
	}
	if !slices.Equal(srv.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("serving ExtKeyUsage = %v, want [ServerAuth]", srv.ExtKeyUsage)
	}
	wantDNS := []string{
		"jobguard-webhook",
		"jobguard-webhook.jobguard",
		"jobguard-webhook.jobguard.svc",
		"jobguard-webhook.jobguard.svc.cluster.local",
		"localhost",
	}
	if !slices.Equal(srv.DNSNames, wantDNS) {
		t.Errorf("DNS SANs = %q, want %q", srv.DNSNames, wantDNS)
	}
	var ips []string
	for _, ip := range srv.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"127.0.0.1", "::1"}; !slices.Equal(ips, want) {
		t.Errorf("IP SANs = %q, want %q", ips, want)
	}
	if !srv.NotAfter.Equal(t0.Add(365 * 24 * time.Hour)) {
		t.Errorf("serving NotAfter = %v, want %v (1 year)", srv.NotAfter, t0.Add(DefaultCertValidity))
	}
	if srv.NotBefore.After(t0) {
		t.Errorf("serving NotBefore = %v, after issue time %v", srv.NotBefore, t0)
	}

	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, name := range append(wantDNS, "127.0.0.1", "::1") {
		if _, err := srv.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, CurrentTime: t0,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("Verify(%s): %v", name, err)
		}
	}
	for _, bad := range []struct {
		name string
		at   time.Time
	}{
		{"other.jobguard.svc", t0},
		{"10.0.0.1", t0},
		{"jobguard-webhook.jobguard.svc", t0.Add(DefaultCertValidity + time.Second)},
	} {
		if _, err := srv.Verify(x509.VerifyOptions{DNSName: bad.name, Roots: roots, CurrentTime: bad.at}); err == nil {
			t.Errorf("Verify(%s at %v) succeeded, want an error", bad.name, bad.at)
		}
	}
	if _, err := tls.X509KeyPair(b.Cert, b.Key); err != nil {
		t.Errorf("tls.X509KeyPair: %v", err)
	}
}

func TestGenerateOptions(t *testing.T) {
	b, err := Generate(GenerateOptions{
		ServiceName: "s", Namespace: "n", ClusterDomain: "example.internal",
		CAValidity: 48 * time.Hour, CertValidity: 30 * time.Hour, Now: fixedNow(t0),
	})
	if err != nil {
		t.Fatal(err)
	}
	ca, srv := mustParseCert(t, b.CACert), mustParseCert(t, b.Cert)
	if !ca.NotAfter.Equal(t0.Add(48 * time.Hour)) {
		t.Errorf("CA NotAfter = %v, want +48h", ca.NotAfter)
	}
	if !srv.NotAfter.Equal(t0.Add(30 * time.Hour)) {
		t.Errorf("serving NotAfter = %v, want +30h", srv.NotAfter)
	}
	if !slices.Contains(srv.DNSNames, "s.n.svc.example.internal") {
		t.Errorf("DNS SANs %q lack s.n.svc.example.internal", srv.DNSNames)
	}

	// The serving certificate never outlives its CA.
	b, err = Generate(GenerateOptions{ServiceName: "s", Namespace: "n",
		CAValidity: 24 * time.Hour, CertValidity: 1000 * time.Hour, Now: fixedNow(t0)})
	if err != nil {
		t.Fatal(err)
	}
	if ca, srv := mustParseCert(t, b.CACert), mustParseCert(t, b.Cert); !srv.NotAfter.Equal(ca.NotAfter) {
		t.Errorf("serving NotAfter = %v, want the CA's %v", srv.NotAfter, ca.NotAfter)
	}

	// Two runs share nothing.
	b2, err := Generate(GenerateOptions{ServiceName: "s", Namespace: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(b.CAKey, b2.CAKey) || bytes.Equal(b.Key, b2.Key) {
		t.Error("two Generate calls returned the same key")
	}
}

func TestGenerateInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		opts GenerateOptions
		want string
	}{
		{GenerateOptions{Namespace: "n"}, "Service name is required"},
		{GenerateOptions{ServiceName: "s"}, "namespace is required"},
		{GenerateOptions{ServiceName: "Web_Hook", Namespace: "n"}, `invalid Service name "Web_Hook"`},
		{GenerateOptions{ServiceName: "s", Namespace: "a.b"}, `invalid namespace "a.b"`},
		{GenerateOptions{ServiceName: "s", Namespace: "n", ClusterDomain: "-bad"}, "invalid cluster domain"},
		{GenerateOptions{ServiceName: "s", Namespace: "n", CertValidity: -time.Hour}, "validity must be positive"},
	} {
		_, err := Generate(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Generate(%+v) error = %v, want it to contain %q", tc.opts, err, tc.want)
		}
	}
}

// TestGenerateTLSHandshake serves the certificate on a loopback port and
// connects the way the API server does: trusting only ca.crt, checking the
// Service's DNS name.
func TestGenerateTLSHandshake(t *testing.T) {
	b, err := Generate(GenerateOptions{ServiceName: "jobguard-webhook", Namespace: "jobguard"})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(b.Cert, b.Key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			_, _ = io.WriteString(c, "ok")
			_ = c.Close()
		}
	}()

	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(b.CACert) {
		t.Fatal("ca.crt holds no certificate")
	}
	for _, serverName := range []string{"jobguard-webhook.jobguard.svc", "localhost", ""} {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(),
			&tls.Config{RootCAs: roots, ServerName: serverName, MinVersion: tls.VersionTLS12})
		if err != nil {
			t.Errorf("handshake with ServerName %q: %v", serverName, err)
			continue
		}
		_ = conn.Close()
	}
	// A name the certificate does not cover fails.
	if conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "evil.example", MinVersion: tls.VersionTLS12}); err == nil {
		_ = conn.Close()
		t.Error("handshake for evil.example succeeded")
	}
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestWriteDir(t *testing.T) {
	b, err := Generate(GenerateOptions{ServiceName: "s", Namespace: "n"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "a", "certs")
	if err := b.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if got := fileMode(t, dir); got != 0o700 {
		t.Errorf("directory mode %o, want 700", got)
	}
	want := map[string]struct {
		data []byte
		mode os.FileMode
	}{
		"ca.crt":  {b.CACert, 0o644},
		"tls.crt": {b.Cert, 0o644},
		"tls.key": {b.Key, 0o600},
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"ca.crt", "tls.crt", "tls.key"}; !slices.Equal(names, want) {
		t.Errorf("files %q, want %q (no ca.key, no temporary files)", names, want)
	}
	for name, w := range want {
		p := filepath.Join(dir, name)
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, w.data) {
			t.Errorf("%s content differs from the bundle", name)
		}
		if m := fileMode(t, p); m != w.mode {
			t.Errorf("%s mode %o, want %o", name, m, w.mode)
		}
	}
	if got := b.Files(dir); !slices.Equal(got, []string{filepath.Join(dir, "ca.crt"), filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")}) {
		t.Errorf("Files = %q", got)
	}

	// Overwrite with a new bundle and the CA key; a key left world-readable
	// is tightened.
	if err := os.Chmod(filepath.Join(dir, "tls.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	b2, err := Generate(GenerateOptions{ServiceName: "s", Namespace: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.WriteDir(dir, WithCAKey()); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"ca.crt": b2.CACert, "tls.crt": b2.Cert, "tls.key": b2.Key, "ca.key": b2.CAKey} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s not overwritten", name)
		}
	}
	for _, name := range []string{"tls.key", "ca.key"} {
		if m := fileMode(t, filepath.Join(dir, name)); m != 0o600 {
			t.Errorf("%s mode %o, want 600", name, m)
		}
	}
	if n := len(b2.Files(dir, WithCAKey())); n != 4 {
		t.Errorf("Files with WithCAKey lists %d files, want 4", n)
	}

	// The written pair loads the way controller-runtime's certwatcher loads it.
	if _, err := tls.LoadX509KeyPair(filepath.Join(dir, CertName), filepath.Join(dir, KeyName)); err != nil {
		t.Errorf("LoadX509KeyPair: %v", err)
	}
}

func TestWriteDirEmptyBundle(t *testing.T) {
	if err := (&Bundle{}).WriteDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no data for ca.crt") {
		t.Errorf("WriteDir of an empty bundle: %v", err)
	}
}

func TestDNSNames(t *testing.T) {
	want := []string{"s", "s.n", "s.n.svc", "s.n.svc.cluster.local"}
	if got := DNSNames("s", "n", ""); !slices.Equal(got, want) {
		t.Errorf("DNSNames = %q, want %q", got, want)
	}
}

func TestParseKeyPKCS8(t *testing.T) {
	// A key converted to PKCS #8 (openssl pkcs8 -topk8) is accepted too.
	b, err := Generate(GenerateOptions{ServiceName: "s", Namespace: "n"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := parseKey(b.Key)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := pem.EncodeToMemory(&pem.Block{Type: pemTypePrivateKey, Bytes: der})
	if _, err := parseKeyPair(b.Cert, pkcs8); err != nil {
		t.Errorf("parseKeyPair with a PKCS #8 key: %v", err)
	}
	if _, err := parseKeyPair(b.Cert, b.CAKey); err == nil {
		t.Error("parseKeyPair accepted the wrong key")
	}
}
