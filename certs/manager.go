package certs

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

var log = logf.Log.WithName("certs")

const (
	// DefaultCheckInterval is how often a Manager re-reads the Secret and
	// re-checks the certificates and the webhook configurations.
	DefaultCheckInterval = time.Hour
	// DefaultRetryInterval is how soon a Manager tries again after a failed
	// check.
	DefaultRetryInterval = 10 * time.Second

	// AnnotationRolloverSince is set on the Secret while a CA rollover is in
	// progress: the RFC 3339 time its current step began. Each step (new CA
	// added to the bundle; serving certificate switched to the new CA) is
	// followed by Options.RolloverGracePeriod before the next.
	AnnotationRolloverSince = "jobguard.io/ca-rollover-since"

	// renewFraction: a certificate is renewed (a CA rolled over) once less
	// than this share of its validity is left.
	renewFraction = 3 // 1/3

	// maxAttempts bounds the optimistic-concurrency retries of one check.
	maxAttempts = 5

	managedByLabel = "app.kubernetes.io/managed-by"
	managedByValue = "jobguard"
)

// Options configures a Manager.
type Options struct {
	// Client reads, creates and updates the Secret and reads and patches the
	// webhook configurations. Required.
	//
	// Use a client that talks to the API server directly (client.New), not a
	// manager's cached client: Sync is meant to run before the manager and
	// its caches start, and a cache would list and watch every Secret.
	Client client.Client

	// SecretNamespace and SecretName name the Secret (type
	// kubernetes.io/tls) that holds the CA and the serving certificate for
	// every replica. Required.
	SecretNamespace string
	SecretName      string

	// ServiceName is the name of the webhook's Service; the serving
	// certificate covers its DNS names (see DNSNames). Required.
	ServiceName string
	// ServiceNamespace is the Service's namespace. Defaults to
	// SecretNamespace.
	ServiceNamespace string
	// ClusterDomain is the cluster's DNS domain. Defaults to "cluster.local".
	ClusterDomain string

	// ValidatingWebhookConfigurationName and MutatingWebhookConfigurationName
	// name the (cluster-scoped) configurations whose webhooks get the CA
	// bundle in clientConfig.caBundle. Each defaults to "": none of that
	// kind is patched.
	ValidatingWebhookConfigurationName string
	MutatingWebhookConfigurationName   string

	// CertDir is the directory the webhook server reads its certificate and
	// key from; it is created (mode 0700) when missing. Defaults to
	// controller-runtime's webhook default,
	// <os.TempDir()>/k8s-webhook-server/serving-certs.
	CertDir string
	// CertName is the serving certificate's file name in CertDir. Defaults
	// to "tls.crt".
	CertName string
	// KeyName is the serving key's file name in CertDir (written mode 0600).
	// Defaults to "tls.key".
	KeyName string

	// CAValidity is how long a new CA is valid. Defaults to
	// DefaultCAValidity (10 years).
	CAValidity time.Duration
	// CertValidity is how long a new serving certificate is valid (never
	// longer than its CA). Defaults to DefaultCertValidity (1 year).
	CertValidity time.Duration

	// CheckInterval is how often Start re-checks everything. Defaults to
	// DefaultCheckInterval (1 hour).
	CheckInterval time.Duration
	// RetryInterval is how soon Start checks again after a failed check; it
	// doubles with each further failure in a row, up to CheckInterval.
	// Defaults to DefaultRetryInterval (10 seconds).
	RetryInterval time.Duration
	// RolloverGracePeriod is how long each step of a CA rollover is left in
	// place before the next: between adding the new CA to the bundle and
	// switching the serving certificate to it, and between that and dropping
	// the old CA. Every replica re-reads the Secret at least once per
	// CheckInterval, so it must be longer than that. Defaults to twice
	// CheckInterval.
	RolloverGracePeriod time.Duration

	// Logger receives the Manager's logs. Defaults to controller-runtime's
	// log.Log named "certs".
	Logger logr.Logger
	// Now returns the current time; tests inject a clock here. Defaults to
	// time.Now.
	Now func() time.Time
}

func (o *Options) setDefaults() error {
	switch {
	case o.Client == nil:
		return errors.New("certs: Options.Client is required")
	case o.SecretNamespace == "" || o.SecretName == "":
		return errors.New("certs: Options.SecretNamespace and SecretName are required")
	case o.ServiceName == "":
		return errors.New("certs: Options.ServiceName is required")
	}
	if o.ServiceNamespace == "" {
		o.ServiceNamespace = o.SecretNamespace
	}
	// Validate the names the same way Generate does.
	g := GenerateOptions{ServiceName: o.ServiceName, Namespace: o.ServiceNamespace, ClusterDomain: o.ClusterDomain,
		CAValidity: o.CAValidity, CertValidity: o.CertValidity}
	if err := g.setDefaults(); err != nil {
		return err
	}
	o.ClusterDomain, o.CAValidity, o.CertValidity = g.ClusterDomain, g.CAValidity, g.CertValidity
	if o.CertDir == "" {
		o.CertDir = filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs")
	}
	if o.CertName == "" {
		o.CertName = CertName
	}
	if o.KeyName == "" {
		o.KeyName = KeyName
	}
	if o.CheckInterval <= 0 {
		o.CheckInterval = DefaultCheckInterval
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.RolloverGracePeriod <= 0 {
		o.RolloverGracePeriod = 2 * o.CheckInterval
	}
	if o.Logger.GetSink() == nil {
		o.Logger = log
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Manager keeps a webhook server's certificates in a Secret shared by all
// replicas, mirrors the serving certificate into the server's CertDir and
// injects the CA bundle into the webhook configurations. Start runs it as a
// controller-runtime Runnable on every replica (no leader election).
type Manager struct {
	opts Options
	log  logr.Logger

	// syncMu serialises Sync.
	syncMu sync.Mutex

	mu      sync.RWMutex
	ready   bool
	lastErr error
}

// New returns a Manager for opts. It does not contact the API server.
func New(opts Options) (*Manager, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	return &Manager{
		opts: opts,
		log: opts.Logger.WithValues("secret", opts.SecretNamespace+"/"+opts.SecretName,
			"certDir", opts.CertDir),
	}, nil
}

// CertPath returns the path of the serving certificate the Manager writes.
func (m *Manager) CertPath() string { return filepath.Join(m.opts.CertDir, m.opts.CertName) }

// KeyPath returns the path of the serving key the Manager writes.
func (m *Manager) KeyPath() string { return filepath.Join(m.opts.CertDir, m.opts.KeyName) }

// Start checks at once and then every CheckInterval (sooner when a renewal
// or a rollover step is due, after RetryInterval when a check failed) until
// ctx is done, and then returns nil. Failures are logged and retried, never
// returned: a replica keeps serving with the certificate it has.
func (m *Manager) Start(ctx context.Context) error {
	m.log.Info("Starting certificate manager", "interval", m.opts.CheckInterval)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var retry time.Duration
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		wake, err := m.sync(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var wait time.Duration
		wait, retry = m.nextWait(err, wake, retry)
		if err != nil {
			m.log.Error(err, "certificate check failed", "retryIn", wait)
		}
		timer.Reset(wait)
	}
}

// nextWait returns how long Start waits after a check that returned err and
// wake, given the retry delay the previous failure set (0 after a success),
// and the retry delay for the next failure.
func (m *Manager) nextWait(err error, wake time.Time, retry time.Duration) (wait, nextRetry time.Duration) {
	if err != nil {
		if retry <= 0 {
			retry = m.opts.RetryInterval
		}
		wait = min(retry, m.opts.CheckInterval)
		return wait, min(2*wait, m.opts.CheckInterval)
	}
	wait = m.opts.CheckInterval
	if !wake.IsZero() {
		if d := wake.Sub(m.opts.Now()); d < wait {
			wait = max(d, time.Second)
		}
	}
	return wait, 0
}

// NeedLeaderElection is false: every replica must write its own CertDir.
func (m *Manager) NeedLeaderElection() bool {
	return false
}

// Sync makes one check: it ensures the Secret holds a valid CA and serving
// certificate (creating, renewing or rolling them over as needed), writes
// the serving certificate and key to CertDir, and patches the CA bundle into
// the webhook configurations. Call it once before the webhook server starts,
// since the server needs the files to exist. An error while Ready is true
// came after the files were written, from the webhook configurations; Start
// retries it.
func (m *Manager) Sync(ctx context.Context) error {
	_, err := m.sync(ctx)
	return err
}

// Ready reports whether the serving certificate and key have been written to
// CertDir.
func (m *Manager) Ready() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.ready
}

// ReadyError returns nil once Ready is true, and before that an error that
// says why not (with the last check's error, if any). It fits a readiness
// hook of type func() error.
func (m *Manager) ReadyError() error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.ready {
		return nil
	}
	if m.lastErr != nil {
		return fmt.Errorf("serving certificate not written to %s yet: %w", m.opts.CertDir, m.lastErr)
	}
	return fmt.Errorf("serving certificate not written to %s yet", m.opts.CertDir)
}

// ReadyChecker returns a healthz.Checker (for a controller-runtime manager's
// AddReadyzCheck, or a healthz.Handler) that passes once Ready is true.
func (m *Manager) ReadyChecker() healthz.Checker {
	return func(_ *http.Request) error { return m.ReadyError() }
}

// sync is Sync, also returning when the next renewal or rollover step is
// due (zero: nothing scheduled).
func (m *Manager) sync(ctx context.Context) (time.Time, error) {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	wake, err := m.doSync(ctx)
	m.mu.Lock()
	m.lastErr = err
	m.mu.Unlock()
	return wake, err
}

func (m *Manager) doSync(ctx context.Context) (time.Time, error) {
	data, wake, err := m.ensureSecret(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if err := m.writeFiles(data); err != nil {
		return time.Time{}, err
	}
	m.mu.Lock()
	m.ready = true
	m.mu.Unlock()
	return wake, m.injectCABundle(ctx, data[CACertName])
}

// ensureSecret brings the Secret up to date and returns its data. Writes use
// optimistic concurrency: when another replica created or updated the Secret
// first, ensureSecret re-reads it and adopts that replica's certificates if
// they are valid.
func (m *Manager) ensureSecret(ctx context.Context) (map[string][]byte, time.Time, error) {
	key := client.ObjectKey{Namespace: m.opts.SecretNamespace, Name: m.opts.SecretName}
	for range maxAttempts {
		secret := &corev1.Secret{}
		exists := true
		if err := m.opts.Client.Get(ctx, key, secret); apierrors.IsNotFound(err) {
			exists = false
			secret = &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{
					Namespace: key.Namespace,
					Name:      key.Name,
					Labels:    map[string]string{managedByLabel: managedByValue},
				},
				Type: corev1.SecretTypeTLS,
			}
		} else if err != nil {
			return nil, time.Time{}, fmt.Errorf("certs: reading Secret %s: %w", key, err)
		}
		if exists && secret.Type != corev1.SecretTypeTLS {
			return nil, time.Time{}, fmt.Errorf("certs: Secret %s has type %q, want %q (the type cannot be changed: delete the Secret)",
				key, secret.Type, corev1.SecretTypeTLS)
		}

		p, err := m.plan(secret.Data, secret.Annotations[AnnotationRolloverSince], m.opts.Now())
		if err != nil {
			return nil, time.Time{}, err
		}
		if len(p.reasons) == 0 {
			return secret.Data, p.wake, nil
		}
		if secret.Data == nil {
			secret.Data = map[string][]byte{}
		}
		for k, v := range p.data() {
			secret.Data[k] = v
		}
		if a := p.annotation(); a == "" {
			delete(secret.Annotations, AnnotationRolloverSince)
		} else {
			if secret.Annotations == nil {
				secret.Annotations = map[string]string{}
			}
			secret.Annotations[AnnotationRolloverSince] = a
		}

		if exists {
			err = m.opts.Client.Update(ctx, secret)
		} else {
			err = m.opts.Client.Create(ctx, secret)
		}
		switch {
		case apierrors.IsConflict(err), apierrors.IsAlreadyExists(err):
			// Another replica wrote first: re-read and adopt its certificates.
			m.log.V(1).Info("Secret changed under us; re-reading", "reason", err.Error())
			continue
		case err != nil:
			return nil, time.Time{}, fmt.Errorf("certs: writing Secret %s: %w", key, err)
		}
		m.log.Info("Updated certificates in Secret", "changes", p.reasons,
			"caNotAfter", p.ca.cert.NotAfter, "certNotAfter", p.serving.cert.NotAfter)
		return secret.Data, p.wake, nil
	}
	return nil, time.Time{}, fmt.Errorf("certs: Secret %s kept changing: gave up after %d attempts", key, maxAttempts)
}

// writeFiles mirrors the serving certificate and key into CertDir. A file is
// only rewritten when its content changed, and atomically, so the webhook
// server's certwatcher picks up the new pair without a restart.
func (m *Manager) writeFiles(data map[string][]byte) error {
	if err := os.MkdirAll(m.opts.CertDir, 0o700); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	// Key first: certwatcher reloads on the certificate's change too, and
	// then finds the matching key in place.
	wroteKey, err := writeFileAtomic(m.KeyPath(), data[KeyName], 0o600)
	if err != nil {
		return err
	}
	wroteCert, err := writeFileAtomic(m.CertPath(), data[CertName], 0o644)
	if err != nil {
		return err
	}
	if wroteKey || wroteCert {
		m.log.Info("Wrote serving certificate", "cert", m.CertPath(), "key", m.KeyPath())
	}
	return nil
}

// injectCABundle sets clientConfig.caBundle of every webhook in the
// configured webhook configurations to bundle.
func (m *Manager) injectCABundle(ctx context.Context, bundle []byte) error {
	var errs []error
	if name := m.opts.ValidatingWebhookConfigurationName; name != "" {
		errs = append(errs, m.inject(ctx, name, "ValidatingWebhookConfiguration", bundle))
	}
	if name := m.opts.MutatingWebhookConfigurationName; name != "" {
		errs = append(errs, m.inject(ctx, name, "MutatingWebhookConfiguration", bundle))
	}
	return errors.Join(errs...)
}

// staleWebhooks lists the webhooks of a validating or mutating webhook
// configuration (the two have the same webhooks[].clientConfig.caBundle)
// whose caBundle differs from bundle.
func staleWebhooks(obj *unstructured.Unstructured, bundle []byte) []string {
	want := base64.StdEncoding.EncodeToString(bundle)
	webhooks, _, _ := unstructured.NestedSlice(obj.Object, "webhooks")
	var stale []string
	for _, w := range webhooks {
		w, _ := w.(map[string]any)
		name, _, _ := unstructured.NestedString(w, "name")
		have, _, _ := unstructured.NestedString(w, "clientConfig", "caBundle")
		if have != want {
			stale = append(stale, name)
		}
	}
	return stale
}

// inject patches one webhook configuration of kind (ValidatingWebhookConfiguration
// or MutatingWebhookConfiguration). The strategic merge patch touches only the
// caBundle of the webhooks that differ from bundle (webhooks merge by name) and
// carries the resourceVersion read, so it fails with a conflict, and is retried,
// instead of resurrecting a webhook someone removed meanwhile.
func (m *Manager) inject(ctx context.Context, name, kind string, bundle []byte) error {
	for range maxAttempts {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(admissionregistrationv1.SchemeGroupVersion.WithKind(kind))
		if err := m.opts.Client.Get(ctx, client.ObjectKey{Name: name}, obj); err != nil {
			return fmt.Errorf("certs: reading %s %s: %w", kind, name, err)
		}
		stale := staleWebhooks(obj, bundle)
		if len(stale) == 0 {
			return nil
		}
		type clientConfig struct {
			CABundle []byte `json:"caBundle"`
		}
		type webhook struct {
			Name         string       `json:"name"`
			ClientConfig clientConfig `json:"clientConfig"`
		}
		patch := struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
			Webhooks []webhook `json:"webhooks"`
		}{}
		patch.Metadata.ResourceVersion = obj.GetResourceVersion()
		for _, n := range stale {
			patch.Webhooks = append(patch.Webhooks, webhook{Name: n, ClientConfig: clientConfig{CABundle: bundle}})
		}
		raw, err := json.Marshal(patch)
		if err != nil {
			return fmt.Errorf("certs: %w", err)
		}
		err = m.opts.Client.Patch(ctx, obj, client.RawPatch(types.StrategicMergePatchType, raw))
		switch {
		case apierrors.IsConflict(err):
			continue
		case err != nil:
			return fmt.Errorf("certs: patching caBundle into %s %s: %w", kind, name, err)
		}
		m.log.Info("Injected CA bundle", "kind", kind, "name", name, "webhooks", stale)
		return nil
	}
	return fmt.Errorf("certs: %s %s kept changing: gave up after %d attempts", kind, name, maxAttempts)
}

// secretPlan is the outcome of checking the Secret's certificates at one
// instant: what the Secret should hold and why it changes.
type secretPlan struct {
	ca       *keyPair
	previous [][]byte // PEM of the previous CA(s), kept in the bundle during a rollover
	serving  *keyPair
	// rolloverSince is when the current rollover step began; zero when no
	// rollover is in progress.
	rolloverSince time.Time
	// reasons lists the changes; none means the Secret is fine as it is.
	reasons []string
	// wake is when the next renewal or rollover step is due.
	wake time.Time
}

// data returns the Secret data keys the plan sets: ca.crt (the CA bundle:
// current CA first, then any previous one), ca.key, tls.crt and tls.key.
func (p *secretPlan) data() map[string][]byte {
	return map[string][]byte{
		CACertName: slices.Concat(append([][]byte{p.ca.certPEM}, p.previous...)...),
		CAKeyName:  p.ca.keyPEM,
		CertName:   p.serving.certPEM,
		KeyName:    p.serving.keyPEM,
	}
}

// annotation returns the value of AnnotationRolloverSince the plan sets; ""
// removes it.
func (p *secretPlan) annotation() string {
	if p.rolloverSince.IsZero() {
		return ""
	}
	return p.rolloverSince.UTC().Format(time.RFC3339)
}

func (p *secretPlan) wakeAt(t time.Time) {
	if p.wake.IsZero() || t.Before(p.wake) {
		p.wake = t
	}
}

// renewAt is when less than 1/renewFraction of cert's validity is left.
func renewAt(cert *x509.Certificate) time.Time {
	return cert.NotAfter.Add(-cert.NotAfter.Sub(cert.NotBefore) / renewFraction)
}

// plan decides what the Secret should hold at now, given its current data and
// rollover annotation.
//
// A CA rollover goes in three steps, each left in place for
// RolloverGracePeriod:
//  1. when the CA nears its expiry, a new CA becomes current and the old one
//     stays in the bundle; the serving certificate, still signed by the old
//     CA, is kept;
//  2. the serving certificate is re-issued by the new CA (every API server
//     already trusts it through the bundle);
//  3. the old CA is dropped from the bundle (every replica already serves the
//     new certificate).
func (m *Manager) plan(data map[string][]byte, since string, now time.Time) (*secretPlan, error) {
	p := &secretPlan{}
	reissue := func(reason string) error {
		srv, err := issueServing(p.ca, servingDNSNames(m.opts.ServiceName, m.opts.ServiceNamespace, m.opts.ClusterDomain), now, m.opts.CertValidity)
		if err != nil {
			return err
		}
		p.serving = srv
		p.reasons = append(p.reasons, reason)
		return nil
	}

	// The CA: the first certificate of ca.crt with ca.key. Any further
	// certificate is a previous CA kept for a rollover.
	var prevCerts []*x509.Certificate
	ca, caCerts, caPEMs, err := parseCA(data[CACertName], data[CAKeyName], now)
	if err != nil {
		p.reasons = append(p.reasons, "new CA ("+err.Error()+")")
		if ca, err = newCA(now, m.opts.CAValidity); err != nil {
			return nil, err
		}
	} else {
		for i, c := range caCerts[1:] {
			if now.Before(c.NotAfter) && c.IsCA {
				prevCerts = append(prevCerts, c)
				p.previous = append(p.previous, caPEMs[i+1])
			} else {
				p.reasons = append(p.reasons, "dropped expired previous CA "+c.Subject.CommonName)
			}
		}
	}
	p.ca = ca
	if len(p.previous) > 0 {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			t = now
			p.reasons = append(p.reasons, "rollover without a valid "+AnnotationRolloverSince+" annotation: restarting its grace period")
		}
		p.rolloverSince = t
	}

	// Step 1: roll the CA over when it nears its expiry.
	if len(p.previous) == 0 && !now.Before(renewAt(p.ca.cert)) {
		old := p.ca
		if p.ca, err = newCA(now, m.opts.CAValidity); err != nil {
			return nil, err
		}
		prevCerts, p.previous = []*x509.Certificate{old.cert}, [][]byte{old.certPEM}
		p.rolloverSince = now
		p.reasons = append(p.reasons, fmt.Sprintf("CA %s expires %s: new CA added to the bundle",
			old.cert.Subject.CommonName, old.cert.NotAfter.UTC().Format(time.RFC3339)))
	}
	p.wakeAt(renewAt(p.ca.cert))

	// The serving certificate.
	srv, srvErr := parseKeyPair(data[CertName], data[KeyName])
	if srvErr == nil {
		srvErr = m.checkServing(srv.cert, now)
	}
	byCurrent := srvErr == nil && srv.cert.CheckSignatureFrom(p.ca.cert) == nil
	byPrevious := srvErr == nil && !byCurrent && slices.ContainsFunc(prevCerts, func(c *x509.Certificate) bool {
		return srv.cert.CheckSignatureFrom(c) == nil
	})
	graceEnd := p.rolloverSince.Add(m.opts.RolloverGracePeriod)
	deferred := false // serving certificate kept until graceEnd
	switch {
	case srvErr != nil:
		if err := reissue("new serving certificate (" + srvErr.Error() + ")"); err != nil {
			return nil, err
		}
		if len(p.previous) > 0 {
			p.rolloverSince = now
		}
	case !byCurrent && !byPrevious:
		if err := reissue("new serving certificate (not signed by the CA)"); err != nil {
			return nil, err
		}
		if len(p.previous) > 0 {
			p.rolloverSince = now
		}
	case byPrevious && now.Before(graceEnd):
		// Step 1 in progress: the API servers may not trust the new CA yet.
		// The certificate is replaced at graceEnd, even if due for renewal
		// sooner.
		p.serving, deferred = srv, true
		p.wakeAt(graceEnd)
	case byPrevious:
		// Step 2.
		if err := reissue("serving certificate switched to the new CA"); err != nil {
			return nil, err
		}
		p.rolloverSince = now
	case !now.Before(renewAt(srv.cert)):
		if err := reissue(fmt.Sprintf("serving certificate renewed (expires %s)", srv.cert.NotAfter.UTC().Format(time.RFC3339))); err != nil {
			return nil, err
		}
	default:
		p.serving = srv
	}
	if !deferred {
		p.wakeAt(renewAt(p.serving.cert))
	}

	// Step 3: drop the previous CA once the new serving certificate has been
	// in place for the grace period.
	if len(p.previous) > 0 && p.serving.cert.CheckSignatureFrom(p.ca.cert) == nil {
		if graceEnd := p.rolloverSince.Add(m.opts.RolloverGracePeriod); now.Before(graceEnd) {
			p.wakeAt(graceEnd)
		} else {
			p.previous, p.rolloverSince = nil, time.Time{}
			p.reasons = append(p.reasons, "previous CA dropped from the bundle")
		}
	}

	// A re-encoded bundle that differs from what is stored (e.g. stray text
	// around the PEM blocks) is rewritten too.
	if len(p.reasons) == 0 && !bytes.Equal(p.data()[CACertName], data[CACertName]) {
		p.reasons = append(p.reasons, "CA bundle normalised")
	}
	if len(p.reasons) == 0 && p.annotation() != since {
		p.reasons = append(p.reasons, "rollover annotation updated")
	}
	return p, nil
}

// parseCA parses the CA bundle and key: the first certificate must be a CA,
// valid at now, matching key. It also returns every certificate of the
// bundle with its PEM.
func parseCA(bundle, key []byte, now time.Time) (*keyPair, []*x509.Certificate, [][]byte, error) {
	certs, pems, err := parseCerts(bundle)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("CA certificate: %w", err)
	}
	kp, err := parseKeyPair(pems[0], key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("CA: %w", err)
	}
	c := kp.cert
	switch {
	case !c.IsCA || !c.BasicConstraintsValid || c.KeyUsage&x509.KeyUsageCertSign == 0:
		return nil, nil, nil, errors.New("CA certificate cannot sign certificates")
	case !now.Before(c.NotAfter):
		return nil, nil, nil, fmt.Errorf("CA expired at %s", c.NotAfter.UTC().Format(time.RFC3339))
	}
	return kp, certs, pems, nil
}

// checkServing reports why cert cannot serve the webhook at now, if it
// cannot: expired, not for server auth, or missing one of the Service's
// names or a loopback address.
func (m *Manager) checkServing(cert *x509.Certificate, now time.Time) error {
	if !now.Before(cert.NotAfter) {
		return fmt.Errorf("expired at %s", cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		return errors.New("not for server authentication")
	}
	for _, name := range servingDNSNames(m.opts.ServiceName, m.opts.ServiceNamespace, m.opts.ClusterDomain) {
		if !slices.Contains(cert.DNSNames, name) {
			return fmt.Errorf("no SAN %s", name)
		}
	}
	for _, ip := range loopbackIPs {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return fmt.Errorf("no SAN %s", ip)
		}
	}
	return nil
}
