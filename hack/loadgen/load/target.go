package load

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// Target is a URL checked to point at this machine's loopback interface.
type Target struct {
	URL *url.URL
	// DialAddr is the loopback ip:port every connection goes to, whatever a request's host says.
	DialAddr string
	// BeforeDial, when set, is called before each new connection is made; when it returns an
	// error the connection is not made and the request that needed it fails with that error.
	BeforeDial func() error
}

// ParseTarget parses raw and refuses it unless its host is a loopback address (127.0.0.0/8,
// ::1) or a name that resolves to loopback addresses only; schemes are the allowed schemes.
// Connections made through Client go to the address checked here and nowhere else.
func ParseTarget(raw string, schemes ...string) (*Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("load: target %q: %w", raw, err)
	}
	ok := false
	for _, s := range schemes {
		ok = ok || u.Scheme == s
	}
	if !ok {
		return nil, fmt.Errorf("load: target %q: the scheme must be one of %q", raw, schemes)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return nil, fmt.Errorf("load: target %q has no host", raw)
	}
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("load: refusing target %q: cannot resolve %s: %w", raw, host, err)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("load: refusing target %q: %s has no address", raw, host)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("load: refusing target %q: %s is not a loopback address (only 127.0.0.0/8 and ::1 may be loaded)", raw, ip)
		}
	}
	return &Target{URL: u, DialAddr: net.JoinHostPort(ips[0].String(), port)}, nil
}

// ErrNotLoopback is returned by Client's dialer for an address that is not the target's.
var ErrNotLoopback = errors.New("load: refusing to connect to anything but the loopback target")

// Client returns an HTTP/1.1 client with keep-alive for t: at most conns idle connections are
// kept, TLS is verified against roots, redirects are not followed, and every connection is
// made to t.DialAddr. dials, when not nil, counts the connections made.
func (t *Target) Client(roots *x509.CertPool, conns int, timeout time.Duration, dials *atomic.Int64) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	dialAddr, beforeDial := t.DialAddr, t.BeforeDial
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			if ip := net.ParseIP(mustHost(dialAddr)); ip == nil || !ip.IsLoopback() {
				return nil, ErrNotLoopback
			}
			if beforeDial != nil {
				if err := beforeDial(); err != nil {
					return nil, err
				}
			}
			if dials != nil {
				dials.Add(1)
			}
			return d.DialContext(ctx, "tcp", dialAddr)
		},
		TLSClientConfig: &tls.Config{
			RootCAs:    roots,
			ServerName: t.URL.Hostname(),
			NextProtos: []string{"http/1.1"},
			MinVersion: tls.VersionTLS12,
		},
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1 only, as the API server speaks to webhooks
		TLSHandshakeTimeout:   5 * time.Second,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       60 * time.Second,
		ResponseHeaderTimeout: timeout,
		DisableCompression:    true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func mustHost(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return ""
	}
	return h
}
