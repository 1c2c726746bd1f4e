package webhook

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/jobguard/jobguard/audit"
)

// Defaults of AuditOptions.
const (
	// DefaultAuditInterval is how often the background audit runs unless configured.
	DefaultAuditInterval = 10 * time.Minute
	// DefaultAuditLease is the name of the Lease that elects the replica that audits.
	DefaultAuditLease = "jobguard-audit"
)

// AuditOptions configure Server.StartAudit, the background audit: at an interval, one replica,
// chosen by leader election on a Lease, audits the cluster as jobguard audit -A does and
// publishes the findings as metrics and, when the CRD is installed, as PolicyReports.
type AuditOptions struct {
	// Config connects to the cluster. Required.
	Config *rest.Config
	// Interval between the start of one audit and the next. Required (> 0).
	Interval time.Duration
	// LeaseNamespace holds the Lease (the webhook's namespace). Required.
	LeaseNamespace string
	// LeaseName: default DefaultAuditLease.
	LeaseName string
	// LeaseDuration, RenewDeadline and RetryPeriod tune the election (controller-runtime's
	// defaults: 15s, 10s, 2s); tests shorten them.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// PageSize is how many objects a list request asks for. Default: audit.DefaultPageSize.
	PageSize int64
	// Workers evaluate objects; default: half the CPUs, at least one, so that reviews are never
	// short of CPU because of an audit.
	Workers int
}

// AuditMetrics are the background audit's collectors, on the Server's registry.
type AuditMetrics struct {
	// Findings is jobguard_audit_findings{rule,severity,namespace}: the findings of the last
	// audit (namespace "" for cluster-scoped objects). Only the replica that audits has them.
	Findings *prometheus.GaugeVec
	// LastRun is jobguard_audit_last_run_timestamp_seconds: when the last audit that completed
	// ended (Unix time).
	LastRun prometheus.Gauge
	// Duration is jobguard_audit_duration_seconds: how long each audit took.
	Duration prometheus.Histogram
	// Runs is jobguard_audit_runs_total{result}: audits by result, "success" or "failure" (the
	// engine failed, a kind could not be listed, a report could not be written).
	Runs *prometheus.CounterVec
	// Leader is jobguard_audit_leader: 1 while this replica holds the Lease and audits.
	Leader prometheus.Gauge
}

func newAuditMetrics(reg prometheus.Registerer) *AuditMetrics {
	m := &AuditMetrics{
		Findings: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jobguard_audit_findings",
			Help: "Findings of the last background audit, by rule, severity and namespace (empty for cluster-scoped objects).",
		}, []string{"rule", "severity", "namespace"}),
		LastRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jobguard_audit_last_run_timestamp_seconds",
			Help: "When the last completed background audit ended, in seconds since the Unix epoch.",
		}),
		Duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "jobguard_audit_duration_seconds",
			Help:    "Time a background audit took.",
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
		Runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobguard_audit_runs_total",
			Help: "Background audits, by result (success, failure).",
		}, []string{"result"}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jobguard_audit_leader",
			Help: "1 while this replica holds the audit Lease and audits, else 0.",
		}),
	}
	reg.MustRegister(m.Findings, m.LastRun, m.Duration, m.Runs, m.Leader)
	return m
}

// AuditMetrics returns the background audit's collectors; nil until StartAudit is called.
func (s *Server) AuditMetrics() *AuditMetrics { return s.auditMetrics.Load() }

// StartAudit runs the background audit until ctx is cancelled and returns nil then, or an error
// at once when the options are wrong. It never touches the reviews: it runs in the caller's
// goroutine (start it in its own), with its own clients, and reads the policy the handlers use
// only to evaluate with the same rules and configuration. When this replica loses the Lease
// (or never gets it, or the API server cannot be reached), it stops auditing and stands for
// election again after a pause that doubles, up to a minute, while that keeps happening at once.
// Call it once per Server: it registers the audit's metrics.
func (s *Server) StartAudit(ctx context.Context, opts AuditOptions) error {
	if opts.Config == nil || opts.LeaseNamespace == "" || opts.Interval <= 0 {
		return errors.New("background audit: a cluster connection, the Lease namespace and an interval above 0 are required")
	}
	opts.LeaseName = cmp.Or(opts.LeaseName, DefaultAuditLease)
	if opts.Workers <= 0 {
		opts.Workers = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = audit.DefaultPageSize
	}
	client, err := dynamic.NewForConfig(opts.Config)
	if err != nil {
		return fmt.Errorf("background audit: %w", err)
	}
	m := newAuditMetrics(s.registry)
	s.auditMetrics.Store(m)
	log := s.log.With("component", "audit")
	a := &auditor{s: s, opts: opts, client: client, metrics: m, log: log,
		reports: &reportWriter{client: client, config: opts.Config, log: log}}

	firstPause := cmp.Or(opts.RetryPeriod, 2*time.Second)
	pause := firstPause
	for ctx.Err() == nil {
		started := time.Now()
		mgr, err := manager.New(opts.Config, manager.Options{
			Scheme:                        scheme.Scheme,
			Metrics:                       metricsserver.Options{BindAddress: "0"},
			HealthProbeBindAddress:        "0",
			LeaderElection:                true,
			LeaderElectionID:              opts.LeaseName,
			LeaderElectionNamespace:       opts.LeaseNamespace,
			LeaderElectionReleaseOnCancel: true, // the audit stops before Start returns
			LeaseDuration:                 durationOrNil(opts.LeaseDuration),
			RenewDeadline:                 durationOrNil(opts.RenewDeadline),
			RetryPeriod:                   durationOrNil(opts.RetryPeriod),
			Logger:                        s.logr(),
		})
		if err == nil {
			err = mgr.Add(a)
		}
		if err == nil {
			err = mgr.Start(ctx)
		}
		if ctx.Err() != nil {
			break
		}
		if time.Since(started) > time.Minute {
			pause = firstPause // it ran for a while: a new failure, not the same one again
		}
		a.log.Warn("background audit stopped; standing for election again", "error", err, "after", pause)
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Minute)
	}
	return nil
}

// logr hands controller-runtime's leader election jobguard's logger.
func (s *Server) logr() logr.Logger { return logr.FromSlogHandler(s.log.Handler()).WithName("audit") }

func durationOrNil(d time.Duration) *time.Duration {
	if d <= 0 {
		return nil
	}
	return &d
}

// hostname names this replica in logs.
func hostname() string {
	h, _ := os.Hostname()
	return h
}

// auditor is the manager's leader-only runnable: it audits at every interval while this
// replica leads.
type auditor struct {
	s       *Server
	opts    AuditOptions
	client  dynamic.Interface
	metrics *AuditMetrics
	reports *reportWriter
	log     *slog.Logger
}

// NeedLeaderElection: only the leader audits.
func (a *auditor) NeedLeaderElection() bool { return true }

// Start audits now and then at every interval until ctx ends (the manager stops, or the Lease
// is lost). A failed audit is tried again sooner, backing off from 30s to the interval.
func (a *auditor) Start(ctx context.Context) error {
	a.metrics.Leader.Set(1)
	a.log.Info("leading: auditing the cluster", "replica", hostname(), "interval", a.opts.Interval)
	defer func() {
		a.metrics.Leader.Set(0)
		a.metrics.Findings.Reset() // another replica reports them now
	}()
	failures := 0
	for {
		wait := a.opts.Interval
		if err := a.run(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failures++
			wait = retryWait(a.opts.Interval, failures)
			a.log.Error("background audit failed", "error", err, "retry in", wait)
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// retryWait is the pause before the next try after the given number of audits in a row failed:
// 30s, doubling, never longer than the interval, so that an API server in trouble is not listed
// again at once.
func retryWait(interval time.Duration, failures int) time.Duration {
	return min(interval, (30*time.Second)<<min(failures-1, 10))
}

// run audits once and publishes the findings.
func (a *auditor) run(ctx context.Context) error {
	start := time.Now()
	p := a.s.Policy()
	report, err := audit.New(p.Engine, a.client,
		audit.WithExcludedNamespaces(p.Config.NamespaceExcluded),
		audit.WithPageSize(a.opts.PageSize),
		audit.WithWorkers(a.opts.Workers),
	).Audit(ctx)
	if err != nil {
		a.metrics.Runs.WithLabelValues("failure").Inc()
		return err
	}
	var problems []error
	for _, e := range report.InputErrors {
		problems = append(problems, e)
	}

	a.metrics.Findings.Reset()
	counts := map[[3]string]int{}
	for _, f := range report.Findings {
		counts[[3]string{f.Rule, string(f.Severity), f.Object.Namespace}]++
	}
	for k, n := range counts {
		a.metrics.Findings.WithLabelValues(k[0], k[1], k[2]).Set(float64(n))
	}
	written, err := a.reports.write(ctx, report.Findings, start)
	if err != nil {
		problems = append(problems, err)
	}
	took := time.Since(start)
	a.metrics.Duration.Observe(took.Seconds())
	a.metrics.LastRun.Set(float64(time.Now().Unix()))
	c := report.Count()
	a.log.Info("audit finished", "objects", report.Objects, "findings", c.Total, "errors", c.Errors,
		"warnings", c.Warnings, "info", c.Info, "reports", written, "took", took.Round(time.Millisecond))
	if err := errors.Join(problems...); err != nil {
		a.metrics.Runs.WithLabelValues("failure").Inc()
		return err
	}
	a.metrics.Runs.WithLabelValues("success").Inc()
	return nil
}
