package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/jobguard/jobguard/config"
	"github.com/jobguard/jobguard/policies"
)

// Policy is a configuration and the engine compiled from it. The handlers read the current one
// once per request, so a request never mixes two configurations.
type Policy struct {
	Config *config.Config
	Engine *policies.Engine
}

// Server holds jobguard's admission handlers and the servers that expose them. Create it with New.
type Server struct {
	opts     Options
	log      *slog.Logger
	registry *prometheus.Registry
	metrics  *Metrics
	policy   atomic.Pointer[Policy]
	reloader *Reloader // nil without Options.ConfigFile
	webhooks crwebhook.Server

	validator, mutator admission.Handler
	// validateHTTP and mutateHTTP serve ValidatePath and MutatePath: the handlers above behind
	// reviewHandler (with controller-runtime's admission transport) and closeWhileDraining.
	validateHTTP, mutateHTTP http.Handler
	mux                      *http.ServeMux // both, at their paths: the webhook server's handler

	// draining is set by Start when its context is cancelled, for Options.ShutdownDrain: every
	// answer says "Connection: close" and /readyz fails.
	draining atomic.Bool

	accessOnce sync.Once

	// auditMetrics: StartAudit's (audit.go).
	auditMetrics atomic.Pointer[AuditMetrics]

	// beforeReview, when set (tests), runs first in every review.
	beforeReview func(context.Context, admission.Request)
}

// New compiles the rules of the configured policy and returns a Server ready to Start or to
// Register on another webhook server. A bad configuration is an error that names the file.
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger, registry: opts.Registry}
	if s.registry == nil {
		s.registry = newRegistry()
	}
	s.metrics = newMetrics(s.registry)

	cfg := opts.Config
	if opts.ConfigFile != "" {
		s.reloader = NewReloader(opts.ConfigFile, s, opts.ReloadInterval)
		if cfg, err = s.reloader.load(); err != nil {
			return nil, err
		}
	}
	if cfg == nil {
		cfg = &config.Config{}
	}
	p, err := s.compile(cfg)
	if err != nil {
		return nil, err
	}
	s.policy.Store(p)

	s.validator = handler{s: s, name: webhookValidate, review: s.validate}
	s.mutator = handler{s: s, name: webhookMutate, review: s.mutate}
	s.validateHTTP = s.closeWhileDraining(reviewHandler(s.admissionWebhook(s.validator)))
	s.mutateHTTP = s.closeWhileDraining(reviewHandler(s.admissionWebhook(s.mutator)))

	// The handlers are mounted on the mux directly rather than through the webhook server's
	// Register, which would wrap each in controller-runtime's Prometheus instrumentation: its
	// metrics go to controller-runtime's global registry, which jobguard does not serve (the
	// Server's own metrics are in Metrics), so they would cost time on every review for nothing.
	s.mux = http.NewServeMux()
	s.mux.Handle(ValidatePath, s.validateHTTP)
	s.mux.Handle(MutatePath, s.mutateHTTP)
	host, port, _ := splitAddr(opts.Addr)
	s.webhooks = crwebhook.NewServer(crwebhook.Options{
		Host:       host,
		Port:       port,
		CertDir:    opts.CertDir,
		TLSOpts:    append([]func(*tls.Config){disableHTTP2}, opts.TLSOpts...),
		WebhookMux: s.mux,
	})
	return s, nil
}

func (s *Server) compile(cfg *config.Config) (*Policy, error) {
	cfg.Trusted = true // the cluster operator's file: its policies and allowBuiltins apply
	engine, err := cfg.NewEngine(s.opts.EngineOptions...)
	if err != nil {
		return nil, err
	}
	return &Policy{Config: cfg, Engine: engine}, nil
}

// Validator is the validating webhook's handler: it denies, warns about or audits findings.
func (s *Server) Validator() admission.Handler { return s.validator }

// Mutator is the mutating webhook's handler: it applies the rules' fixes on CREATE.
func (s *Server) Mutator() admission.Handler { return s.mutator }

// Register mounts the validating and mutating webhooks at ValidatePath and MutatePath of srv, for
// example a controller-runtime Manager's webhook server or one envtest points the API server at.
func (s *Server) Register(srv crwebhook.Server) {
	srv.Register(ValidatePath, s.validateHTTP)
	srv.Register(MutatePath, s.mutateHTTP)
}

// closeWhileDraining makes every answer end its connection ("Connection: close") while the
// Server drains (Options.ShutdownDrain): a client that keeps its connections alive, as the API
// server does, then sends its next request on a new connection, to another replica, instead of
// on a kept-alive one that Shutdown would close under it. Setting the header, unlike
// http.Server.SetKeepAlivesEnabled(false), leaves idle connections open until their next answer.
func (s *Server) closeWhileDraining(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// Draining reports whether the Server is draining before it shuts down (Options.ShutdownDrain).
func (s *Server) Draining() bool { return s.draining.Load() }

// WebhookHandler serves ValidatePath and MutatePath over plain HTTP, as the webhook server
// does over TLS: for tests (httptest) and for serving behind a TLS-terminating proxy.
func (s *Server) WebhookHandler() http.Handler { return s.mux }

// admissionWebhook wraps a handler in controller-runtime's HTTP transport (decoding, 400 and
// 413 answers, panic recovery, UID echo), logging to the Server's logger.
func (s *Server) admissionWebhook(h admission.Handler) *admission.Webhook {
	base := lazyLogger(logr.FromSlogHandler(s.log.Handler()))
	return &admission.Webhook{
		Handler: h,
		LogConstructor: func(_ logr.Logger, req *admission.Request) logr.Logger {
			return admission.DefaultLogConstructor(base, req)
		},
	}
}

// Policy returns the configuration and engine the handlers currently use.
func (s *Server) Policy() *Policy { return s.policy.Load() }

// Reload compiles cfg (with Options.EngineOptions) and, if that succeeds, makes it the policy of
// every later request. On error the current policy stays.
func (s *Server) Reload(cfg *config.Config) error {
	p, err := s.compile(cfg)
	if err != nil {
		return err
	}
	s.policy.Store(p)
	return nil
}

// Metrics returns the Server's collectors.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Registry returns the registry /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Reloader returns the reloader of Options.ConfigFile, or nil.
func (s *Server) Reloader() *Reloader { return s.reloader }

// HealthHandler serves /healthz (the process is alive) and /readyz: rules compiled, certificate
// loaded (Options.CertReady), the webhook server answering TLS and not shutting down (draining,
// Options.ShutdownDrain). Append ?verbose for the state of each check, or /readyz/<check> for one.
func (s *Server) HealthHandler() http.Handler {
	ready := map[string]healthz.Checker{
		"rules": func(*http.Request) error {
			if s.policy.Load() == nil {
				return errors.New("rules are not compiled")
			}
			return nil
		},
		"shutdown": func(*http.Request) error {
			if s.draining.Load() {
				return errors.New("shutting down: draining connections")
			}
			return nil
		},
		"webhook": s.webhooks.StartedChecker(),
	}
	if s.opts.CertReady != nil {
		ready["certificate"] = func(*http.Request) error { return s.opts.CertReady() }
	}
	mux := http.NewServeMux()
	mount(mux, "/healthz", &healthz.Handler{Checks: map[string]healthz.Checker{"ping": healthz.Ping}})
	mount(mux, "/readyz", &healthz.Handler{Checks: ready})
	return mux
}

func mount(mux *http.ServeMux, prefix string, h http.Handler) {
	mux.Handle(prefix, http.StripPrefix(prefix, h))
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
}

// MetricsHandler serves the registry in the Prometheus format.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	}))
	return mux
}

// Start runs the webhook, health and metrics servers, and the configuration reloader, until ctx
// is cancelled. Then, for Options.ShutdownDrain, it drains: the servers keep accepting and
// answering, every answer of the webhooks says "Connection: close" and /readyz fails; after
// that each server stops accepting connections, finishes the reviews in flight and Start returns
// nil. If a server cannot start (an address in use, no certificate) the others are stopped at
// once and Start returns why.
func (s *Server) Start(ctx context.Context) error {
	s.logAccessChecksSkipped()
	// The servers run until cancel: when ctx is done and the drain is over, or when one fails.
	parent := ctx
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	defer cancel()
	go func() {
		select {
		case <-parent.Done():
		case <-ctx.Done(): // a server failed
			return
		}
		if d := s.opts.ShutdownDrain; d > 0 {
			s.draining.Store(true)
			s.log.Info("jobguard webhook draining: answering with Connection: close, /readyz failing", "for", d.String())
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}
		cancel()
	}()

	type result struct {
		name string
		err  error
	}
	results := make(chan result)
	running := 0
	run := func(name string, f func(context.Context) error) {
		running++
		go func() {
			err := f(ctx)
			if err != nil {
				cancel() // one failed: stop the rest
			}
			results <- result{name, err}
		}()
	}
	run("webhook", s.webhooks.Start)
	if s.opts.HealthAddr != Disabled {
		run("health", func(ctx context.Context) error { return s.serveHTTP(ctx, s.opts.HealthAddr, s.HealthHandler()) })
	}
	if s.opts.MetricsAddr != Disabled {
		run("metrics", func(ctx context.Context) error { return s.serveHTTP(ctx, s.opts.MetricsAddr, s.MetricsHandler()) })
	}
	if s.reloader != nil {
		run("config reloader", s.reloader.Start)
	}
	s.log.Info("jobguard webhook starting", "addr", s.opts.Addr, "health", s.opts.HealthAddr, "metrics", s.opts.MetricsAddr, "config", s.opts.ConfigFile)

	var errs []error
	for range running {
		if r := <-results; r.err != nil {
			errs = append(errs, fmt.Errorf("%s server: %w", r.name, r.err))
		}
	}
	if len(errs) == 0 {
		s.log.Info("jobguard webhook stopped")
	}
	return errors.Join(errs...)
}

// serveHTTP serves h on addr until ctx is cancelled, then shuts down gracefully.
func (s *Server) serveHTTP(ctx context.Context, addr string, h http.Handler) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	}
	stopped := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-stopped
}
