package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certmgr "github.com/jobguard/jobguard/certs"
	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/webhook"
)

// exitServeFailed: the server started but stopped on an error (an address in use, a failed listener).
const exitServeFailed = 1

type serveFlags struct {
	addr        string
	certDir     string
	config      string
	healthAddr  string
	metricsAddr string
	kubeVersion policies.KubeVersion
	kubeconfig  string
	drain       time.Duration
	// allowBuiltins: --allow-builtin (the configuration's webhook.allowBuiltins adds to it).
	allowBuiltins []string
	// auditInterval: --audit-interval (serve_audit.go).
	auditInterval time.Duration

	// Self-managed certificates (--cert-mode=self-managed).
	certMode   string
	certSecret string
	service    string
	namespace  string
	validating string
	mutating   string
}

const (
	certModeFiles       = "files"
	certModeSelfManaged = "self-managed"
)

// defaultShutdownDrain is --shutdown-drain's default: long enough for a client that keeps its
// connections alive to make one more request on each (and so be told to close it), short enough
// that preStop sleep + drain + the reviews in flight stay well inside a pod's grace period.
const defaultShutdownDrain = 3 * time.Second

func newServeCommand() *cobra.Command {
	f := serveFlags{kubeVersion: policies.DefaultKubeVersion}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the admission webhook: check and default Jobs, CronJobs and RBAC as they are applied",
		Long: `Run the admission webhook server: the same rules as jobguard lint, applied by the API server.

  POST /validate  validating webhook: per finding, by its mode (config: rules.<id>.mode,
                  webhook.mode; default: errors enforce, warnings warn, info is audited):
                    enforce  deny the request (403), every finding as "[rule-id] message (path)"
                    warn     allow, with the finding as a warning kubectl prints
                    audit    allow; log and count only
  POST /mutate    mutating webhook: on CREATE, set the defaults rules declare where the field is
                  absent (spec.ttlSecondsAfterFinished of a standalone Job, ...), as a JSON patch,
                  each reported as a warning; UPDATEs are never changed

Both are served over TLS on --addr with tls.crt and tls.key from --cert-dir, reloaded when
they change. Plain HTTP: /healthz and /readyz (rules compiled, certificate loaded, server
listening) on --health-addr; Prometheus metrics on --metrics-addr/metrics.

--config is read at start (a bad file stops jobguard) and every few seconds after: a changed
file that parses and compiles replaces the running configuration; a bad one is logged and the
last good one kept. Objects in webhook.excludedNamespaces and rules named in an object's
jobguard.io/ignore annotation are left alone.

serve needs no cluster connection. With one (in a pod, or --kubeconfig), rbac-insufficient asks
the API server with a SubjectAccessReview whether a Job's ServiceAccount may make the requests its
kubectl commands make; without one that check is skipped, which is logged once.
--cert-mode=self-managed keeps the CA and serving certificate in a Secret, renews them and
injects the CA into the webhook configurations (deploy/base does this).

With a cluster connection and --namespace, one replica (elected on the Lease jobguard-audit
in that namespace) audits the cluster every --audit-interval (config: audit.interval; default
10m; 0 turns it off) as jobguard audit -A does, skipping webhook.excludedNamespaces: metrics
jobguard_audit_*, and PolicyReports when the wgpolicyk8s.io CRD is installed. Reviews never wait
for it.

SIGTERM or SIGINT first drains for --shutdown-drain (default 3s): the server keeps accepting and
answering, but /readyz fails and every answer says "Connection: close", so that clients such as
the API server close their kept-alive connections after their next answer and go to another
replica. Then it stops accepting connections, finishes the reviews in flight and exits 0. In a
pod, preStop sleep + --shutdown-drain + a review's longest evaluation (3s) must stay below
terminationGracePeriodSeconds (deploy/base: 5s + 3s + 3s of 30s).

Exit codes:
  0  stopped by SIGTERM or SIGINT
  1  a server failed (an address in use, ...)
  2  bad flags, configuration or certificate`,
		Example: `  # Try it locally, without a cluster:
  jobguard certs generate --service jobguard-webhook --namespace jobguard --out ./certs
  jobguard serve --cert-dir ./certs --addr localhost:9443 &
  curl -s localhost:8081/readyz
  curl -s --cacert ./certs/ca.crt -H 'Content-Type: application/json' \
    https://localhost:9443/validate -d '{
      "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
      "request": {"uid": "1", "operation": "CREATE", "namespace": "default",
        "kind": {"group": "batch", "version": "v1", "kind": "Job"},
        "object": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
          "spec": {"template": {"spec": {"containers": [{"name": "m", "image": "migrate:v4"}]}}}}}}'
  curl -s localhost:8080/metrics | grep ^jobguard_

  # In a cluster, with the configuration mounted from a ConfigMap:
  jobguard serve --cert-dir /etc/jobguard/tls --config /etc/jobguard/config/.jobguard.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", webhook.DefaultAddr, "host:port the TLS webhook server listens on")
	fl.StringVar(&f.certDir, "cert-dir", filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs"), "directory holding the serving certificate tls.crt and its key tls.key")
	fl.StringVar(&f.config, "config", "", "configuration file (.jobguard.yaml), watched for changes; default: none, the default configuration")
	addAllowBuiltinFlag(fl, &f.allowBuiltins)
	fl.StringVar(&f.healthAddr, "health-addr", webhook.DefaultHealthAddr, `host:port of /healthz and /readyz (plain HTTP); "0" turns them off`)
	fl.StringVar(&f.metricsAddr, "metrics-addr", webhook.DefaultMetricsAddr, `host:port of /metrics (plain HTTP); "0" turns it off`)
	fl.Var(kubeVersionFlag(&f.kubeVersion), "kube-version", "the Kubernetes version of the cluster, for version-dependent rules such as deprecated-api; overrides the config's kubeVersion")
	fl.DurationVar(&f.drain, "shutdown-drain", defaultShutdownDrain, `on SIGTERM or SIGINT, how long to keep serving with /readyz failing and every answer saying "Connection: close" before shutting down; 0 shuts down at once`)
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster to ask SubjectAccessReviews (default: the in-cluster ServiceAccount when running in a pod, else no cluster connection)")
	addAuditFlags(fl, &f)
	fl.StringVar(&f.certMode, "cert-mode", certModeFiles, `where the serving certificate comes from: "files" (tls.crt and tls.key in --cert-dir, from jobguard certs generate or cert-manager) or "self-managed" (kept in --cert-secret, renewed and rotated, CA injected into the webhook configurations; needs a cluster connection)`)
	fl.StringVar(&f.certSecret, "cert-secret", "jobguard-webhook-certs", "with --cert-mode=self-managed: the kubernetes.io/tls Secret that holds the CA and serving certificate")
	fl.StringVar(&f.service, "service", "jobguard-webhook", "with --cert-mode=self-managed: the Service in front of the webhook; the certificate covers its DNS names")
	fl.StringVar(&f.namespace, "namespace", os.Getenv("POD_NAMESPACE"), "jobguard's namespace: with --cert-mode=self-managed, of the Secret and the Service; for the background audit, of its Lease (default $POD_NAMESPACE)")
	fl.StringVar(&f.validating, "validating-webhook-configuration", "jobguard", `with --cert-mode=self-managed: ValidatingWebhookConfiguration that gets the CA bundle ("" for none)`)
	fl.StringVar(&f.mutating, "mutating-webhook-configuration", "jobguard", `with --cert-mode=self-managed: MutatingWebhookConfiguration that gets the CA bundle ("" for none)`)
	return cmd
}

// clusterClient connects to the cluster named by --kubeconfig, or the one the pod runs in; it
// returns nil when there is neither, so that serve can be tried locally without a cluster.
func clusterClient(kubeconfig string) (client.Client, *rest.Config, error) {
	var cfg *rest.Config
	var err error
	switch {
	case kubeconfig != "":
		cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	case os.Getenv("KUBERNETES_SERVICE_HOST") != "":
		cfg, err = rest.InClusterConfig()
	default:
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	// A direct client: no cache to sync, no list or watch permissions needed.
	c, err := client.New(cfg, client.Options{})
	return c, cfg, err
}

// serverVersion asks the API server its version (GET /version, which system:public-info-viewer
// lets everyone read): the kubectl mapping depends on it.
func serverVersion(cfg *rest.Config) (policies.KubeVersion, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return policies.KubeVersion{}, err
	}
	info, err := dc.ServerVersion()
	if err != nil {
		return policies.KubeVersion{}, err
	}
	// Minor is "36", or "36+" on some distributions; GitVersion may carry a suffix (v1.36.3-gke.1).
	return policies.ParseKubeVersion(info.Major + "." + strings.TrimSuffix(info.Minor, "+"))
}

func runServe(cmd *cobra.Command, f serveFlags) error {
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	logf.SetLogger(logr.FromSlogHandler(logger.Handler())) // controller-runtime's own logs

	engineOpts := []policies.Option{policies.WithAllowedBuiltins(f.allowBuiltins...)}
	if cmd.Flags().Changed("kube-version") {
		engineOpts = append(engineOpts, policies.WithKubeVersion(f.kubeVersion))
	}
	opts := webhook.Options{
		ConfigFile:    f.config,
		EngineOptions: engineOpts,
		Addr:          f.addr,
		CertDir:       f.certDir,
		HealthAddr:    f.healthAddr,
		MetricsAddr:   f.metricsAddr,
		ShutdownDrain: f.drain,
		Logger:        logger,
	}
	if f.drain < 0 {
		return &exitError{exitUsage, fmt.Errorf("--shutdown-drain: %s is negative", f.drain)}
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	cluster, clusterConfig, err := clusterClient(f.kubeconfig)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	if cluster != nil {
		opts.AccessChecker = &webhook.SubjectAccessReviewer{Client: cluster}
		opts.Reader = cluster // the CronJob that owns a new Job (webhook.updates: changes)
		// The Jobs run in this cluster: its version decides kubectl's requests (rbac-insufficient).
		if v, err := serverVersion(clusterConfig); err != nil {
			logger.Warn("cannot read the API server's version; rbac-insufficient assumes the requests of every kubectl and cluster version", "err", err)
		} else {
			opts.EngineOptions = append(opts.EngineOptions, policies.WithClusterVersion(v))
			logger.Info("kubectl requests are judged for the API server's version", "version", v.String())
		}
	}
	var certManager *certmgr.Manager
	switch f.certMode {
	case certModeFiles:
	case certModeSelfManaged:
		if cluster == nil {
			return &exitError{exitUsage, errors.New("--cert-mode=self-managed needs a cluster connection: run in a pod or give --kubeconfig")}
		}
		if f.namespace == "" {
			return &exitError{exitUsage, errors.New("--cert-mode=self-managed needs --namespace or $POD_NAMESPACE")}
		}
		certManager, err = certmgr.New(certmgr.Options{
			Client:                             cluster,
			SecretNamespace:                    f.namespace,
			SecretName:                         f.certSecret,
			ServiceName:                        f.service,
			ValidatingWebhookConfigurationName: f.validating,
			MutatingWebhookConfigurationName:   f.mutating,
			CertDir:                            f.certDir,
			Logger:                             logr.FromSlogHandler(logger.Handler()).WithName("certs"),
		})
		if err != nil {
			return &exitError{exitUsage, err}
		}
		// The webhook server reads the files when it starts: write them first.
		if err := certManager.Sync(ctx); err != nil && !certManager.Ready() {
			return &exitError{exitUsage, fmt.Errorf("self-managed certificates: %w", err)}
		} else if err != nil {
			logger.Warn("CA bundle not injected yet; retrying in the background", "error", err)
		}
		go func() { _ = certManager.Start(ctx) }()
	default:
		return &exitError{exitUsage, fmt.Errorf("--cert-mode: unknown mode %q (valid: %s, %s)", f.certMode, certModeFiles, certModeSelfManaged)}
	}
	certs, certErr := certwatcher.New(filepath.Join(f.certDir, "tls.crt"), filepath.Join(f.certDir, "tls.key"))
	if certErr == nil {
		opts.TLSOpts = []func(*tls.Config){func(c *tls.Config) { c.GetCertificate = certs.GetCertificate }}
		opts.CertReady = func() error { return certificateUsable(certs, time.Now()) }
		certErr = certificateUsable(certs, time.Now())
	}
	// Report a bad configuration first: it is the likelier mistake.
	srv, err := webhook.New(opts)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	if certErr != nil {
		return &exitError{exitUsage, fmt.Errorf("--cert-dir %s: %w (create tls.crt and tls.key with `jobguard certs generate`)", f.certDir, certErr)}
	}

	go func() {
		if err := certs.Start(ctx); err != nil {
			logger.Error("certificate watcher stopped", "error", err)
		}
	}()
	if err := srv.ObserveCertificate(func() (time.Time, error) { return servingNotAfter(certs) }); err != nil {
		return &exitError{exitUsage, err}
	}
	if err := startBackgroundAudit(ctx, cmd, f, srv, clusterConfig, logger); err != nil {
		return &exitError{exitUsage, err}
	}
	if err := srv.Start(ctx); err != nil {
		return &exitError{exitServeFailed, err}
	}
	return nil
}

// certificateUsable reports whether the watcher holds a certificate that is valid now.
func certificateUsable(certs *certwatcher.CertWatcher, now time.Time) error {
	leaf, err := servingLeaf(certs)
	if err != nil {
		return err
	}
	switch {
	case now.Before(leaf.NotBefore):
		return fmt.Errorf("the serving certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	case now.After(leaf.NotAfter):
		return fmt.Errorf("the serving certificate expired at %s; renew it (jobguard certs generate --force)", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// servingLeaf is the certificate the watcher serves.
func servingLeaf(certs *certwatcher.CertWatcher) (*x509.Certificate, error) {
	c, err := certs.GetCertificate(nil)
	if err != nil {
		return nil, err
	}
	if c == nil || len(c.Certificate) == 0 {
		return nil, errors.New("no serving certificate loaded")
	}
	if c.Leaf != nil {
		return c.Leaf, nil
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("the serving certificate does not parse: %w", err)
	}
	return leaf, nil
}

// servingNotAfter is when the served certificate expires, for the expiry metric.
func servingNotAfter(certs *certwatcher.CertWatcher) (time.Time, error) {
	leaf, err := servingLeaf(certs)
	if err != nil {
		return time.Time{}, err
	}
	return leaf.NotAfter, nil
}
