package webhook

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jobguard/jobguard/config"
	"github.com/jobguard/jobguard/policies"
)

// Paths the webhooks are served at; the webhook configurations must use the same.
const (
	ValidatePath = "/validate"
	MutatePath   = "/mutate"
)

// Defaults of Options.
const (
	// DefaultAddr is where the TLS webhook server listens (controller-runtime's default port).
	DefaultAddr = ":9443"
	// DefaultHealthAddr is where /healthz and /readyz are served.
	DefaultHealthAddr = ":8081"
	// DefaultMetricsAddr is where /metrics is served.
	DefaultMetricsAddr = ":8080"
	// DefaultEvalTimeout bounds the evaluation of one request. It is below the 5s timeoutSeconds
	// of jobguard's webhook configurations, so that a slow evaluation is answered with an error
	// that names the cause before the API server gives up on the call.
	DefaultEvalTimeout = 3 * time.Second
	// DefaultReloadInterval is how often a Reloader reads the configuration file.
	DefaultReloadInterval = 5 * time.Second
	// Disabled, as HealthAddr or MetricsAddr, turns that server off.
	Disabled = "0"
)

// Options configure New. The zero value is valid: every field states its default.
type Options struct {
	// Config is the configuration: rule settings, modes, excluded namespaces, mutation.
	// Default: nil, the default configuration (errors enforce, warnings warn, info is audited;
	// mutation on, opt-in fixes off). Ignored when ConfigFile is set.
	Config *config.Config

	// ConfigFile, when set, is read by New (a missing, unparsable or uncompilable file is an
	// error) and watched by Start: a Reloader reads it every ReloadInterval and swaps in the new
	// configuration when it parses and compiles. Default: "", no file and no reloading.
	ConfigFile string

	// ReloadInterval is how often ConfigFile is read for changes. Default: DefaultReloadInterval (5s).
	ReloadInterval time.Duration

	// EngineOptions are applied after the configuration's, so they override it (jobguard serve
	// passes --kube-version here). They are applied again on every reload. Default: none.
	EngineOptions []policies.Option

	// EvalTimeout bounds the rule evaluation of one request; a request that exceeds it is
	// answered with a 500. Default: DefaultEvalTimeout (3s).
	EvalTimeout time.Duration

	// Addr is the host:port the TLS webhook server listens on; the port must be set.
	// Default: DefaultAddr (":9443", every interface).
	Addr string

	// CertDir is the directory holding the serving certificate tls.crt and its key tls.key; the
	// webhook server reloads them when they change. Unused when a TLSOpts function sets
	// GetCertificate. Default: controller-runtime's, <temp-dir>/k8s-webhook-server/serving-certs.
	CertDir string

	// TLSOpts adjust the webhook server's TLS configuration, after jobguard's: HTTP/2 off (as
	// kubebuilder scaffolds, against CVE-2023-44487 and CVE-2023-39325; the API server speaks
	// HTTP/1.1 to webhooks too) and Go's defaults (TLS 1.2 or later). A function that sets
	// GetCertificate takes over from CertDir. Default: none.
	TLSOpts []func(*tls.Config)

	// CertReady reports whether the serving certificate is loaded (and usable); /readyz fails
	// while it returns an error. Default: nil, no check beyond the webhook server answering a TLS
	// handshake on Addr, which it cannot do without a certificate.
	CertReady func() error

	// ShutdownDrain is how long Start keeps serving after its context is cancelled, before it
	// stops accepting connections: meanwhile /readyz fails, so that a cluster removes the pod
	// from the Service's endpoints, and every answer of the webhooks says "Connection: close", so
	// that a client which keeps connections alive (the API server) closes each one after its next
	// answer and sends its later requests elsewhere. Without a drain, Go's Server.Shutdown closes
	// idle kept-alive connections at once, and a request a client was sending on one just then
	// fails without ever being read. Default: 0, no drain (jobguard serve drains for 3s).
	ShutdownDrain time.Duration

	// HealthAddr is the host:port of the plain-HTTP health server: /healthz (alive) and /readyz
	// (rules compiled, certificate loaded, webhook server listening, not shutting down). Disabled
	// ("0") turns it off.
	// Default: DefaultHealthAddr (":8081").
	HealthAddr string

	// MetricsAddr is the host:port of the plain-HTTP metrics server, /metrics in the Prometheus
	// format. Disabled ("0") turns it off. Default: DefaultMetricsAddr (":8080").
	MetricsAddr string

	// Registry receives jobguard's metrics (see Metrics) and is what /metrics serves.
	// Default: a new registry with the Go runtime and process collectors; never the global
	// prometheus.DefaultRegisterer, so that several Servers (tests) do not collide.
	Registry *prometheus.Registry

	// Logger receives jobguard's logs: denied and audited findings, reloads, failures.
	// controller-runtime's own logs (server start and stop) go to its global logger, which the
	// caller sets with sigs.k8s.io/controller-runtime/pkg/log.SetLogger.
	// Default: slog.Default().
	Logger *slog.Logger

	// AccessChecker, when set, answers the RBAC questions of rbac-insufficient (may a Job's
	// ServiceAccount make the requests its kubectl commands make?), usually a
	// SubjectAccessReviewer. Default: nil: the rule reports that the RBAC could not be checked,
	// which is logged once.
	AccessChecker policies.AccessChecker

	// Reader, when set, reads the CronJob that owns a new Job (get on batch cronjobs), so that
	// with webhook.updates: changes the findings the Job has from its CronJob's jobTemplate do not
	// deny it (see webhook.updates in the configuration). Default: nil: such Jobs are judged whole.
	Reader client.Reader
}

// withDefaults fills in defaults and checks the addresses.
func (o Options) withDefaults() (Options, error) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.HealthAddr == "" {
		o.HealthAddr = DefaultHealthAddr
	}
	if o.MetricsAddr == "" {
		o.MetricsAddr = DefaultMetricsAddr
	}
	if o.EvalTimeout <= 0 {
		o.EvalTimeout = DefaultEvalTimeout
	}
	if o.ReloadInterval <= 0 {
		o.ReloadInterval = DefaultReloadInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ShutdownDrain < 0 {
		return o, fmt.Errorf("shutdown drain: %s is negative", o.ShutdownDrain)
	}
	if _, _, err := splitAddr(o.Addr); err != nil {
		return o, fmt.Errorf("webhook address: %w", err)
	}
	for _, a := range []struct{ name, addr string }{{"health", o.HealthAddr}, {"metrics", o.MetricsAddr}} {
		if a.addr == Disabled {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return o, fmt.Errorf("%s address: %w", a.name, err)
		}
	}
	return o, nil
}

// splitAddr reads host:port; controller-runtime needs a real port (it turns 0 into 9443).
func splitAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("%q: the port must be a number from 1 to 65535", addr)
	}
	return host, port, nil
}

// disableHTTP2 makes the server offer HTTP/1.1 only.
func disableHTTP2(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }
