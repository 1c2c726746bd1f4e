package webhook_test

// The tests in the envtest_*_test.go files run jobguard against a real kube-apiserver (and etcd)
// started by controller-runtime's envtest, from the binaries in $KUBEBUILDER_ASSETS, which
// hack/envtest-binaries.sh builds and prints (make test sets it). Without it they are skipped.
//
// One API server serves the whole test binary: TestEnvtest starts it, runs every group of
// subtests and stops it (t.Cleanup, so also when a subtest fails or panics; a signal or the
// -timeout alarm stops it too). There is one TestEnvtest, not one TestMain, because the package
// already has a TestMain (webhook_test.go) and Go allows one.
//
//	Webhook       jobguard's webhooks, served by webhook.New + Register on a controller-runtime
//	              webhook server on 127.0.0.1, called by the API server through the webhook
//	              configurations of deploy/base/webhooks.yaml (clientConfig.url, failurePolicy Fail)
//	Differential  (envtest_differential_test.go) every fixture under testdata/, linted by the
//	              engine and submitted to the API server without the webhooks
//	Updates       (envtest_updates_test.go) webhook.updates: objects that violate enforced rules
//	              and existed before jobguard can still be changed; what a change introduces is judged
//	KubectlRBAC   (envtest_rbac_test.go) the Role kubectl.Analyze maps a command to is sufficient
//	              and minimal, asked through SubjectAccessReview
//	BackgroundAudit  (envtest_audit_test.go) two servers' background audits: one leader,
//	              metrics, PolicyReports written, updated and cleaned

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/jobguard/jobguard/config"
	"github.com/jobguard/jobguard/internal/testkit"
	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/webhook"
)

// envtestUnreviewedUser is an administrator (system:masters) whom the webhook configurations'
// matchConditions exclude: what it submits is answered by the API server alone, without
// jobguard. The differential test and the expectations of the webhook tests use it.
const envtestUnreviewedUser = "jobguard-envtest-unreviewed"

// envtestCluster is the API server, jobguard's webhook server, and clients for them.
type envtestCluster struct {
	env *envtest.Environment

	admin      *rest.Config  // system:masters, reviewed by jobguard
	unreviewed *rest.Config  // system:masters, never reviewed (envtestUnreviewedUser)
	c          client.Client // admin, warnings discarded

	server  *webhook.Server // jobguard's handlers; Registry() holds its metrics
	kubectl string          // $KUBEBUILDER_ASSETS/kubectl
	dir     string          // kubeconfig, kubectl's cache

	cancelServer context.CancelFunc
	serverDone   chan error
	stopOnce     sync.Once
}

// TestEnvtest runs the real-API-server tests; see the comment at the top of this file.
func TestEnvtest(t *testing.T) {
	ec := envtestStart(t)
	t.Run("Webhook", func(t *testing.T) { envtestWebhook(t, ec) })
	t.Run("Updates", func(t *testing.T) { envtestUpdates(t, ec) }) // envtest_updates_test.go
	t.Run("Differential", func(t *testing.T) { envtestDifferential(t, ec) })
	t.Run("KubectlRBAC", func(t *testing.T) { envtestKubectlRBAC(t, ec) })
	t.Run("SuggestBinds", func(t *testing.T) { envtestSuggestBinds(t, ec) })
	t.Run("BackgroundAudit", func(t *testing.T) { envtestBackgroundAudit(t, ec) })
	t.Run("AuditNeverDelaysReviews", func(t *testing.T) { envtestAuditNeverDelaysReviews(t, ec) })
}

// envtestStart starts the API server with jobguard's webhook configurations and jobguard's
// webhook server, or skips the test without KUBEBUILDER_ASSETS. Everything is stopped when t
// ends.
func envtestStart(t *testing.T) *envtestCluster {
	t.Helper()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Skip("KUBEBUILDER_ASSETS is not set: run `KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh) go test ./webhook/ -run Envtest` " +
			"(make test does) to test the webhook, the rules and the kubectl RBAC mapping against a real kube-apiserver")
	}
	start := time.Now()

	// The webhook server's port must be known before the configurations are installed, since
	// they name it in clientConfig.url.
	port := envtestFreePort(t)
	validating, mutating := envtestWebhookConfigurations(t, port)

	ec := &envtestCluster{env: &envtest.Environment{
		UseExistingCluster:    ptr.To(false), // never a real cluster, whatever USE_EXISTING_CLUSTER says
		BinaryAssetsDirectory: assets,
		// Generous, for a loaded machine (go test ./... builds and runs packages in parallel).
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			LocalServingHost:   "127.0.0.1",
			LocalServingPort:   port,
			ValidatingWebhooks: []*admissionregistrationv1.ValidatingWebhookConfiguration{validating},
			MutatingWebhooks:   []*admissionregistrationv1.MutatingWebhookConfiguration{mutating},
		},
	}}
	// RBAC is envtest's default too; the SubjectAccessReview tests depend on it.
	ec.env.ControlPlane.GetAPIServer().Configure().Set("authorization-mode", "RBAC")
	t.Cleanup(func() {
		if err := ec.stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	ec.stopOnSignalOrDeadline(t)

	cfg, err := ec.env.Start()
	if err != nil {
		t.Fatalf("starting envtest from KUBEBUILDER_ASSETS=%s: %v", assets, err)
	}
	ec.admin = cfg
	ec.kubectl = ec.env.ControlPlane.KubectlPath
	if ec.c, err = client.New(ec.admin, client.Options{Scheme: scheme.Scheme}); err != nil {
		t.Fatal(err)
	}
	unreviewed, err := ec.env.AddUser(envtest.User{Name: envtestUnreviewedUser, Groups: []string{"system:masters"}}, &rest.Config{QPS: 1000, Burst: 2000})
	if err != nil {
		t.Fatal(err)
	}
	ec.unreviewed = unreviewed.Config()
	if ec.dir, err = os.MkdirTemp("", "jobguard-webhook-envtest-"); err != nil {
		t.Fatal(err)
	}

	// jobguard's handlers on a controller-runtime webhook server, as a Manager would serve them,
	// with the serving certificate envtest made for 127.0.0.1 (the configurations' caBundle).
	ec.server, err = webhook.New(webhook.Options{
		Logger:        slog.New(slog.DiscardHandler),
		AccessChecker: &webhook.SubjectAccessReviewer{Client: ec.c},
		Reader:        envtestCronJobReader(t, ec),
		HealthAddr:    webhook.Disabled,
		MetricsAddr:   webhook.Disabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := ec.env.WebhookInstallOptions
	srv := crwebhook.NewServer(crwebhook.Options{
		Host:    opts.LocalServingHost,
		Port:    opts.LocalServingPort,
		CertDir: opts.LocalServingCertDir,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }},
	})
	ec.server.Register(srv)
	ctx, cancel := context.WithCancel(context.Background())
	ec.cancelServer, ec.serverDone = cancel, make(chan error, 1)
	go func() { ec.serverDone <- srv.Start(ctx) }()
	ec.waitForWebhookServer(t, srv)
	t.Logf("envtest and jobguard's webhook server started in %s (API server %s, webhooks https://127.0.0.1:%d)",
		time.Since(start).Round(time.Millisecond), ec.admin.Host, port)
	return ec
}

// stop stops the webhook server, the API server and etcd; it may be called more than once.
func (ec *envtestCluster) stop() error {
	var err error
	ec.stopOnce.Do(func() {
		if ec.cancelServer != nil {
			ec.cancelServer()
			select {
			case <-ec.serverDone:
			case <-time.After(10 * time.Second):
				err = errors.New("the webhook server did not stop within 10s")
			}
		}
		err = errors.Join(err, ec.env.Stop())
		if ec.dir != "" {
			os.RemoveAll(ec.dir)
		}
	})
	return err
}

// stopOnSignalOrDeadline stops the control plane when the test binary is interrupted or is about
// to hit its -timeout: kube-apiserver and etcd run in process groups of their own, so neither
// the signal nor the binary's exit would end them.
func (ec *envtestCluster) stopOnSignalOrDeadline(t *testing.T) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-signals:
			fmt.Fprintf(os.Stderr, "envtest: %v: stopping kube-apiserver and etcd\n", sig)
			_ = ec.stop()
			os.Exit(1)
		case <-done:
		}
	}()
	var timer *time.Timer
	if deadline, ok := t.Deadline(); ok {
		margin := min(10*time.Second, time.Until(deadline)/3)
		timer = time.AfterFunc(time.Until(deadline)-margin, func() {
			fmt.Fprintf(os.Stderr, "envtest: the test binary's -timeout is %s away: stopping kube-apiserver and etcd\n", margin.Round(time.Second))
			_ = ec.stop()
		})
	}
	t.Cleanup(func() {
		signal.Stop(signals)
		close(done)
		if timer != nil {
			timer.Stop()
		}
	})
}

func (ec *envtestCluster) waitForWebhookServer(t *testing.T, srv crwebhook.Server) {
	t.Helper()
	check := srv.StartedChecker()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check(nil)
		if err == nil {
			return
		}
		select {
		case err := <-ec.serverDone:
			t.Fatalf("the webhook server stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook server is not answering TLS after 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// envtestCronJobReader is the webhook's Reader: a direct client, as serve's, of a user that holds
// only the ClusterRole deploy/base/rbac-access-review.yaml grants jobguard for reading the CronJob
// of a new Job. So the tests of CronJobs' Jobs also show that this RBAC is enough: without it the
// CronJob cannot be read and its Job is judged whole.
func envtestCronJobReader(t *testing.T, ec *envtestCluster) client.Client {
	t.Helper()
	const user = "jobguard-envtest-cronjob-reader"
	u, err := ec.env.AddUser(envtest.User{Name: user}, nil)
	if err != nil {
		t.Fatal(err)
	}
	unreviewed, _ := ec.client(t, ec.unreviewed)
	role := &rbacv1.ClusterRole{}
	for _, d := range envtestReadDocs(t, filepath.Join("..", "deploy", "base", "rbac-access-review.yaml")) {
		if d.Kind() == "ClusterRole" && strings.Contains(string(d.JSON), `"name":"jobguard-cronjob-reader"`) {
			if err := json.Unmarshal(d.JSON, role); err != nil {
				t.Fatal(err)
			}
		}
	}
	if role.Name == "" {
		t.Fatal("deploy/base/rbac-access-review.yaml has no ClusterRole jobguard-cronjob-reader")
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name + "-envtest"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := unreviewed.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	reader, err := client.New(u.Config(), client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return reader
}

func envtestFreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// envtestWebhookConfigurations are the configurations jobguard ships (deploy/base/webhooks.yaml)
// with three changes for the test: clientConfig is the URL of the local webhook server on
// 127.0.0.1 instead of a Service; failurePolicy is Fail, so that a broken server fails the tests
// instead of letting requests through unreviewed; and a matchCondition skips
// envtestUnreviewedUser.
func envtestWebhookConfigurations(t *testing.T, port int) (*admissionregistrationv1.ValidatingWebhookConfiguration, *admissionregistrationv1.MutatingWebhookConfiguration) {
	t.Helper()
	docs := envtestReadDocs(t, filepath.Join("..", "deploy", "base", "webhooks.yaml"))
	var (
		validating *admissionregistrationv1.ValidatingWebhookConfiguration
		mutating   *admissionregistrationv1.MutatingWebhookConfiguration
	)
	for _, d := range docs {
		var err error
		switch d.Kind() {
		case "ValidatingWebhookConfiguration":
			validating = &admissionregistrationv1.ValidatingWebhookConfiguration{}
			err = json.Unmarshal(d.JSON, validating)
		case "MutatingWebhookConfiguration":
			mutating = &admissionregistrationv1.MutatingWebhookConfiguration{}
			err = json.Unmarshal(d.JSON, mutating)
		}
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
	}
	if validating == nil || mutating == nil {
		t.Fatal("deploy/base/webhooks.yaml must hold a ValidatingWebhookConfiguration and a MutatingWebhookConfiguration")
	}
	local := func(name string, cc *admissionregistrationv1.WebhookClientConfig) {
		if cc.Service == nil || cc.Service.Path == nil {
			t.Fatalf("webhook %s: want clientConfig.service with a path in deploy/base/webhooks.yaml", name)
		}
		cc.URL = ptr.To(fmt.Sprintf("https://127.0.0.1:%d%s", port, *cc.Service.Path))
		cc.Service = nil // never a Service: the API server would call its ClusterIP
	}
	unreviewed := []admissionregistrationv1.MatchCondition{{
		Name:       "not-the-unreviewed-test-user",
		Expression: fmt.Sprintf("request.userInfo.username != %q", envtestUnreviewedUser),
	}}
	for i := range validating.Webhooks {
		w := &validating.Webhooks[i]
		local(w.Name, &w.ClientConfig)
		w.FailurePolicy = ptr.To(admissionregistrationv1.Fail)
		w.MatchConditions = append(w.MatchConditions, unreviewed...)
	}
	for i := range mutating.Webhooks {
		w := &mutating.Webhooks[i]
		local(w.Name, &w.ClientConfig)
		w.FailurePolicy = ptr.To(admissionregistrationv1.Fail)
		w.MatchConditions = append(w.MatchConditions, unreviewed...)
	}
	envtestCheckCoverage(t, validating, mutating)
	return validating, mutating
}

// envtestCheckCoverage checks that the configurations send the API server's requests the tests
// rely on: CREATE and UPDATE of batch jobs and cronjobs and of the four RBAC kinds to /validate,
// CREATE of jobs and cronjobs to /mutate, each with sideEffects None and timeoutSeconds 5.
func envtestCheckCoverage(t *testing.T, validating *admissionregistrationv1.ValidatingWebhookConfiguration, mutating *admissionregistrationv1.MutatingWebhookConfiguration) {
	t.Helper()
	covered := map[string]bool{} // "path verb group/resource"
	add := func(name string, cc admissionregistrationv1.WebhookClientConfig, sideEffects *admissionregistrationv1.SideEffectClass, timeout *int32, rules []admissionregistrationv1.RuleWithOperations) {
		if sideEffects == nil || *sideEffects != admissionregistrationv1.SideEffectClassNone || timeout == nil || *timeout != 5 {
			t.Errorf("webhook %s: want sideEffects None and timeoutSeconds 5", name)
		}
		if cc.Service != nil || cc.URL == nil || !strings.HasPrefix(*cc.URL, "https://127.0.0.1:") {
			t.Fatalf("webhook %s: the clientConfig must be a URL on 127.0.0.1", name)
		}
		path := (*cc.URL)[strings.LastIndex(*cc.URL, "/"):]
		for _, r := range rules {
			for _, op := range r.Operations {
				for _, g := range r.APIGroups {
					for _, res := range r.Resources {
						covered[fmt.Sprintf("%s %s %s/%s", path, op, g, res)] = true
					}
				}
			}
		}
	}
	for _, w := range validating.Webhooks {
		add(w.Name, w.ClientConfig, w.SideEffects, w.TimeoutSeconds, w.Rules)
	}
	for _, w := range mutating.Webhooks {
		add(w.Name, w.ClientConfig, w.SideEffects, w.TimeoutSeconds, w.Rules)
	}
	var want []string
	for _, op := range []string{"CREATE", "UPDATE"} {
		for _, res := range []string{"batch/jobs", "batch/cronjobs", "rbac.authorization.k8s.io/roles", "rbac.authorization.k8s.io/clusterroles",
			"rbac.authorization.k8s.io/rolebindings", "rbac.authorization.k8s.io/clusterrolebindings"} {
			want = append(want, webhook.ValidatePath+" "+op+" "+res)
		}
	}
	want = append(want, webhook.MutatePath+" CREATE batch/jobs", webhook.MutatePath+" CREATE batch/cronjobs")
	for _, w := range want {
		if !covered[w] {
			t.Errorf("deploy/base/webhooks.yaml does not send %s", w)
		}
	}
}

// warningLog collects the warnings the API server returns (kubectl prints them as "Warning: ").
type warningLog struct {
	mu   sync.Mutex
	list []string
}

func (l *warningLog) HandleWarningHeader(_ int, _ string, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, text)
}

// take returns the warnings collected since the last call.
func (l *warningLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.list
	l.list = nil
	return out
}

// client returns a client of cfg whose warnings go to the returned log.
func (ec *envtestCluster) client(t *testing.T, cfg *rest.Config) (client.Client, *warningLog) {
	t.Helper()
	cfg = rest.CopyConfig(cfg)
	log := &warningLog{}
	cfg.WarningHandler = log
	c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c, log
}

// namespace creates namespace ns unless it exists.
func (ec *envtestCluster) namespace(t *testing.T, ns string) {
	t.Helper()
	err := ec.c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", ns, err)
	}
}

// envtestDoc is one document of a YAML file.
type envtestDoc struct {
	File  string // relative to the repository root
	Index int    // 0-based, among the file's documents
	JSON  []byte
}

func (d envtestDoc) String() string { return fmt.Sprintf("%s#%d", d.File, d.Index) }

func (d envtestDoc) object(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(d.JSON); err != nil {
		t.Fatalf("%s: %v", d, err)
	}
	return u
}

func (d envtestDoc) Kind() string { return d.typeMeta().Kind }

func (d envtestDoc) APIVersion() string { return d.typeMeta().APIVersion }

func (d envtestDoc) typeMeta() metav1.TypeMeta {
	var tm metav1.TypeMeta
	_ = json.Unmarshal(d.JSON, &tm)
	return tm
}

// envtestReadDocs returns the documents of a YAML file (path relative to this directory),
// empty ones left out and the items of a kind: List spread.
func envtestReadDocs(t *testing.T, path string) []envtestDoc {
	t.Helper()
	docs, err := envtestParseDocs(path)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// envtestParseDocs is envtestReadDocs returning the first document that does not parse as an
// error, with the documents before it.
func envtestParseDocs(path string) ([]envtestDoc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rel := strings.TrimPrefix(filepath.ToSlash(path), "../")
	raw, parseErr := testkit.JSONDocuments(data)
	var docs []envtestDoc
	for _, js := range raw {
		if s := string(bytes.TrimSpace(js)); s == "null" || s == "" {
			continue
		}
		var list struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Items      []json.RawMessage `json:"items"`
		}
		_ = json.Unmarshal(js, &list)
		if list.APIVersion == "v1" && list.Kind == "List" {
			for _, item := range list.Items {
				docs = append(docs, envtestDoc{File: rel, Index: len(docs), JSON: item})
			}
			continue
		}
		docs = append(docs, envtestDoc{File: rel, Index: len(docs), JSON: js})
	}
	if parseErr != nil {
		return docs, fmt.Errorf("%s: %w", rel, parseErr)
	}
	return docs, nil
}

// envtestKnownKinds are the kinds jobguard has rules for (and the webhooks review), by group.
var envtestKnownKinds = map[string]string{
	"Job": "batch", "CronJob": "batch",
	"Role": rbacv1.GroupName, "ClusterRole": rbacv1.GroupName, "RoleBinding": rbacv1.GroupName, "ClusterRoleBinding": rbacv1.GroupName,
}

// envtestReviewed reports whether a document is of a kind jobguard reviews, in any version
// (removed ones included): a Job or CronJob of group batch, or an RBAC object.
func envtestReviewed(d envtestDoc) bool {
	group, ok := envtestKnownKinds[d.Kind()]
	gv, _ := schema.ParseGroupVersion(d.APIVersion())
	return ok && gv.Group == group
}

// envtestValue converts an object to the engine's value type, as the webhook decodes a request.
func envtestValue(t *testing.T, obj any) ast.Object {
	t.Helper()
	js, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ast.ValueFromReader(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return v.(ast.Object)
}

// envtestExpect is what jobguard's webhooks should answer for an object, by the configuration's
// modes: the denial lines ("[rule-id] message (path)") and the warnings ("rule-id: message
// (path)", and "jobguard set <field>=<value> (rule-id)" for each default the mutating webhook
// adds on CREATE).
type envtestExpect struct {
	denials  []string
	warnings []string
}

// expect evaluates obj, as the API server would send it to the webhooks (defaults applied), with
// the webhook server's engine and access checker. On create, the defaults the mutating webhook
// adds are taken into account: their findings become "jobguard set" warnings, and the validating
// webhook does not see them.
func (ec *envtestCluster) expect(t *testing.T, obj *unstructured.Unstructured, create bool) envtestExpect {
	t.Helper()
	p := ec.server.Policy()
	findings, err := p.Engine.Evaluate(context.Background(), envtestValue(t, obj.Object),
		policies.WithAccessChecker(&webhook.SubjectAccessReviewer{Client: ec.c}))
	if err != nil {
		t.Fatal(err)
	}
	var e envtestExpect
	for _, f := range findings {
		if create && p.Config.MutationEnabled() && envtestMutated(obj.GetKind()) && p.Config.ApplyFix(f) {
			e.warnings = append(e.warnings, "jobguard set "+policies.DescribeFix(f)+" ("+f.Rule+")")
			continue
		}
		line := f.Message
		if len(f.Path) > 0 {
			line += " (" + f.Path.String() + ")"
		}
		switch p.Config.ModeFor(f.Rule, f.Severity) {
		case config.ModeEnforce:
			e.denials = append(e.denials, "["+f.Rule+"] "+line)
		case config.ModeWarn:
			e.warnings = append(e.warnings, f.Rule+": "+line)
		}
	}
	return e
}

// envtestMutated reports whether the mutating webhook configuration covers the kind.
func envtestMutated(kind string) bool { return kind == "Job" || kind == "CronJob" }

// envtestDenial returns the lines of jobguard's denial in err, or ok=false when err is not a denial
// by jobguard's validating webhook.
func envtestDenial(err error) (lines []string, ok bool) {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || !apierrors.IsForbidden(err) {
		return nil, false
	}
	m := envtestDenialRE.FindStringSubmatch(status.Status().Message)
	if m == nil {
		return nil, false
	}
	return strings.Split(m[1], "\n"), true
}

var envtestDenialRE = regexp.MustCompile(`(?s)^admission webhook "[a-z.]*validate\.jobguard\.io" denied the request: (.*)$`)

// envtestSameLines compares two lists of lines as multisets.
func envtestSameLines(got, want []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

// envtestWarningsMatch compares warnings as the API server relays them: deduplicated, and, once
// they add up to more than 4096 characters, each cut to 256 characters and the rest dropped
// (k8s.io/apiserver/pkg/endpoints/filters/warning.go).
func envtestWarningsMatch(got, want []string) error {
	want = slices.Compact(slices.Sorted(slices.Values(want)))
	total := 0
	for _, w := range want {
		total += utf8.RuneCountInString(w)
	}
	if total <= 4096 {
		if !envtestSameLines(got, want) {
			return fmt.Errorf("warnings:\n  got  %s\n  want %s", envtestQuote(got), envtestQuote(want))
		}
		return nil
	}
	for _, g := range got {
		if !slices.ContainsFunc(want, func(w string) bool {
			return w == g || (utf8.RuneCountInString(g) == 256 && strings.HasPrefix(w, g))
		}) {
			return fmt.Errorf("warning %q is none of the expected ones (cut to 256 characters, as their total is %d):\n  want %s", g, total, envtestQuote(want))
		}
	}
	if len(got) == 0 || len(got) > len(want) {
		return fmt.Errorf("got %d warnings, want 1 to %d (cut, as their total is %d): %s", len(got), len(want), total, envtestQuote(got))
	}
	return nil
}

func envtestQuote(lines []string) string {
	if len(lines) == 0 {
		return "(none)"
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("\n    " + l)
	}
	return b.String()
}

// envtestWebhook tests jobguard's webhooks through the API server.
func envtestWebhook(t *testing.T, ec *envtestCluster) {
	// Metrics first, alone, so that its counts are exact.
	t.Run("Metrics", func(t *testing.T) { envtestMetrics(t, ec) })
	t.Run("Fixtures", func(t *testing.T) { envtestFixtures(t, ec) })
	t.Run("Kubectl", func(t *testing.T) { envtestKubectlApply(t, ec) })
	// The rest use namespaces of their own and run in parallel.
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *envtestCluster, string)
	}{
		{"Warnings", envtestWarnings},
		{"MutateTTL", envtestMutateTTL},
		{"DryRun", envtestDryRun},
		{"IgnoreAnnotation", envtestIgnoreAnnotation},
		{"UpdateNotMutated", envtestUpdateNotMutated},
		{"RBACInsufficient", envtestRBACInsufficient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := "envtest-" + strings.ToLower(tc.name)
			ec.namespace(t, ns)
			tc.run(t, ec, ns)
		})
	}
}

// envtestCronJob is a valid CronJob with one container; schedule "" means "*/5 * * * *".
func envtestCronJob(ns, name, schedule string) *batchv1.CronJob {
	if schedule == "" {
		schedule = "*/5 * * * *"
	}
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: batchv1.CronJobSpec{
			Schedule:          schedule,
			ConcurrencyPolicy: batchv1.ForbidConcurrent,
			JobTemplate:       batchv1.JobTemplateSpec{Spec: envtestJob(ns, name).Spec},
		},
	}
}

// envtestJob is a valid standalone Job with one container and no ttlSecondsAfterFinished.
func envtestJob(ns, name string) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: batchv1.JobSpec{
			ActiveDeadlineSeconds: ptr.To[int64](600),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "main", Image: "busybox:1.37", Command: []string{"true"}}},
			}},
		},
	}
}

// envtestMetrics: each review the API server sends is counted in jobguard_admission_requests_total
// on the server's registry, by webhook, operation, kind and verdict.
func envtestMetrics(t *testing.T, ec *envtestCluster) {
	ns := "envtest-metrics"
	ec.namespace(t, ns)
	c, _ := ec.client(t, ec.admin)
	ctx := context.Background()

	before := envtestRequests(t, ec)
	// Denied: a schedule that never fires is valid for the API server, an error for jobguard.
	err := c.Create(ctx, envtestCronJob(ns, "never", "0 0 30 2 *"))
	if _, ok := envtestDenial(err); !ok {
		t.Fatalf("CronJob with schedule 0 0 30 2 *: got %v, want jobguard's denial", err)
	}
	// Allowed, with a default added.
	if err := c.Create(ctx, envtestJob(ns, "job")); err != nil {
		t.Fatal(err)
	}
	after := envtestRequests(t, ec)
	for _, want := range []struct {
		labels string
		delta  float64
	}{
		{`webhook="validate",operation="CREATE",kind="CronJob",allowed="false"`, 1},
		{`webhook="mutate",operation="CREATE",kind="CronJob",allowed="true"`, 1},
		{`webhook="validate",operation="CREATE",kind="Job",allowed="true"`, 1},
		{`webhook="mutate",operation="CREATE",kind="Job",allowed="true"`, 1},
	} {
		if got := after[want.labels] - before[want.labels]; got != want.delta {
			t.Errorf("jobguard_admission_requests_total{%s} went up by %v, want %v", want.labels, got, want.delta)
		}
	}
	var sum float64
	for labels, v := range after {
		if strings.Contains(labels, `webhook="validate"`) {
			sum += v - before[labels]
		}
	}
	if sum != 2 {
		t.Errorf(`jobguard_admission_requests_total{webhook="validate"} went up by %v in all, want 2`, sum)
	}
}

// envtestRequests reads jobguard_admission_requests_total from the server's registry, by labels.
func envtestRequests(t *testing.T, ec *envtestCluster) map[string]float64 {
	t.Helper()
	families, err := ec.server.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range families {
		if mf.GetName() != "jobguard_admission_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, name := range []string{"webhook", "operation", "kind", "allowed"} {
				for _, l := range m.GetLabel() {
					if l.GetName() == name {
						labels = append(labels, fmt.Sprintf("%s=%q", name, l.GetValue()))
					}
				}
			}
			out[strings.Join(labels, ",")] = m.GetCounter().GetValue()
		}
	}
	return out
}

// envtestFixtures submits every document of the seeds and of the bad.yaml of each error rule
// and checks the API server's answer against the engine's findings:
//   - an object the API server itself rejects (a validation error, a version no longer served)
//     never reaches the validating webhook: the answer is the API server's own;
//   - an object with findings in enforce mode is denied with jobguard's message, one line per
//     finding, "[rule-id] message (path)", and nothing is created;
//   - any other is created, with each warn-mode finding as a warning and each default the
//     mutating webhook adds as "jobguard set ..." warning.
//
// The expectations are computed from the object as the webhooks receive it: with the API
// server's defaults, which a dry-run as envtestUnreviewedUser shows.
func envtestFixtures(t *testing.T, ec *envtestCluster) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "seeds", "*.yaml"))
	for _, r := range engine.Rules() {
		if r.Severity == policies.SeverityError {
			files = append(files, filepath.Join("..", "testdata", r.ID, "bad.yaml"))
		}
	}
	if len(files) < 5 {
		t.Fatalf("found only %d fixture files", len(files))
	}
	var total envtestCounts
	for i, file := range files {
		t.Run(strings.TrimPrefix(filepath.ToSlash(file), "../testdata/"), func(t *testing.T) {
			n := envtestFixtureFile(t, ec, file, fmt.Sprintf("envtest-fixture-%d", i))
			total.denied += n.denied
			total.rejected += n.rejected
			total.admitted += n.admitted
		})
	}
	t.Logf("in all: %d denied by jobguard, %d rejected by the API server itself, %d admitted", total.denied, total.rejected, total.admitted)
	if total.denied < 5 || total.rejected < 5 || total.admitted < 5 {
		t.Errorf("want at least 5 objects of each kind of answer")
	}
}

type envtestCounts struct{ denied, rejected, admitted int }

// envtestFixtureFile submits the documents of one file (those of reviewed kinds). A namespaced
// object without a namespace goes to ns; the namespaces the file names are created. RBAC objects
// go first, so that the ServiceAccounts of its Jobs have their rights when those are reviewed.
func envtestFixtureFile(t *testing.T, ec *envtestCluster, file, ns string) (n envtestCounts) {
	ctx := context.Background()
	c, warnings := ec.client(t, ec.admin)
	unreviewed, _ := ec.client(t, ec.unreviewed)
	ec.namespace(t, ns)

	var objs []*unstructured.Unstructured
	for _, d := range envtestReadDocs(t, file) {
		if envtestReviewed(d) {
			objs = append(objs, d.object(t))
		}
	}
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int {
		return envtestBoolCmp(envtestMutated(a.GetKind()), envtestMutated(b.GetKind()))
	})
	var created []*unstructured.Unstructured
	t.Cleanup(func() {
		for _, o := range slices.Backward(created) {
			if err := ec.c.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("deleting %s %s: %v", o.GetKind(), o.GetName(), err)
			}
		}
	})

	for _, obj := range objs {
		what := obj.GetKind() + " " + obj.GetName()
		namespaced, err := c.IsObjectNamespaced(obj)
		if apimeta.IsNoMatchError(err) {
			// A removed API version (batch/v1beta1): the API server does not serve it at all.
			t.Logf("%s (%s): not served: %v", what, obj.GetAPIVersion(), err)
			n.rejected++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if namespaced {
			if obj.GetNamespace() == "" {
				obj.SetNamespace(ns)
			}
			if len(validation.IsDNS1123Label(obj.GetNamespace())) == 0 {
				ec.namespace(t, obj.GetNamespace())
			}
		}

		// What the API server makes of it without jobguard.
		view := obj.DeepCopy()
		viewErr := unreviewed.Create(ctx, view, client.DryRunAll)
		if viewErr != nil {
			// Rejected by the API server: jobguard's validating webhook is never called, and the
			// answer is the API server's own.
			err := c.Create(ctx, obj.DeepCopy())
			warnings.take()
			if err == nil || envtestWithoutUIDs(err.Error()) != envtestWithoutUIDs(viewErr.Error()) {
				t.Errorf("%s: the API server alone answers %v; through jobguard's webhooks: %v", what, viewErr, err)
			}
			t.Logf("%s: rejected by the API server: %v", what, err)
			n.rejected++
			continue
		}

		// RBAC changes reach the authorizer a moment after they are written: the findings of
		// rbac-insufficient (asked through SubjectAccessReview) may change meanwhile, so a
		// denial that differs is retried for a few seconds.
		var (
			want    envtestExpect
			got     []string
			ok      bool
			lastErr error
		)
		for attempt := 0; ; attempt++ {
			want = ec.expect(t, view, true)
			toCreate := obj.DeepCopy()
			lastErr = c.Create(ctx, toCreate)
			got, ok = envtestDenial(lastErr)
			if lastErr == nil {
				created = append(created, toCreate)
			}
			if lastErr == nil || !ok || envtestSameLines(got, want.denials) || attempt == 20 {
				break
			}
			warnings.take()
			time.Sleep(250 * time.Millisecond)
		}
		gotWarnings := warnings.take()
		switch {
		case len(want.denials) > 0 && !ok:
			t.Errorf("%s: got %v, want jobguard's denial:%s", what, lastErr, envtestQuote(want.denials))
		case len(want.denials) > 0:
			if !envtestSameLines(got, want.denials) {
				t.Errorf("%s: denied with:%s\nwant:%s", what, envtestQuote(got), envtestQuote(want.denials))
			}
			for _, line := range got {
				if !regexp.MustCompile(`^\[[a-z0-9-]+\] `).MatchString(line) {
					t.Errorf("%s: denial line %q does not start with [rule-id]", what, line)
				}
			}
			n.denied++
		case lastErr != nil:
			t.Errorf("%s: %v; want it created", what, lastErr)
		default:
			n.admitted++
		}
		if err := envtestWarningsMatch(gotWarnings, want.warnings); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	t.Logf("%d denied by jobguard, %d rejected by the API server itself, %d admitted", n.denied, n.rejected, n.admitted)
	return n
}

// envtestWithoutUIDs blanks the uids in an API server's message: each create gets a new one,
// and a Job's selector errors name it.
func envtestWithoutUIDs(s string) string { return envtestUID.ReplaceAllString(s, "<uid>") }

var envtestUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func envtestBoolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// envtestWarnings: warnings arrive as warnings, through the client's rest.WarningHandler, and the
// object is created.
func envtestWarnings(t *testing.T, ec *envtestCluster, ns string) {
	c, warnings := ec.client(t, ec.admin)
	cj := envtestCronJob(ns, "latest", "")
	cj.Spec.StartingDeadlineSeconds = ptr.To[int64](300)
	spec := &cj.Spec.JobTemplate.Spec.Template.Spec
	// image-latest-tag, and job-containers-run-concurrently:
	spec.Containers[0].Image = "busybox:latest"
	spec.Containers = append(spec.Containers, corev1.Container{Name: "second", Image: "busybox:1.37"})
	if err := c.Create(context.Background(), cj); err != nil {
		t.Fatal(err)
	}
	got := warnings.take()
	want := []string{
		`image-latest-tag: image "busybox:latest" uses the latest tag, which can change between runs (spec.jobTemplate.spec.template.spec.containers[0].image)`,
		`job-containers-run-concurrently: 2 containers ("main", "second") start together and run at the same time, not in the order written (spec.jobTemplate.spec.template.spec.containers)`,
	}
	if !envtestSameLines(got, want) {
		t.Errorf("warnings:%s\nwant:%s", envtestQuote(got), envtestQuote(want))
	}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(cj), &batchv1.CronJob{}); err != nil {
		t.Errorf("the CronJob was not created: %v", err)
	}
}

// envtestMutateTTL: a standalone Job gets spec.ttlSecondsAfterFinished=86400 and a warning that
// says so; a Job a CronJob owns does not.
func envtestMutateTTL(t *testing.T, ec *envtestCluster, ns string) {
	ctx := context.Background()
	c, warnings := ec.client(t, ec.admin)

	job := envtestJob(ns, "standalone")
	if err := c.Create(ctx, job); err != nil {
		t.Fatal(err)
	}
	got := warnings.take()
	if !slices.Contains(got, "jobguard set spec.ttlSecondsAfterFinished=86400 (job-missing-ttl)") {
		t.Errorf("no warning about the TTL default in:%s", envtestQuote(got))
	}
	stored := &batchv1.Job{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(job), stored); err != nil {
		t.Fatal(err)
	}
	if ttl := stored.Spec.TTLSecondsAfterFinished; ttl == nil || *ttl != 86400 {
		t.Errorf("stored standalone Job: spec.ttlSecondsAfterFinished = %v, want 86400", envtestDeref(ttl))
	}

	owner := envtestCronJob(ns, "owner", "")
	owner.Spec.StartingDeadlineSeconds = ptr.To[int64](300)
	if err := c.Create(ctx, owner); err != nil {
		t.Fatal(err)
	}
	warnings.take()
	owned := envtestJob(ns, "owner-29000000")
	owned.OwnerReferences = []metav1.OwnerReference{{
		APIVersion: "batch/v1", Kind: "CronJob", Name: owner.Name, UID: owner.UID,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}}
	if err := c.Create(ctx, owned); err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings.take() {
		if strings.HasPrefix(w, "jobguard set") || strings.HasPrefix(w, "job-missing-ttl") {
			t.Errorf("owned Job: unexpected warning %q", w)
		}
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(owned), stored); err != nil {
		t.Fatal(err)
	}
	if ttl := stored.Spec.TTLSecondsAfterFinished; ttl != nil {
		t.Errorf("stored owned Job: spec.ttlSecondsAfterFinished = %d, want it absent", *ttl)
	}
}

func envtestDeref[T any](p *T) any {
	if p == nil {
		return "absent"
	}
	return *p
}

// envtestDryRun: a server-side dry run is reviewed like a real request (the same denial, the same
// warnings and defaults) and creates nothing.
func envtestDryRun(t *testing.T, ec *envtestCluster, ns string) {
	ctx := context.Background()
	c, warnings := ec.client(t, ec.admin)

	// Denied: the same message.
	dry := c.Create(ctx, envtestCronJob(ns, "never", "0 0 30 2 *"), client.DryRunAll)
	dryWarnings := warnings.take()
	real := c.Create(ctx, envtestCronJob(ns, "never", "0 0 30 2 *"))
	realWarnings := warnings.take()
	lines, ok := envtestDenial(dry)
	if !ok || !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "[cron-schedule-never-runs] ") }) {
		t.Errorf("dry run: got %v, want a denial by cron-schedule-never-runs", dry)
	}
	if real == nil || dry == nil || real.Error() != dry.Error() {
		t.Errorf("denials differ:\n  dry run: %v\n  real:    %v", dry, real)
	}
	if !envtestSameLines(dryWarnings, realWarnings) {
		t.Errorf("warnings of the denied request differ:\n  dry run:%s\n  real:%s", envtestQuote(dryWarnings), envtestQuote(realWarnings))
	}

	// Admitted: the same warnings and defaults, and nothing stored.
	job := envtestJob(ns, "job")
	job.Spec.Template.Spec.Containers[0].Image = "busybox" // image-latest-tag
	if err := c.Create(ctx, job, client.DryRunAll); err != nil {
		t.Fatal(err)
	}
	dryWarnings = warnings.take()
	if ttl := job.Spec.TTLSecondsAfterFinished; ttl == nil || *ttl != 86400 {
		t.Errorf("dry-run Job as returned: spec.ttlSecondsAfterFinished = %v, want 86400", envtestDeref(ttl))
	}
	err := c.Get(ctx, client.ObjectKeyFromObject(job), &batchv1.Job{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("after the dry run, getting the Job: %v, want NotFound", err)
	}
	job = envtestJob(ns, "job")
	job.Spec.Template.Spec.Containers[0].Image = "busybox"
	if err := c.Create(ctx, job); err != nil {
		t.Fatal(err)
	}
	realWarnings = warnings.take()
	if !envtestSameLines(dryWarnings, realWarnings) || len(realWarnings) < 2 {
		t.Errorf("warnings differ:\n  dry run:%s\n  real:%s", envtestQuote(dryWarnings), envtestQuote(realWarnings))
	}
}

// envtestIgnoreAnnotation: the jobguard.io/ignore annotation lets an otherwise denied object in.
func envtestIgnoreAnnotation(t *testing.T, ec *envtestCluster, ns string) {
	ctx := context.Background()
	c, _ := ec.client(t, ec.admin)
	if _, ok := envtestDenial(c.Create(ctx, envtestCronJob(ns, "never", "0 0 30 2 *"))); !ok {
		t.Fatal("without the annotation, want a denial")
	}
	cj := envtestCronJob(ns, "never", "0 0 30 2 *")
	cj.Annotations = map[string]string{policies.IgnoreAnnotation: "cron-schedule-never-runs"}
	if err := c.Create(ctx, cj); err != nil {
		t.Fatalf("with %s: cron-schedule-never-runs: %v", policies.IgnoreAnnotation, err)
	}
}

// envtestUpdateNotMutated: the mutating webhook changes new objects only; an UPDATE that removes
// a field jobguard would default keeps it removed.
func envtestUpdateNotMutated(t *testing.T, ec *envtestCluster, ns string) {
	ctx := context.Background()
	c, warnings := ec.client(t, ec.admin)

	// A Job created with a TTL, then updated (a label; a Job's pod template is immutable) with
	// the TTL removed.
	job := envtestJob(ns, "job")
	job.Spec.TTLSecondsAfterFinished = ptr.To[int32](600)
	if err := c.Create(ctx, job); err != nil {
		t.Fatal(err)
	}
	if got := warnings.take(); slices.ContainsFunc(got, func(w string) bool { return strings.HasPrefix(w, "jobguard set") }) {
		t.Errorf("create of a Job with a TTL: unexpected default in:%s", envtestQuote(got))
	}
	job.Labels = map[string]string{"team": "jobs"}
	job.Spec.TTLSecondsAfterFinished = nil
	if err := c.Update(ctx, job); err != nil {
		t.Fatal(err)
	}
	got := warnings.take()
	if slices.ContainsFunc(got, func(w string) bool { return strings.HasPrefix(w, "jobguard set") }) {
		t.Errorf("update: unexpected default in:%s", envtestQuote(got))
	}
	// The validating webhook reviews UPDATEs: the finding is now a warning.
	if !slices.ContainsFunc(got, func(w string) bool { return strings.HasPrefix(w, "job-missing-ttl: ") }) {
		t.Errorf("update: no job-missing-ttl warning in:%s", envtestQuote(got))
	}
	stored := &batchv1.Job{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(job), stored); err != nil {
		t.Fatal(err)
	}
	if stored.Labels["team"] != "jobs" || stored.Spec.TTLSecondsAfterFinished != nil {
		t.Errorf("stored Job after the update: labels %v, ttlSecondsAfterFinished %v; want team=jobs and no TTL",
			stored.Labels, envtestDeref(stored.Spec.TTLSecondsAfterFinished))
	}
}

// envtestRBACInsufficient: rbac-insufficient asks the API server, through SubjectAccessReview,
// whether a CronJob's ServiceAccount may make its kubectl command's requests, against the real
// Roles and bindings.
func envtestRBACInsufficient(t *testing.T, ec *envtestCluster, ns string) {
	ctx := context.Background()
	c, _ := ec.client(t, ec.admin)

	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "scaler"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get"}}},
	}
	for _, o := range []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "scaler"}},
		role,
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "scaler"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "scaler"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "scaler", Namespace: ns}},
		},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	cronJob := func() *batchv1.CronJob {
		cj := envtestCronJob(ns, "scale-down", "0 22 * * *")
		cj.Spec.StartingDeadlineSeconds = ptr.To[int64](300)
		spec := &cj.Spec.JobTemplate.Spec.Template.Spec
		spec.ServiceAccountName = "scaler"
		spec.Containers[0].Image = "registry.k8s.io/kubectl:v1.36.3"
		spec.Containers[0].Command = []string{"sh", "-c", "kubectl scale deployment web -n " + ns + " --replicas=0"}
		return cj
	}
	want := "needs patch on deployments/scale (group apps) \"web\", which ServiceAccount " + ns + "/scaler lacks"
	var err error
	envtestEventually(t, 10*time.Second, func() error {
		err = c.Create(ctx, cronJob(), client.DryRunAll)
		lines, ok := envtestDenial(err)
		if !ok || !slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "[rbac-insufficient] ") && strings.Contains(l, want)
		}) {
			return fmt.Errorf("got %v; want a denial by rbac-insufficient saying it %s", err, want)
		}
		return nil
	})
	t.Logf("denied: %v", err)
	// The Role grants get on deployments: that request is not reported.
	lines, _ := envtestDenial(err)
	for _, l := range lines {
		if strings.Contains(l, "needs get on deployments") {
			t.Errorf("reported though the Role grants it: %s", l)
		}
	}

	role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, Verbs: []string{"patch"}})
	if err := c.Update(ctx, role); err != nil {
		t.Fatal(err)
	}
	envtestEventually(t, 10*time.Second, func() error { return c.Create(ctx, cronJob()) })
}

// envtestEventually retries f until it returns nil, for RBAC changes to reach the authorizer.
func envtestEventually(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// envtestKubectlApply runs the real kubectl on a seed, as a user would, and checks that what it
// prints is jobguard's denial and jobguard's warnings.
func envtestKubectlApply(t *testing.T, ec *envtestCluster) {
	ns := "envtest-kubectl"
	ec.namespace(t, ns)
	user, err := ec.env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(ec.dir, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = ec.c.Delete(context.Background(), &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "restart-role"}})
	})
	cmd := exec.Command(ec.kubectl, "--kubeconfig", path, "--cache-dir", filepath.Join(ec.dir, "cache"),
		"apply", "-n", ns, "-f", "testdata/seeds/000-restart-cronjob.yaml")
	cmd.Dir = ".." // the repository's root, as a user would run it
	cmd.Env = append(os.Environ(), "HOME="+ec.dir, "KUBECONFIG="+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	t.Logf("kubectl apply -n %s -f testdata/seeds/000-restart-cronjob.yaml: %v\nstdout:\n%s\nstderr:\n%s", ns, err, stdout.String(), stderr.String())
	if err == nil {
		t.Fatal("kubectl apply succeeded; want it to fail on the denied objects")
	}

	// What kubectl v1.36.3 prints (the API server's port and the namespace vary; long lines are
	// cut here at "…"):
	//
	//	$ kubectl apply -n envtest-kubectl -f testdata/seeds/000-restart-cronjob.yaml
	//	clusterrole.rbac.authorization.k8s.io/restart-role created                        (stdout)
	//	Warning: image-latest-tag: image "bitnami/kubectl:latest" uses the latest tag, which can change between runs (spec.jobTemplate.spec.template.spec.containers[0].image)
	//	Warning: image-latest-tag: image "bitnami/kubectl:latest" uses the latest tag, … (spec.jobTemplate.spec.template.spec.containers[1].image)
	//	Warning: image-latest-tag: image "bitnami/kubectl:latest" uses the latest tag, … (spec.jobTemplate.spec.template.spec.containers[2].image)
	//	Warning: job-containers-run-concurrently: 3 containers ("scale-down-service", "redis-flush-all", "scale-up-service") start together and run at the same time, not in the order written (spec.jobTemplate.spec.template.spec.containers)
	//	Warning: rbac-pods-exec: grants create on pods/exec: it lets the subject exec into every pod in every namespace once a ClusterRoleBinding binds this ClusterRole (rules[3].resources[0])
	//	Warning: rbac-scale-grant: grants patch on deployments/scale: it can scale all deployments in every namespace once a ClusterRoleBinding binds this ClusterRole (…) (rules[1].resources[0])
	//	Warning: rbac-unknown-verb: verb "exec" on pods grants nothing (never checked there); exec is create on pods/exec: grant create on pods/exec, and get on pods, … (rules[2].verbs[2])
	//	Warning: rbac-default-serviceaccount: binds ClusterRole restart-role to the default ServiceAccount of namespace exampleNamespace: … (subjects[0].name)
	//	Error from server (Forbidden): error when creating "testdata/seeds/000-restart-cronjob.yaml": admission webhook "batch.validate.jobguard.io" denied the request: [rbac-insufficient] `kubectl exec example-redis -n redis -- redis-cli flushall` needs
	//	[rbac-insufficient] `kubectl exec example-redis -n redis -- redis-cli flushall` needs get on pods and create on pods/exec "example-redis", which ServiceAccount envtest-kubectl/default lacks; grant them … (spec.jobTemplate.spec.template.spec.containers[1].command[2])
	//	[rbac-insufficient] `kubectl scale deployment aggregator-worker -n orakl --replicas=1` needs get on deployments and patch on deployments/scale (group apps) "aggregator-worker", … (spec.jobTemplate.spec.template.spec.containers[2].command[2])
	//	[rbac-insufficient] `kubectl scale deployment example-deployment -n example-namespace --replicas=0` needs get on deployments and patch on deployments/scale (group apps) "example-deployment", which ServiceAccount envtest-kubectl/default lacks; grant them in namespace "example-namespace": {apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"], resourceNames: ["example-deployment"]}; {apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["patch"], resourceNames: ["example-deployment"]} (spec.jobTemplate.spec.template.spec.containers[0].command[2])
	//	Error from server (Forbidden): error when creating "testdata/seeds/000-restart-cronjob.yaml": admission webhook "rbac.validate.jobguard.io" denied the request: [rbac-invalid-subject] namespace "exampleNamespace" is not a valid namespace name (a lowercase RFC 1123 label must consist of …): the API server accepts the binding, but no namespace can have this name, so this subject never matches a ServiceAccount (subjects[0].namespace)
	//
	// kubectl prints the warnings of all three objects first (the ClusterRole is created, with
	// warnings), then the denials of the CronJob and the ClusterRoleBinding; the CronJob's
	// cron-concurrency-unset finding of `jobguard lint` is missing: the API server has defaulted
	// concurrencyPolicy to Allow before the webhooks see the object (see the differential test).
	denied := `Error from server (Forbidden): error when creating "testdata/seeds/000-restart-cronjob.yaml": admission webhook "batch.validate.jobguard.io" denied the request: [rbac-insufficient] `
	for _, want := range []string{
		denied,
		"\n[rbac-insufficient] `kubectl scale deployment example-deployment -n example-namespace --replicas=0` needs get on deployments and patch on deployments/scale (group apps) \"example-deployment\", which ServiceAccount " + ns + "/default lacks",
		"[rbac-insufficient] `kubectl exec example-redis -n redis -- redis-cli flushall` needs get on pods and create on pods/exec \"example-redis\", which ServiceAccount " + ns + "/default lacks",
		`admission webhook "rbac.validate.jobguard.io" denied the request: [rbac-invalid-subject] namespace "exampleNamespace" is not a valid namespace name`,
		"\nWarning: image-latest-tag: image \"bitnami/kubectl:latest\" uses the latest tag",
		"\nWarning: rbac-pods-exec: grants create on pods/exec",
		"\nWarning: rbac-default-serviceaccount: binds ClusterRole restart-role to the default ServiceAccount of namespace exampleNamespace",
	} {
		if !strings.Contains("\n"+stderr.String(), want) {
			t.Errorf("kubectl's stderr lacks %q", want)
		}
	}
	// cron-missing-deadline's default is opt-in, and this configuration does not opt in.
	if strings.Contains(stderr.String(), "jobguard set spec.startingDeadlineSeconds") {
		t.Errorf("kubectl's stderr: the opt-in startingDeadlineSeconds default was applied")
	}
	// Each of kubectl's lines is a warning, a denial, or a line of a denial's message.
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !strings.HasPrefix(line, "Warning: ") && !strings.HasPrefix(line, "Error from server (Forbidden): ") && !strings.HasPrefix(line, "[") {
			t.Errorf("kubectl's stderr: unexpected line %q", line)
		}
	}
	if !strings.Contains(stdout.String(), "clusterrole.rbac.authorization.k8s.io/restart-role created") {
		t.Errorf("kubectl's stdout lacks the ClusterRole created")
	}
}
