package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

const (
	testNS      = "jobguard"
	testSecret  = "jobguard-webhook-tls"
	testService = "jobguard-webhook"
	testVWC     = "jobguard-validating"
	testMWC     = "jobguard-mutating"
)

var secretKey = client.ObjectKey{Namespace: testNS, Name: testSecret}

// clock is a settable time source shared by a test's Managers.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func webhookConfigs() []client.Object {
	none := admissionregistrationv1.SideEffectClassNone
	fail := admissionregistrationv1.Fail
	path := "/validate"
	svc := &admissionregistrationv1.ServiceReference{Namespace: testNS, Name: testService, Path: &path}
	rules := []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{"batch"}, APIVersions: []string{"v1"}, Resources: []string{"jobs", "cronjobs"}},
	}}
	vwh := func(name string) admissionregistrationv1.ValidatingWebhook {
		return admissionregistrationv1.ValidatingWebhook{
			Name:                    name,
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{Service: svc, CABundle: []byte("stale")},
			Rules:                   rules,
			FailurePolicy:           &fail,
			SideEffects:             &none,
			AdmissionReviewVersions: []string{"v1"},
		}
	}
	return []client.Object{
		&admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: testVWC, Labels: map[string]string{"app": "jobguard"}},
			Webhooks:   []admissionregistrationv1.ValidatingWebhook{vwh("jobs.jobguard.io"), vwh("rbac.jobguard.io")},
		},
		&admissionregistrationv1.MutatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: testMWC},
			Webhooks: []admissionregistrationv1.MutatingWebhook{{
				Name:                    "defaults.jobguard.io",
				ClientConfig:            admissionregistrationv1.WebhookClientConfig{Service: svc},
				Rules:                   rules,
				FailurePolicy:           &fail,
				SideEffects:             &none,
				AdmissionReviewVersions: []string{"v1"},
			}},
		},
	}
}

func newTestManager(t *testing.T, c client.Client, clk *clock, mod ...func(*Options)) *Manager {
	t.Helper()
	opts := Options{
		Client:                             c,
		SecretNamespace:                    testNS,
		SecretName:                         testSecret,
		ServiceName:                        testService,
		ValidatingWebhookConfigurationName: testVWC,
		MutatingWebhookConfigurationName:   testMWC,
		CertDir:                            filepath.Join(t.TempDir(), "serving-certs"),
		Logger:                             logr.Discard(),
		Now:                                clk.Now,
	}
	for _, f := range mod {
		f(&opts)
	}
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func getSecret(t *testing.T, c client.Client) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := c.Get(context.Background(), secretKey, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// caBundles returns the caBundle of every webhook of both configurations.
func caBundles(t *testing.T, c client.Client) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: testVWC}, vwc); err != nil {
		t.Fatal(err)
	}
	for _, w := range vwc.Webhooks {
		out["validating/"+w.Name] = w.ClientConfig.CABundle
	}
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: testMWC}, mwc); err != nil {
		t.Fatal(err)
	}
	for _, w := range mwc.Webhooks {
		out["mutating/"+w.Name] = w.ClientConfig.CABundle
	}
	return out
}

func checkBundleInjected(t *testing.T, c client.Client, want []byte) {
	t.Helper()
	got := caBundles(t, c)
	if len(got) != 3 {
		t.Fatalf("got %d webhooks, want 3", len(got))
	}
	for name, b := range got {
		if !bytes.Equal(b, want) {
			t.Errorf("%s caBundle = %.40q..., want the Secret's ca.crt", name, b)
		}
	}
}

// checkFiles checks that CertDir holds the Secret's serving pair and that it
// verifies against the Secret's CA bundle for the Service's name.
func checkFiles(t *testing.T, m *Manager, s *corev1.Secret, at time.Time) {
	t.Helper()
	cert, key := readFile(t, m.CertPath()), readFile(t, m.KeyPath())
	if !bytes.Equal(cert, s.Data[CertName]) || !bytes.Equal(key, s.Data[KeyName]) {
		t.Errorf("%s and %s do not hold the Secret's tls.crt and tls.key", m.CertPath(), m.KeyPath())
	}
	if mode := fileMode(t, m.KeyPath()); mode != 0o600 {
		t.Errorf("key mode %o, want 600", mode)
	}
	if _, err := tls.LoadX509KeyPair(m.CertPath(), m.KeyPath()); err != nil {
		t.Errorf("LoadX509KeyPair: %v", err)
	}
	verify(t, s.Data[CertName], s.Data[CACertName], at)
}

func verify(t *testing.T, certPEM, bundle []byte, at time.Time) {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(bundle) {
		t.Fatal("CA bundle holds no certificate")
	}
	cert := mustParseCert(t, certPEM)
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: testService + "." + testNS + ".svc", Roots: roots, CurrentTime: at}); err != nil {
		t.Errorf("serving certificate does not verify against the bundle: %v", err)
	}
}

func bundleCNs(t *testing.T, bundle []byte) []string {
	t.Helper()
	certs, _, err := parseCerts(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var cns []string
	for _, c := range certs {
		cns = append(cns, c.Subject.CommonName)
	}
	return cns
}

func TestNewValidatesOptions(t *testing.T) {
	c := fake.NewClientBuilder().Build()
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{SecretNamespace: "n", SecretName: "s", ServiceName: "svc"}, "Client is required"},
		{Options{Client: c, SecretName: "s", ServiceName: "svc"}, "SecretNamespace and SecretName are required"},
		{Options{Client: c, SecretNamespace: "n", SecretName: "s"}, "ServiceName is required"},
		{Options{Client: c, SecretNamespace: "n", SecretName: "s", ServiceName: "Bad_Name"}, "invalid Service name"},
	} {
		if _, err := New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New: error %v, want it to contain %q", err, tc.want)
		}
	}

	m, err := New(Options{Client: c, SecretNamespace: "n", SecretName: "s", ServiceName: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	o := m.opts
	if o.ServiceNamespace != "n" || o.ClusterDomain != "cluster.local" ||
		o.CertDir != filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs") ||
		o.CertName != "tls.crt" || o.KeyName != "tls.key" ||
		o.CAValidity != 10*365*24*time.Hour || o.CertValidity != 365*24*time.Hour ||
		o.CheckInterval != time.Hour || o.RetryInterval != 10*time.Second || o.RolloverGracePeriod != 2*time.Hour ||
		o.Now == nil || o.Logger.GetSink() == nil {
		t.Errorf("defaults not applied: %+v", o)
	}
	if m.NeedLeaderElection() {
		t.Error("NeedLeaderElection = true: every replica must write its own files")
	}
}

func TestManagerCreatesSecret(t *testing.T) {
	c := fake.NewClientBuilder().WithObjects(webhookConfigs()...).Build()
	clk := &clock{t: t0}
	m := newTestManager(t, c, clk)

	if m.Ready() {
		t.Error("Ready before the first Sync")
	}
	if err := m.ReadyChecker()(nil); err == nil {
		t.Error("ReadyChecker passed before the first Sync")
	}
	if err := m.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !m.Ready() {
		t.Error("not Ready after Sync")
	}
	if err := m.ReadyChecker()(nil); err != nil {
		t.Errorf("ReadyChecker after Sync: %v", err)
	}

	s := getSecret(t, c)
	if s.Type != corev1.SecretTypeTLS {
		t.Errorf("Secret type %q, want kubernetes.io/tls", s.Type)
	}
	if s.Labels["app.kubernetes.io/managed-by"] != "jobguard" {
		t.Errorf("Secret labels %v lack app.kubernetes.io/managed-by=jobguard", s.Labels)
	}
	for _, k := range []string{"ca.crt", "ca.key", "tls.crt", "tls.key"} {
		if len(s.Data[k]) == 0 {
			t.Errorf("Secret lacks %s", k)
		}
	}
	if _, ok := s.Annotations[AnnotationRolloverSince]; ok {
		t.Error("a new Secret carries the rollover annotation")
	}
	if n := len(bundleCNs(t, s.Data[CACertName])); n != 1 {
		t.Errorf("ca.crt holds %d certificates, want 1", n)
	}
	checkFiles(t, m, s, t0)
	checkBundleInjected(t, c, s.Data[CACertName])

	// Only caBundle changed in the webhook configurations.
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: testVWC}, vwc); err != nil {
		t.Fatal(err)
	}
	want := webhookConfigs()[0].(*admissionregistrationv1.ValidatingWebhookConfiguration)
	if vwc.Labels["app"] != "jobguard" || len(vwc.Webhooks) != 2 {
		t.Fatalf("configuration clobbered: %+v", vwc)
	}
	for i := range vwc.Webhooks {
		got, w := vwc.Webhooks[i], want.Webhooks[i]
		got.ClientConfig.CABundle, w.ClientConfig.CABundle = nil, nil
		if got.Name != w.Name || *got.ClientConfig.Service.Path != "/validate" || len(got.Rules) != 1 ||
			*got.SideEffects != *w.SideEffects || !slices.Equal(got.AdmissionReviewVersions, []string{"v1"}) {
			t.Errorf("webhook %d clobbered: %+v", i, got)
		}
	}
}

func TestManagerReusesValidSecret(t *testing.T) {
	b, err := Generate(GenerateOptions{ServiceName: testService, Namespace: testNS, Now: fixedNow(t0)})
	if err != nil {
		t.Fatal(err)
	}
	existing := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: testSecret},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			"ca.crt": b.CACert, "ca.key": b.CAKey, "tls.crt": b.Cert, "tls.key": b.Key,
			"other": []byte("kept"),
		},
	}
	c := fake.NewClientBuilder().WithObjects(append(webhookConfigs(), existing)...).Build()
	rv := getSecret(t, c).ResourceVersion
	clk := &clock{t: t0.Add(24 * time.Hour)}
	m := newTestManager(t, c, clk)
	for range 2 {
		if err := m.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	s := getSecret(t, c)
	if s.ResourceVersion != rv {
		t.Errorf("a valid Secret was rewritten (resourceVersion %s -> %s)", rv, s.ResourceVersion)
	}
	if !bytes.Equal(readFile(t, m.CertPath()), b.Cert) || !bytes.Equal(readFile(t, m.KeyPath()), b.Key) {
		t.Error("the files do not hold the existing serving certificate")
	}
	checkBundleInjected(t, c, b.CACert)
}

func TestManagerReplicasConverge(t *testing.T) {
	c := fake.NewClientBuilder().WithObjects(webhookConfigs()...).Build()
	clk := &clock{t: t0}
	var ms []*Manager
	for range 3 {
		ms = append(ms, newTestManager(t, c, clk))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ms))
	for i, m := range ms {
		wg.Go(func() { errs[i] = m.Sync(context.Background()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	s := getSecret(t, c)
	for i, m := range ms {
		if !bytes.Equal(readFile(t, m.CertPath()), s.Data[CertName]) {
			t.Errorf("replica %d serves a certificate other than the Secret's", i)
		}
	}
	checkBundleInjected(t, c, s.Data[CACertName])
}

// TestManagerCreateConflict: another replica creates the Secret between our
// Get (not found) and our Create; we adopt its certificates.
func TestManagerCreateConflict(t *testing.T) {
	winner, err := Generate(GenerateOptions{ServiceName: testService, Namespace: testNS, Now: fixedNow(t0)})
	if err != nil {
		t.Fatal(err)
	}
	creates := 0
	c := fake.NewClientBuilder().WithObjects(webhookConfigs()...).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if _, ok := obj.(*corev1.Secret); ok {
				creates++
				if creates == 1 {
					other := &corev1.Secret{
						ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: testSecret},
						Type:       corev1.SecretTypeTLS,
						Data:       map[string][]byte{"ca.crt": winner.CACert, "ca.key": winner.CAKey, "tls.crt": winner.Cert, "tls.key": winner.Key},
					}
					if err := c.Create(ctx, other); err != nil {
						return err
					}
				}
			}
			return c.Create(ctx, obj, opts...)
		},
	}).Build()
	m := newTestManager(t, c, &clock{t: t0})
	if err := m.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if creates != 1 {
		t.Errorf("%d Secret creates, want 1 (then adopt)", creates)
	}
	if s := getSecret(t, c); !bytes.Equal(s.Data[CACertName], winner.CACert) {
		t.Error("the winner's CA was replaced")
	}
	if !bytes.Equal(readFile(t, m.CertPath()), winner.Cert) {
		t.Error("the files do not hold the winner's serving certificate")
	}
	checkBundleInjected(t, c, winner.CACert)
}

// TestManagerUpdateConflict: two replicas renew an expiring serving
// certificate at once; the one whose update conflicts adopts the other's.
func TestManagerUpdateConflict(t *testing.T) {
	clk := &clock{t: t0}
	c0 := fake.NewClientBuilder().WithObjects(webhookConfigs()...).Build()
	first := newTestManager(t, c0, clk, func(o *Options) { o.CertValidity = 30 * 24 * time.Hour })
	if err := first.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	orig := getSecret(t, c0)

	// 25 of 30 days later the serving certificate is due for renewal.
	later := t0.Add(25 * 24 * time.Hour)
	clk.Set(later)
	var winnerCert []byte
	var updateErrs []error
	updates := 0
	c := fake.NewClientBuilder().WithObjects(append(webhookConfigs(), orig.DeepCopy())...).WithInterceptorFuncs(interceptor.Funcs{
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if _, ok := obj.(*corev1.Secret); ok {
				updates++
				if updates == 1 {
					// The other replica renews first, with the same CA.
					other := newTestManager(t, c, clk, func(o *Options) { o.CertValidity = 30 * 24 * time.Hour })
					if err := other.Sync(ctx); err != nil {
						return err
					}
					winnerCert = getSecret(t, c).Data[CertName]
				}
			}
			err := c.Update(ctx, obj, opts...)
			updateErrs = append(updateErrs, err)
			return err
		},
	}).Build()
	m := newTestManager(t, c, clk, func(o *Options) { o.CertValidity = 30 * 24 * time.Hour })
	if err := m.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Ours conflicted; after re-reading, the winner's certificate was valid,
	// so there was no second update.
	if len(updateErrs) != 1 || !apierrors.IsConflict(updateErrs[0]) {
		t.Errorf("Secret updates returned %v, want one conflict", updateErrs)
	}
	s := getSecret(t, c)
	if !bytes.Equal(s.Data[CertName], winnerCert) || bytes.Equal(winnerCert, orig.Data[CertName]) {
		t.Error("the Secret does not hold the winner's renewed certificate")
	}
	if !bytes.Equal(s.Data[CACertName], orig.Data[CACertName]) {
		t.Error("renewing the serving certificate changed the CA")
	}
	if !bytes.Equal(readFile(t, m.CertPath()), winnerCert) {
		t.Error("the files do not hold the winner's certificate")
	}
	checkFiles(t, m, s, later)
}

func TestManagerGivesUpOnEndlessConflicts(t *testing.T) {
	c := fake.NewClientBuilder().WithInterceptorFuncs(interceptor.Funcs{
		Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
			return apierrors.NewConflict(schema.GroupResource{Resource: "secrets"}, testSecret, nil)
		},
	}).Build()
	m := newTestManager(t, c, &clock{t: t0})
	err := m.Sync(context.Background())
	if err == nil || !strings.Contains(err.Error(), "gave up after 5 attempts") {
		t.Errorf("Sync: %v, want it to give up", err)
	}
	if m.Ready() {
		t.Error("Ready without files")
	}
	if err := m.ReadyChecker()(nil); err == nil || !strings.Contains(err.Error(), "gave up") {
		t.Errorf("ReadyChecker: %v, want the last error", err)
	}
}

// TestManagerInjectConflict: a webhook configuration changes between our Get
// and Patch; the patch carries the resourceVersion, conflicts, and is redone
// on the new object without losing the other change.
func TestManagerInjectConflict(t *testing.T) {
	patches := 0
	c := fake.NewClientBuilder().WithObjects(webhookConfigs()...).WithInterceptorFuncs(interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			// The manager reads and patches webhook configurations as unstructured objects.
			if obj.GetObjectKind().GroupVersionKind().Kind == "ValidatingWebhookConfiguration" {
				patches++
				if patches == 1 {
					other := &admissionregistrationv1.ValidatingWebhookConfiguration{}
					if err := c.Get(ctx, client.ObjectKeyFromObject(obj), other); err != nil {
						return err
					}
					other.Labels["edited"] = "meanwhile"
					other.Webhooks = other.Webhooks[:1] // someone removed rbac.jobguard.io
					if err := c.Update(ctx, other); err != nil {
						return err
					}
				}
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
	}).Build()
	m := newTestManager(t, c, &clock{t: t0})
	if err := m.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if patches != 2 {
		t.Errorf("%d patches of the ValidatingWebhookConfiguration, want 2 (conflict, retry)", patches)
	}
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: testVWC}, vwc); err != nil {
		t.Fatal(err)
	}
	if vwc.Labels["edited"] != "meanwhile" {
		t.Error("the concurrent edit was lost")
	}
	if len(vwc.Webhooks) != 1 || vwc.Webhooks[0].Name != "jobs.jobguard.io" {
		t.Errorf("webhooks %+v: the removed webhook came back", vwc.Webhooks)
	}
	if !bytes.Equal(vwc.Webhooks[0].ClientConfig.CABundle, getSecret(t, c).Data[CACertName]) {
		t.Error("caBundle not injected")
	}
}

func TestManagerMissingWebhookConfiguration(t *testing.T) {
	c := fake.NewClientBuilder().Build()
	m := newTestManager(t, c, &clock{t: t0})
	err := m.Sync(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ValidatingWebhookConfiguration "+testVWC) ||
		!strings.Contains(err.Error(), "MutatingWebhookConfiguration "+testMWC) {
		t.Errorf("Sync: %v, want errors for both configurations", err)
	}
	// The server can still serve: the files are there.
	if !m.Ready() {
		t.Error("not Ready although the files were written")
	}

	// Without configuration names nothing is patched and nothing fails.
	m = newTestManager(t, c, &clock{t: t0}, func(o *Options) {
		o.ValidatingWebhookConfigurationName, o.MutatingWebhookConfigurationName = "", ""
	})
	if err := m.Sync(context.Background()); err != nil {
		t.Errorf("Sync without webhook configurations: %v", err)
	}
}

func TestManagerRejectsWrongSecretType(t *testing.T) {
	c := fake.NewClientBuilder().WithObjects(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: testSecret},
		Type:       corev1.SecretTypeOpaque,
	}).Build()
	m := newTestManager(t, c, &clock{t: t0})
	if err := m.Sync(context.Background()); err == nil || !strings.Contains(err.Error(), `want "kubernetes.io/tls"`) {
		t.Errorf("Sync: %v, want a Secret type error", err)
	}
}

// TestManagerRenewsServingCert: the serving certificate is renewed once less
// than a third of its validity is left, with the same CA, and the new one
// reaches the files; before that nothing is written.
func TestManagerRenewsServingCert(t *testing.T) {
	c := fake.NewClientBuilder().WithObjects(webhookConfigs()...).Build()
	clk := &clock{t: t0}
	m := newTestManager(t, c, clk, func(o *Options) { o.CertValidity = 90 * 24 * time.Hour })
	ctx := context.Background()
	wake, err := m.sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s1 := getSecret(t, c)
	cert1 := mustParseCert(t, s1.Data[CertName])
	due := cert1.NotAfter.Add(-cert1.NotAfter.Sub(cert1.NotBefore) / 3)
	if !wake.Equal(due) {
		t.Errorf("next check due %v, want the renewal time %v", wake, due)
	}
	if d := due.Sub(t0); d < 59*24*time.Hour || d > 61*24*time.Hour {
		t.Errorf("renewal after %v, want about 60 of 90 days", d)
	}

	clk.Set(due.Add(-time.Second))
	if err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if s := getSecret(t, c); s.ResourceVersion != s1.ResourceVersion {
		t.Error("renewed before a third of the validity was left")
	}

	clk.Set(due)
	if err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	s2 := getSecret(t, c)
	if bytes.Equal(s2.Data[CertName], s1.Data[CertName]) || bytes.Equal(s2.Data[KeyName], s1.Data[KeyName]) {
		t.Fatal("serving certificate and key not renewed")
	}
	if !bytes.Equal(s2.Data[CACertName], s1.Data[CACertName]) || !bytes.Equal(s2.Data[CAKeyName], s1.Data[CAKeyName]) {
		t.Error("renewing the serving certificate changed the CA")
	}
	if cert2 := mustParseCert(t, s2.Data[CertName]); !cert2.NotAfter.Equal(due.Add(90 * 24 * time.Hour)) {
		t.Errorf("renewed NotAfter %v, want %v", cert2.NotAfter, due.Add(90*24*time.Hour))
	}
	checkFiles(t, m, s2, due)
	checkBundleInjected(t, c, s2.Data[CACertName])
}

// TestManagerCARollover walks a CA rollover: the new CA joins the bundle
// while the old serving certificate stays; after the grace period the
// serving certificate switches to the new CA; after another the old CA
// leaves the bundle. At every step the served certificate verifies against
// the injected bundle.
func TestManagerCARollover(t *testing.T) {
	const day = 24 * time.Hour
	c := fake.NewClientBuilder().WithObjects(webhookConfigs()...).Build()
	clk := &clock{t: t0}
	m := newTestManager(t, c, clk, func(o *Options) {
		o.CAValidity, o.CertValidity = 30*day, 30*day
		o.CheckInterval = time.Hour // grace: 2h
	})
	ctx := context.Background()
	step := func(at time.Time) (*corev1.Secret, time.Time) {
		t.Helper()
		clk.Set(at)
		wake, err := m.sync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := getSecret(t, c)
		checkBundleInjected(t, c, s.Data[CACertName])
		checkFiles(t, m, s, at)
		return s, wake
	}

	s0, _ := step(t0)
	ca1 := mustParseCert(t, s0.Data[CACertName])
	rollAt := ca1.NotAfter.Add(-ca1.NotAfter.Sub(ca1.NotBefore) / 3)

	// Just before a third of the CA's validity is left: nothing changes.
	if s, wake := step(rollAt.Add(-time.Minute)); s.ResourceVersion != s0.ResourceVersion {
		t.Fatal("rolled over early")
	} else if !wake.Equal(rollAt) {
		t.Errorf("next check due %v, want the rollover time %v", wake, rollAt)
	}

	// Step 1: new CA first in the bundle, old CA kept, serving cert kept.
	t1 := rollAt
	s1, wake := step(t1)
	cns := bundleCNs(t, s1.Data[CACertName])
	if len(cns) != 2 || cns[1] != ca1.Subject.CommonName || cns[0] == cns[1] {
		t.Fatalf("bundle after step 1 = %q, want [new CA, %s]", cns, ca1.Subject.CommonName)
	}
	bundle1, _, err := parseCerts(s1.Data[CACertName])
	if err != nil {
		t.Fatal(err)
	}
	ca2 := bundle1[0]
	if !bytes.Equal(s1.Data[CertName], s0.Data[CertName]) {
		t.Error("step 1 replaced the serving certificate before the new CA was trusted")
	}
	if s1.Annotations[AnnotationRolloverSince] != t1.Format(time.RFC3339) {
		t.Errorf("rollover annotation %q, want %s", s1.Annotations[AnnotationRolloverSince], t1.Format(time.RFC3339))
	}
	if !wake.Equal(t1.Add(2 * time.Hour)) {
		t.Errorf("next check due %v, want the end of the grace period %v", wake, t1.Add(2*time.Hour))
	}

	// Within the grace period: nothing changes.
	if s, _ := step(t1.Add(2*time.Hour - time.Second)); s.ResourceVersion != s1.ResourceVersion {
		t.Fatal("step 2 before the grace period ended")
	}

	// Step 2: serving certificate signed by the new CA; both CAs in the bundle.
	t2 := t1.Add(2 * time.Hour)
	s2, wake := step(t2)
	srv2 := mustParseCert(t, s2.Data[CertName])
	if err := srv2.CheckSignatureFrom(ca2); err != nil {
		t.Errorf("serving certificate after step 2 not signed by the new CA: %v", err)
	}
	if got := bundleCNs(t, s2.Data[CACertName]); !slices.Equal(got, cns) {
		t.Errorf("bundle after step 2 = %q, want both CAs %q", got, cns)
	}
	if !wake.Equal(t2.Add(2 * time.Hour)) {
		t.Errorf("next check due %v, want %v", wake, t2.Add(2*time.Hour))
	}
	// The old serving certificate, still served by a replica that has not
	// re-read the Secret yet, verifies against the injected bundle too.
	verify(t, s0.Data[CertName], s2.Data[CACertName], t2)

	if s, _ := step(t2.Add(2*time.Hour - time.Second)); s.ResourceVersion != s2.ResourceVersion {
		t.Fatal("old CA dropped before the grace period ended")
	}

	// Step 3: old CA dropped, annotation removed, serving cert unchanged.
	t3 := t2.Add(2 * time.Hour)
	s3, _ := step(t3)
	if got := bundleCNs(t, s3.Data[CACertName]); !slices.Equal(got, cns[:1]) {
		t.Errorf("bundle after step 3 = %q, want only the new CA %q", got, cns[:1])
	}
	if _, ok := s3.Annotations[AnnotationRolloverSince]; ok {
		t.Error("rollover annotation left after the rollover")
	}
	if !bytes.Equal(s3.Data[CertName], s2.Data[CertName]) {
		t.Error("step 3 replaced the serving certificate")
	}

	// Steady again.
	if s, _ := step(t3.Add(time.Hour)); s.ResourceVersion != s3.ResourceVersion {
		t.Error("Secret rewritten after the rollover finished")
	}
}
