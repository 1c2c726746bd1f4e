package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// File names written by Bundle.WriteDir. CertName and KeyName are the names
// controller-runtime's webhook server reads from its CertDir by default
// (webhook.Options.CertName and KeyName); CACertName is the usual name of
// the CA bundle next to them.
const (
	CACertName = "ca.crt"
	CAKeyName  = "ca.key"
	CertName   = "tls.crt"
	KeyName    = "tls.key"
)

const (
	// DefaultCAValidity is how long a generated CA is valid: 10 years.
	DefaultCAValidity = 10 * 365 * 24 * time.Hour
	// DefaultCertValidity is how long a generated serving certificate is
	// valid: 1 year.
	DefaultCertValidity = 365 * 24 * time.Hour
	// DefaultClusterDomain is the cluster DNS domain used for the fully
	// qualified Service name.
	DefaultClusterDomain = "cluster.local"

	// backdate is subtracted from "now" for NotBefore, so that a peer whose
	// clock runs a little behind accepts a certificate issued a moment ago.
	backdate = time.Hour

	pemTypeCertificate  = "CERTIFICATE"
	pemTypeECPrivateKey = "EC PRIVATE KEY"
	pemTypePrivateKey   = "PRIVATE KEY"
)

// loopbackIPs are always in the serving certificate, so that a webhook
// reached through a port-forward or from the same pod verifies too.
var loopbackIPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}

// GenerateOptions configures Generate.
type GenerateOptions struct {
	// ServiceName is the name of the Service in front of the webhook server.
	// Required; it must be a DNS-1123 label.
	ServiceName string

	// Namespace is the Service's namespace. Required; it must be a DNS-1123
	// label.
	Namespace string

	// ClusterDomain is the cluster's DNS domain, used for the fully
	// qualified name S.N.svc.<ClusterDomain>. Defaults to "cluster.local".
	ClusterDomain string

	// CAValidity is how long the CA certificate is valid. Defaults to
	// DefaultCAValidity (10 years).
	CAValidity time.Duration

	// CertValidity is how long the serving certificate is valid. It never
	// outlives the CA. Defaults to DefaultCertValidity (1 year).
	CertValidity time.Duration

	// Now returns the current time, from which both certificates' validity
	// is counted. Defaults to time.Now.
	Now func() time.Time
}

func (o *GenerateOptions) setDefaults() error {
	if o.ServiceName == "" {
		return errors.New("certs: the Service name is required")
	}
	if o.Namespace == "" {
		return errors.New("certs: the Service namespace is required")
	}
	if errs := validation.IsDNS1123Label(o.ServiceName); len(errs) > 0 {
		return fmt.Errorf("certs: invalid Service name %q: %s", o.ServiceName, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return fmt.Errorf("certs: invalid namespace %q: %s", o.Namespace, strings.Join(errs, "; "))
	}
	if o.ClusterDomain == "" {
		o.ClusterDomain = DefaultClusterDomain
	}
	if errs := validation.IsDNS1123Subdomain(o.ClusterDomain); len(errs) > 0 {
		return fmt.Errorf("certs: invalid cluster domain %q: %s", o.ClusterDomain, strings.Join(errs, "; "))
	}
	if o.CAValidity == 0 {
		o.CAValidity = DefaultCAValidity
	}
	if o.CertValidity == 0 {
		o.CertValidity = DefaultCertValidity
	}
	if o.CAValidity < 0 || o.CertValidity < 0 {
		return errors.New("certs: validity must be positive")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Bundle is a CA and a serving certificate signed by it, all PEM-encoded.
type Bundle struct {
	// CACert is the CA certificate: what goes into a webhook
	// configuration's clientConfig.caBundle.
	CACert []byte
	// CAKey is the CA's private key (EC PRIVATE KEY). Only needed to sign
	// further serving certificates.
	CAKey []byte
	// Cert is the serving certificate (tls.crt).
	Cert []byte
	// Key is the serving certificate's private key (tls.key, EC PRIVATE KEY).
	Key []byte
}

// DNSNames returns the names under which a Service is reached inside the
// cluster: S, S.N, S.N.svc and S.N.svc.<clusterDomain> (clusterDomain
// defaults to cluster.local when empty).
func DNSNames(service, namespace, clusterDomain string) []string {
	if clusterDomain == "" {
		clusterDomain = DefaultClusterDomain
	}
	return []string{
		service,
		service + "." + namespace,
		service + "." + namespace + ".svc",
		service + "." + namespace + ".svc." + clusterDomain,
	}
}

// servingDNSNames is DNSNames plus localhost.
func servingDNSNames(service, namespace, clusterDomain string) []string {
	return append(DNSNames(service, namespace, clusterDomain), "localhost")
}

// Generate creates a self-signed ECDSA P-256 CA and a serving certificate
// signed by it for the Service opts.ServiceName in opts.Namespace. The
// serving certificate's SANs are the Service's DNS names (see DNSNames),
// localhost, 127.0.0.1 and ::1; its extended key usage is server auth.
func Generate(opts GenerateOptions) (*Bundle, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	now := opts.Now()
	ca, err := newCA(now, opts.CAValidity)
	if err != nil {
		return nil, err
	}
	srv, err := issueServing(ca, servingDNSNames(opts.ServiceName, opts.Namespace, opts.ClusterDomain), now, opts.CertValidity)
	if err != nil {
		return nil, err
	}
	return &Bundle{CACert: ca.certPEM, CAKey: ca.keyPEM, Cert: srv.certPEM, Key: srv.keyPEM}, nil
}

// WriteOption changes what Bundle.WriteDir writes.
type WriteOption func(*writeOptions)

type writeOptions struct {
	caKey bool
}

// WithCAKey makes WriteDir write the CA's private key to ca.key (mode 0600)
// too. The manual flow does not need it: only a process that signs further
// serving certificates does.
func WithCAKey() WriteOption {
	return func(o *writeOptions) { o.caKey = true }
}

// Files returns the paths WriteDir writes into dir, in the order it writes
// them.
func (b *Bundle) Files(dir string, opts ...WriteOption) []string {
	var o writeOptions
	for _, opt := range opts {
		opt(&o)
	}
	names := []string{CACertName, CertName, KeyName}
	if o.caKey {
		names = append(names, CAKeyName)
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join(dir, n)
	}
	return paths
}

// WriteDir writes ca.crt and tls.crt (mode 0644) and tls.key (mode 0600)
// into dir, creating dir with mode 0700 when it does not exist, and ca.key
// (mode 0600) only when WithCAKey is given. Each file is replaced
// atomically (written to a temporary file in dir, then renamed), so a
// reader such as controller-runtime's certwatcher never sees a half-written
// file. Existing files are overwritten.
func (b *Bundle) WriteDir(dir string, opts ...WriteOption) error {
	var o writeOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	files := []fileSpec{
		{CACertName, b.CACert, 0o644},
		{CertName, b.Cert, 0o644},
		{KeyName, b.Key, 0o600},
	}
	if o.caKey {
		files = append(files, fileSpec{CAKeyName, b.CAKey, 0o600})
	}
	for _, f := range files {
		if len(f.data) == 0 {
			return fmt.Errorf("certs: no data for %s", f.name)
		}
		if _, err := writeFileAtomic(filepath.Join(dir, f.name), f.data, f.perm); err != nil {
			return err
		}
	}
	return nil
}

type fileSpec struct {
	name string
	data []byte
	perm os.FileMode
}

// writeFileAtomic replaces path with data and mode perm through a temporary
// file in the same directory and a rename. It leaves a file whose content
// and mode already match alone, and reports whether it wrote.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() == perm {
			return false, nil
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("certs: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(name)
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return false, fmt.Errorf("certs: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return false, fmt.Errorf("certs: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return false, fmt.Errorf("certs: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("certs: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		return false, fmt.Errorf("certs: %w", err)
	}
	ok = true
	return true, nil
}

// keyPair is a parsed certificate with its key and their PEM encodings.
type keyPair struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
	keyPEM  []byte
}

func newECKey() (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: generating key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: encoding key: %w", err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: pemTypeECPrivateKey, Bytes: der}), nil
}

func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("certs: generating serial number: %w", err)
	}
	return serial, nil
}

// newCA creates a self-signed CA certificate valid from now (less backdate)
// until now+validity. Its common name carries the creation time, so that
// two CAs side by side in a bundle during a rollover have distinct subjects.
func newCA(now time.Time, validity time.Duration) (*keyPair, error) {
	key, keyPEM, err := newECKey()
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   fmt.Sprintf("jobguard-webhook-ca@%d", now.Unix()),
			Organization: []string{"jobguard"},
		},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	return sign("CA", tmpl, tmpl, key, key, keyPEM)
}

// issueServing creates a serving certificate for dnsNames and the loopback
// addresses, signed by ca, valid until now+validity or the CA's expiry,
// whichever comes first.
func issueServing(ca *keyPair, dnsNames []string, now time.Time, validity time.Duration) (*keyPair, error) {
	key, keyPEM, err := newECKey()
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			// The most specific in-cluster name; clients check the SANs.
			CommonName:   dnsNames[min(2, len(dnsNames)-1)],
			Organization: []string{"jobguard"},
		},
		DNSNames:              dnsNames,
		IPAddresses:           loopbackIPs,
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	return sign("serving", tmpl, ca.cert, ca.key, key, keyPEM)
}

// sign creates the certificate tmpl describes for key, signed by parent's key, and keeps both
// in PEM; what names the certificate in errors.
func sign(what string, tmpl, parent *x509.Certificate, parentKey crypto.Signer, key *ecdsa.PrivateKey, keyPEM []byte) (*keyPair, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, fmt.Errorf("certs: creating %s certificate: %w", what, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: parsing %s certificate: %w", what, err)
	}
	return &keyPair{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: pemTypeCertificate, Bytes: der}),
		keyPEM:  keyPEM,
	}, nil
}

// parseCerts returns every CERTIFICATE block in data, in order, with each
// block's own PEM encoding.
func parseCerts(data []byte) ([]*x509.Certificate, [][]byte, error) {
	var certs []*x509.Certificate
	var pems [][]byte
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != pemTypeCertificate {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, err
		}
		certs = append(certs, cert)
		pems = append(pems, pem.EncodeToMemory(&pem.Block{Type: pemTypeCertificate, Bytes: block.Bytes}))
	}
	if len(certs) == 0 {
		return nil, nil, errors.New("no PEM CERTIFICATE block")
	}
	return certs, pems, nil
}

// parseKey parses an EC PRIVATE KEY (SEC 1) or PRIVATE KEY (PKCS #8) block.
func parseKey(data []byte) (crypto.Signer, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key block")
		}
		switch block.Type {
		case pemTypeECPrivateKey:
			return x509.ParseECPrivateKey(block.Bytes)
		case pemTypePrivateKey:
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, err
			}
			signer, ok := key.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("unsupported private key type %T", key)
			}
			return signer, nil
		}
	}
}

// parseKeyPair parses a single certificate and its key and checks that they
// belong together.
func parseKeyPair(certPEM, keyPEM []byte) (*keyPair, error) {
	certs, pems, err := parseCerts(certPEM)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(certs[0].PublicKey) {
		return nil, errors.New("the key does not match the certificate")
	}
	return &keyPair{cert: certs[0], key: key, certPEM: pems[0], keyPEM: keyPEM}, nil
}
