package kubectl_test

// TestEnvtest checks the request mapping against a real kube-apiserver with
// RBAC authorization, running the real kubectl as a ServiceAccount granted
// exactly the rules the mapping gives; the API server's audit log tells
// which requests kubectl made and which RBAC refused. The cases are in
// envtest_cases_test.go.
//
// The binaries (kube-apiserver, etcd and a kubectl of the release the
// mapping models) come from KUBEBUILDER_ASSETS, which
// hack/envtest-binaries.sh builds and prints; `make test` sets it. Without
// it the test is skipped.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/jobguard/jobguard/policies/kubectl"
)

// envtestKubectlVersion is the release of the kubectl and kube-apiserver in
// KUBEBUILDER_ASSETS; the mapping is checked for that kubectl against that
// API server (envtestVersions). envtest_versions_test.go adds an older kubectl.
const envtestKubectlVersion = "v1.36."

var envtestVersions = kubectl.Versions{Kubectl: kubectl.Version{Major: 1, Minor: 36}, Cluster: kubectl.Version{Major: 1, Minor: 36}}

// envCluster is the API server every case of the test binary shares.
type envCluster struct {
	env      *envtest.Environment
	c        client.Client // the envtest admin
	kubectl  string        // path of the kubectl binary
	runner   *rest.Config  // the user kubectl authenticates as, then impersonates
	http     *http.Client  // as runner
	audit    *auditLog
	dir      string // audit policy, kubeconfigs, kubectl's HOME and discovery cache
	cacheDir string
	// metricsErr tells why metrics.k8s.io (kubectl top) is not served.
	metricsErr error
}

// runnerUser is the user kubectl authenticates as before impersonating a
// ServiceAccount: the audit policy logs only its requests.
const runnerUser = "jobguard-kubectl"

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  users: [` + runnerUser + `]
- level: None
`

var (
	clusterOnce sync.Once
	cluster     *envCluster
	clusterErr  error
)

// TestMain stops the API server and etcd that the first envtest case
// started, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if cluster != nil {
		if err := cluster.env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
			code = max(code, 1)
		}
		os.RemoveAll(cluster.dir)
	}
	os.Exit(code)
}

// startCluster returns the shared API server, starting it on first use, or
// skips the test when KUBEBUILDER_ASSETS is not set.
func startCluster(t *testing.T) *envCluster {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("KUBEBUILDER_ASSETS is not set: run `KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh) go test ./policies/kubectl/` " +
			"(make test does) to check the request mapping against a real kube-apiserver")
	}
	clusterOnce.Do(func() { cluster, clusterErr = newCluster() })
	if clusterErr != nil {
		t.Fatal(clusterErr)
	}
	return cluster
}

func newCluster() (ec *envCluster, err error) {
	logf.SetLogger(logr.Discard()) // controller-runtime's own logs
	ec = &envCluster{audit: &auditLog{byUser: map[string][]auditEvent{}, markers: map[string]chan struct{}{}}}
	if ec.dir, err = os.MkdirTemp("", "jobguard-envtest-"); err != nil {
		return nil, err
	}
	ec.cacheDir = filepath.Join(ec.dir, "cache")
	ec.env = &envtest.Environment{
		UseExistingCluster:    ptr.To(false),
		BinaryAssetsDirectory: os.Getenv("KUBEBUILDER_ASSETS"),
	}
	defer func() {
		if err != nil {
			_ = ec.env.Stop()
			os.RemoveAll(ec.dir)
		}
	}()
	policy := filepath.Join(ec.dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return nil, err
	}
	api := ec.env.ControlPlane.GetAPIServer()
	// envtest defaults to RBAC too; say so, since the test depends on it.
	api.Configure().
		Set("authorization-mode", "RBAC").
		Set("audit-policy-file", policy).
		Set("audit-log-path", "-"). // to Out, in blocking mode
		Set("audit-log-format", "json").
		Set("enable-aggregator-routing", "true") // see startMetricsAPI
	api.Out = ec.audit
	cfg, err := ec.env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest from KUBEBUILDER_ASSETS=%s: %w", os.Getenv("KUBEBUILDER_ASSETS"), err)
	}
	if mode := api.Configure().Get("authorization-mode").Get(nil); !slices.Equal(mode, []string{"RBAC"}) {
		return nil, fmt.Errorf("kube-apiserver --authorization-mode=%s, want RBAC", strings.Join(mode, ","))
	}
	if ec.c, err = client.New(cfg, client.Options{Scheme: scheme.Scheme}); err != nil {
		return nil, err
	}
	runner, err := ec.env.AddUser(envtest.User{Name: runnerUser, Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		return nil, err
	}
	ec.runner = runner.Config()
	if ec.http, err = rest.HTTPClientFor(ec.runner); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ec.metricsErr = ec.startMetricsAPI(ctx)
	ec.kubectl = ec.env.ControlPlane.KubectlPath
	out, err := exec.Command(ec.kubectl, "version", "--client").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s version: %v: %s", ec.kubectl, err, out)
	}
	if !strings.Contains(string(out), "Client Version: "+envtestKubectlVersion) {
		return nil, fmt.Errorf("%s is not kubectl %sx, the release the mapping models:\n%s", ec.kubectl, envtestKubectlVersion, out)
	}
	return ec, nil
}

// auditLog collects the API server's audit events (written to its
// stdout) by impersonated user.
type auditLog struct {
	mu      sync.Mutex
	partial []byte
	byUser  map[string][]auditEvent
	err     error
	marker  int
	markers map[string]chan struct{} // by marker, until seen
}

// markerPath is the URL of the requests that flush the audit log.
const markerPath = "/version?envtest-marker="

// auditEvent is the part of an audit.k8s.io/v1 Event the test reads.
type auditEvent struct {
	AuditID          string `json:"auditID"`
	Stage            string `json:"stage"`
	Verb             string `json:"verb"`
	RequestURI       string `json:"requestURI"`
	ImpersonatedUser *struct {
		Username string `json:"username"`
	} `json:"impersonatedUser"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		APIGroup    string `json:"apiGroup"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"responseStatus"`
	RequestReceived time.Time         `json:"requestReceivedTimestamp"`
	Annotations     map[string]string `json:"annotations"`
}

func (a *auditLog) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.partial = append(a.partial, p...)
	for {
		i := bytes.IndexByte(a.partial, '\n')
		if i < 0 {
			break
		}
		line := a.partial[:i]
		a.partial = a.partial[i+1:]
		if !bytes.HasPrefix(line, []byte("{")) {
			continue // not an audit event
		}
		var ev auditEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			if a.err == nil {
				a.err = fmt.Errorf("audit log line %q: %w", line, err)
			}
			continue
		}
		if id, ok := strings.CutPrefix(ev.RequestURI, markerPath); ok {
			if seen, ok := a.markers[id]; ok {
				close(seen)
				delete(a.markers, id)
			}
			continue
		}
		if ev.ImpersonatedUser == nil || ev.ObjectRef == nil {
			continue // discovery
		}
		user := ev.ImpersonatedUser.Username
		// A watch is logged when it starts and when it ends: keep one.
		if !slices.ContainsFunc(a.byUser[user], func(e auditEvent) bool { return e.AuditID == ev.AuditID }) {
			a.byUser[user] = append(a.byUser[user], ev)
		}
	}
	return len(p), nil
}

// flush waits until every request the runner has been answered is in the
// log: it sends a marker request, whose event the API server writes after
// theirs to the same pipe.
func (a *auditLog) flush(ctx context.Context, ec *envCluster) error {
	a.mu.Lock()
	a.marker++
	id := strconv.Itoa(a.marker)
	seen := make(chan struct{})
	a.markers[id] = seen
	a.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(ec.runner.Host, "/")+markerPath+id, nil)
	if err != nil {
		return err
	}
	resp, err := ec.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	select {
	case <-seen:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(20 * time.Second):
		return errors.New("the audit log did not show the marker request")
	}
}

// since returns the requests user made since start.
func (a *auditLog) since(ctx context.Context, ec *envCluster, user string, start time.Time) ([]auditEvent, error) {
	if err := a.flush(ctx, ec); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return nil, a.err
	}
	var evs []auditEvent
	for _, ev := range a.byUser[user] {
		if !ev.RequestReceived.Before(start) {
			evs = append(evs, ev)
		}
	}
	return evs, nil
}

// denied reports whether the API server refused the request: RBAC said no,
// or a later check did (the escalation check of RBAC objects, the create
// check of a WebSocket exec).
func (ev auditEvent) denied() bool {
	return ev.Annotations["authorization.k8s.io/decision"] == "forbid" ||
		ev.ResponseStatus != nil && ev.ResponseStatus.Code == 403
}

func (ev auditEvent) String() string {
	o := ev.ObjectRef
	s := ev.Verb + " " + o.Resource
	if o.APIGroup != "" {
		s += "." + o.APIGroup
	}
	if o.Subresource != "" {
		s += "/" + o.Subresource
	}
	if o.Name != "" {
		s += fmt.Sprintf(" %q", o.Name)
	}
	if o.Namespace != "" {
		s += fmt.Sprintf(" in namespace %q", o.Namespace)
	}
	if ev.ResponseStatus != nil {
		s += fmt.Sprintf(" -> %d", ev.ResponseStatus.Code)
		if ev.denied() && ev.ResponseStatus.Message != "" {
			s += ": " + ev.ResponseStatus.Message
		}
	}
	return s
}

// request is the audited request as the mapping writes one, for its ResourcePath and comparisons.
func (ev auditEvent) request() kubectl.Request {
	o := ev.ObjectRef
	return kubectl.Request{Verb: ev.Verb, Group: o.APIGroup, Resource: o.Resource, Subresource: o.Subresource, Name: o.Name, Namespace: o.Namespace}
}

// covers reports whether the RBAC rule for req allows the audited request.
func covers(req kubectl.Request, ev auditEvent) bool {
	o := ev.ObjectRef
	return ev.Verb == req.Verb && o.APIGroup == req.Group && o.Resource == req.Resource && o.Subresource == req.Subresource &&
		(req.Name == "" || o.Name == req.Name) && (req.AllNamespaces || o.Namespace == req.Namespace)
}

// kubeconfig writes a kubeconfig for the runner (system:masters, so that it
// may impersonate) whose context namespace is namespace, as a pod's is its
// own.
func (ec *envCluster) kubeconfig(namespace string) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: ec.runner.Host, CertificateAuthorityData: ec.runner.CAData}
	cfg.AuthInfos[runnerUser] = &clientcmdapi.AuthInfo{ClientCertificateData: ec.runner.CertData, ClientKeyData: ec.runner.KeyData}
	cfg.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: runnerUser, Namespace: namespace}
	cfg.CurrentContext = "envtest"
	path := filepath.Join(ec.dir, "kubeconfig-"+namespace)
	return path, clientcmd.WriteToFile(*cfg, path)
}

// envCase is one kubectl command line to check.
type envCase struct {
	// cmd is kubectl's command line as a Job would write it in sh -c.
	cmd string
	// objects are created, as admin, before each run of the command, after
	// deleting any left from the previous run. A namespaced object without
	// a namespace goes to the pod's namespace. A controller owner
	// reference without a UID points to an object created before it.
	objects []client.Object
	// created are objects the command creates: they are deleted before
	// each run.
	created []client.Object
	// fails, when set, is text in kubectl's output telling why the command
	// fails after it got past authorization, e.g. because no kubelet runs
	// the pod. Otherwise kubectl must succeed.
	fails string
	// runFor is how long a command that does not end by itself (a watch)
	// runs before it is stopped.
	runFor time.Duration
	// unneeded maps required requests (Request.String, with $NS for the
	// pod's namespace) that this run of the command does not make, to the
	// reason: without their rule kubectl must not be refused anything.
	unneeded map[string]string
	// tolerated maps required requests (as in unneeded) that kubectl makes
	// and is refused without their rule, but still gets as far as with
	// every rule, to the reason. Without such a reason, kubectl must stop
	// short (fail otherwise, or hang) without any one rule.
	tolerated map[string]string
	// escalation, when set, tells why the mapped rules are not enough:
	// RBAC's escalation check refuses to write a role or binding that
	// grants what the writer does not hold. The test checks that this is
	// the only refusal, then runs the command with the permissions of held
	// (requests, with $NS for the pod's namespace) granted too.
	escalation string
	held       []kubectl.Request
	// metricsAPI says the command reads metrics.k8s.io: it is skipped when
	// the fake metrics API cannot be served.
	metricsAPI bool
	// skip tells why the command is not run.
	skip string
}

// TestEnvtest checks each command of envtestCases: with exactly the
// required (non-optional) rules the mapping gives, the API server refuses
// kubectl nothing but optional requests and kubectl gets as far as the
// case says; with the optional rules too, it refuses nothing; without any
// one required rule, it refuses kubectl that request. The audit log tells
// which requests kubectl made and which were refused.
func TestEnvtest(t *testing.T) {
	ec := startCluster(t)
	ctx := t.Context()

	// Warm kubectl's discovery cache once, so that parallel runs share it
	// instead of each discovering the API.
	kc, err := ec.kubeconfig("default")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(ctx, ec.kubectl, "--kubeconfig="+kc, "--cache-dir="+ec.cacheDir, "api-resources").CombinedOutput(); err != nil {
		t.Fatalf("kubectl api-resources: %v\n%s", err, out)
	}

	checkDisjoint(t, ec)
	for i, tc := range envtestCases {
		t.Run(tc.cmd, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			if tc.metricsAPI && ec.metricsErr != nil {
				t.Skipf("cannot serve metrics.k8s.io for kubectl top: %v", ec.metricsErr)
			}
			t.Parallel()
			(&envRun{ec: ec, tc: tc, ns: fmt.Sprintf("envtest-%02d", i)}).check(t)
		})
	}
}

// checkDisjoint fails when two cases share a namespace other than their
// own (but kube-system, which they only read), or a cluster-scoped object:
// they run in parallel.
func checkDisjoint(t *testing.T, ec *envCluster) {
	owner := map[string]string{}
	for _, tc := range envtestCases {
		if tc.skip != "" {
			continue
		}
		used := map[string]bool{}
		for _, res := range kubectl.AnalyzeFor([]string{"sh", "-c", "kubectl " + tc.cmd}, nil, "", envtestVersions) {
			for _, req := range res.Requests {
				if req.Namespace != "" {
					used["namespace "+req.Namespace] = true
				}
			}
		}
		for _, o := range slices.Concat(tc.objects, tc.created) {
			namespaced, err := ec.c.IsObjectNamespaced(o)
			switch {
			case err != nil:
				t.Fatalf("%s: %v", tc.cmd, err)
			case namespaced && o.GetNamespace() != "":
				used["namespace "+o.GetNamespace()] = true
			case !namespaced:
				used[fmt.Sprintf("%T %s", o, o.GetName())] = true
			}
		}
		delete(used, "namespace kube-system")
		for u := range used {
			if other, ok := owner[u]; ok {
				t.Fatalf("cases %q and %q both use %s: give each case its own", other, tc.cmd, u)
			}
			owner[u] = tc.cmd
		}
	}
}

// envRun checks one case. The pod runs in namespace ns as ServiceAccount
// "job"; every Role and ClusterRole it is bound to is named envtest-<ns>.
type envRun struct {
	ec         *envCluster
	tc         envCase
	ns         string
	user       string
	kubeconfig string
	dir        string // kubectl's working directory
	args       []string
	scopes     []string // namespaces of the Roles, "" for the ClusterRole
	unneeded   map[string]string
	tolerated  map[string]string
}

var forbiddenRE = regexp.MustCompile(`(?i)forbidden|\b403\b`)

// escalating is what the API server's RBAC escalation check says when it refuses a write.
const escalating = "is attempting to grant RBAC permissions not currently held"

// removedDeadline is how long kubectl may run without one of its rules:
// a watch refused makes it retry until its own timeout.
const removedDeadline = 4 * time.Second

func (r *envRun) check(t *testing.T) {
	res := kubectl.AnalyzeFor([]string{"sh", "-c", "kubectl " + r.tc.cmd}, nil, r.ns, envtestVersions)
	if len(res) != 1 {
		t.Fatalf("Analyze found %d kubectl invocations, want 1", len(res))
	}
	if res[0].Unresolved != "" {
		t.Fatalf("Analyze: %s", res[0].Unresolved)
	}
	for _, w := range res[0].Invocation.Args {
		r.args = append(r.args, w.Value)
	}
	all := res[0].Requests
	var required, optional []kubectl.Request
	for _, req := range all {
		if req.Optional {
			optional = append(optional, req)
		} else {
			required = append(required, req)
		}
	}
	if len(required) == 0 {
		t.Fatal("the mapping needs no request: nothing to check")
	}
	r.unneeded = r.inNS(t, required, r.tc.unneeded)
	r.tolerated = r.inNS(t, required, r.tc.tolerated)
	var held []kubectl.Request
	for _, req := range r.tc.held {
		if req.Namespace == "$NS" {
			req.Namespace = r.ns
		}
		held = append(held, req)
	}
	if err := r.setup(t.Context(), slices.Concat(all, held)); err != nil {
		t.Fatal(err)
	}
	deadline := cmp.Or(r.tc.runFor, 30*time.Second)

	if r.tc.escalation != "" {
		// Not sufficient: RBAC's escalation check refuses the write.
		run := r.runWith(t, required, nil, deadline)
		if !strings.Contains(run.text, escalating) || run.err == nil {
			t.Errorf("with the required rules, kubectl does not fail with %q (exit: %v):\n%s", escalating, run.err, run.text)
		}
		for _, ev := range run.events {
			if ev.denied() && !(ev.ResponseStatus != nil && strings.Contains(ev.ResponseStatus.Message, escalating) &&
				slices.ContainsFunc(required, func(req kubectl.Request) bool { return covers(req, ev) })) {
				t.Errorf("with the required rules, the API server refused %s", ev)
			}
		}
		t.Logf("not sufficient: the API server's RBAC escalation check refuses the write (%s)", r.tc.escalation)
		required = slices.Concat(required, held)
		all = slices.Concat(all, held)
	}

	// Sufficient: with exactly the required rules, only optional requests
	// are refused, and kubectl gets as far as the case says.
	run := r.runWith(t, required, nil, deadline)
	r.checkOutcome(t, run, "with the required rules")
	var refused []string
	for _, ev := range run.events {
		switch {
		case !ev.denied():
		case slices.ContainsFunc(required, func(req kubectl.Request) bool { return covers(req, ev) }):
			t.Errorf("with the required rules, the API server refused %s\nkubectl output:\n%s", ev, run.text)
		case slices.ContainsFunc(optional, func(req kubectl.Request) bool { return covers(req, ev) }):
			refused = append(refused, ev.Verb+" "+ev.request().ResourcePath())
		default:
			t.Errorf("the API server refused %s, which the mapping does not list\nkubectl output:\n%s", ev, run.text)
		}
	}
	note := ""
	if len(refused) > 0 {
		slices.Sort(refused)
		note = "; refused only optional " + strings.Join(slices.Compact(refused), ", ")
	}
	t.Logf("sufficient: %s with %s%s", run.outcome(), strings.Join(ruleStrings(required), ", "), note)

	// With the optional rules too, nothing is refused.
	if len(optional) > 0 {
		run := r.runWith(t, all, nil, deadline)
		r.checkOutcome(t, run, "with the optional rules too")
		for _, ev := range run.events {
			if ev.denied() {
				t.Errorf("with the optional rules too, the API server refused %s\nkubectl output:\n%s", ev, run.text)
			}
		}
		if forbiddenRE.MatchString(run.text) {
			t.Errorf("with the optional rules too, kubectl says forbidden:\n%s", run.text)
		}
	}

	// Necessary: without any one required rule, the API server refuses
	// kubectl that request.
	for i, removed := range required {
		if slices.Contains(held, removed) {
			continue // not mapped: granted only to get past the escalation check
		}
		rest := slices.Delete(slices.Clone(required), i, i+1)
		if j := slices.IndexFunc(rest, func(other kubectl.Request) bool { return grants(other, removed) }); j >= 0 {
			t.Errorf("cannot remove %s alone: %s grants it too", removed, rest[j])
			continue
		}
		run := r.runWith(t, rest, &removed, cmp.Or(r.tc.runFor, removedDeadline))
		if removed.Escalation {
			// The escalation check is no request of its own: without bind, the API server
			// refuses the binding it guards.
			if !strings.Contains(run.text, escalating) || run.err == nil {
				t.Errorf("without %s, kubectl does not fail with %q (exit: %v):\n%s", removed, escalating, run.err, run.text)
				continue
			}
			t.Logf("necessary: %s: the escalation check refuses the binding; kubectl %s", removed, run.outcome())
			continue
		}
		if reason, ok := r.unneeded[removed.String()]; ok {
			r.checkOutcome(t, run, "without "+removed.String())
			for _, ev := range run.events {
				if ev.denied() && !slices.ContainsFunc(optional, func(req kubectl.Request) bool { return covers(req, ev) }) {
					t.Errorf("without %s, which the case says is not needed (%s), the API server refused %s", removed, reason, ev)
				}
			}
			t.Logf("not needed: %s (%s): kubectl %s without it", removed, reason, run.outcome())
			continue
		}
		if !slices.ContainsFunc(run.events, func(ev auditEvent) bool { return ev.denied() && covers(removed, ev) }) {
			t.Errorf("without %s, the API server did not refuse it; kubectl %s, requests:\n%s\nkubectl output:\n%s",
				removed, run.outcome(), eventLines(run.events), run.text)
			continue
		}
		if r.asFar(run) {
			reason, ok := r.tolerated[removed.String()]
			if !ok {
				t.Errorf("without %s, the API server refused it, but kubectl gets as far as with every rule (%s):\n%s",
					removed, run.outcome(), run.text)
				continue
			}
			t.Logf("necessary: %s: refused; kubectl still %s here (%s)", removed, run.outcome(), reason)
			continue
		}
		t.Logf("necessary: %s: refused; kubectl %s", removed, run.outcome())
	}
}

// inNS checks that the keys of m are required requests, with $NS for the
// pod's namespace, and returns m with $NS replaced.
func (r *envRun) inNS(t *testing.T, required []kubectl.Request, m map[string]string) map[string]string {
	out := map[string]string{}
	for s, reason := range m {
		s = strings.ReplaceAll(s, "$NS", r.ns)
		if !slices.ContainsFunc(required, func(req kubectl.Request) bool { return req.String() == s }) {
			t.Fatalf("%s is not a required request of the mapping", s)
		}
		out[s] = reason
	}
	return out
}

// asFar reports whether kubectl got as far as the case says it does with
// every rule: then a refused request did not stop it.
func (r *envRun) asFar(run kubectlRun) bool {
	switch {
	case r.tc.runFor > 0:
		return run.stopped
	case r.tc.fails != "":
		return strings.Contains(run.text, r.tc.fails)
	}
	return run.err == nil && !run.stopped
}

// checkOutcome checks that kubectl ended as the case says.
func (r *envRun) checkOutcome(t *testing.T, run kubectlRun, with string) {
	t.Helper()
	switch {
	case run.stopped:
		if r.tc.runFor == 0 {
			t.Errorf("%s, kubectl did not finish:\n%s", with, run.text)
		}
	case r.tc.fails == "" && run.err != nil:
		t.Errorf("%s, kubectl failed: %v\n%s", with, run.err, run.text)
	case r.tc.fails != "" && !strings.Contains(run.text, r.tc.fails):
		t.Errorf("%s, kubectl output does not contain %q (exit: %v):\n%s", with, r.tc.fails, run.err, run.text)
	}
}

func eventLines(evs []auditEvent) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString("  " + ev.String() + "\n")
	}
	return b.String()
}

// grants reports whether the rule for request a also allows request b.
// The ClusterRole is bound cluster-wide, so its rules hold in every
// namespace.
func grants(a, b kubectl.Request) bool {
	return a.Group == b.Group && a.Resource == b.Resource && a.Subresource == b.Subresource && a.Verb == b.Verb &&
		(a.Name == "" || a.Name == b.Name) && (a.Namespace == "" || a.Namespace == b.Namespace)
}

func ruleStrings(reqs []kubectl.Request) []string {
	var s []string
	for _, r := range reqs {
		s = append(s, r.String())
	}
	return s
}

// setup creates the namespaces, the ServiceAccount, and a Role in each
// namespace the requests go to (a ClusterRole for cluster-scoped requests
// and those in all namespaces), each bound to the ServiceAccount.
func (r *envRun) setup(ctx context.Context, reqs []kubectl.Request) error {
	c := r.ec.c
	r.user = "system:serviceaccount:" + r.ns + ":job"
	namespaces := []string{r.ns}
	r.scopes = []string{""}
	for _, req := range reqs {
		if req.Namespace != "" && !slices.Contains(r.scopes, req.Namespace) {
			r.scopes = append(r.scopes, req.Namespace)
		}
	}
	for _, o := range r.tc.objects {
		if ns := o.GetNamespace(); ns != "" {
			namespaces = append(namespaces, ns)
		}
	}
	namespaces = append(namespaces, r.scopes[1:]...)
	for _, ns := range namespaces {
		if err := createIfMissing(ctx, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: r.ns, Name: "job"}}
	if err := createIfMissing(ctx, c, sa); err != nil {
		return err
	}
	subjects := []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: r.ns, Name: "job"}}
	name := "envtest-" + r.ns
	for _, scope := range r.scopes {
		var role, binding client.Object
		if scope == "" {
			role = &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}}
			binding = &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: subjects,
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}}
		} else {
			role = &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: scope, Name: name}}
			binding = &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: scope, Name: name}, Subjects: subjects,
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}}
		}
		if err := createIfMissing(ctx, c, role); err != nil {
			return err
		}
		if err := createIfMissing(ctx, c, binding); err != nil {
			return err
		}
	}
	var err error
	if r.kubeconfig, err = r.ec.kubeconfig(r.ns); err != nil {
		return err
	}
	r.dir = filepath.Join(r.ec.dir, "work-"+r.ns)
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(r.dir, "data"), []byte("data\n"), 0o644)
}

func createIfMissing(ctx context.Context, c client.Client, o client.Object) error {
	if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
	}
	return nil
}

// kubectlRun is the outcome of one kubectl run.
type kubectlRun struct {
	text    string // stdout and stderr
	err     error
	stopped bool         // still running at the deadline
	events  []auditEvent // the requests kubectl made
	took    time.Duration
}

func (k kubectlRun) outcome() string {
	switch {
	case k.stopped:
		return fmt.Sprintf("runs until stopped after %.1fs", k.took.Seconds())
	case k.err != nil:
		return fmt.Sprintf("fails (%v, %.1fs)", k.err, k.took.Seconds())
	}
	return fmt.Sprintf("succeeds (%.1fs)", k.took.Seconds())
}

// runWith grants the ServiceAccount exactly the rules of granted, waits
// until the authorizer sees them (and no longer allows removed), recreates
// the case's objects and runs kubectl as the ServiceAccount for at most
// deadline.
func (r *envRun) runWith(t *testing.T, granted []kubectl.Request, removed *kubectl.Request, deadline time.Duration) kubectlRun {
	t.Helper()
	ctx := t.Context()
	if err := r.grant(ctx, granted); err != nil {
		t.Fatal(err)
	}
	if err := r.waitAuthorized(ctx, granted, removed); err != nil {
		t.Fatal(err)
	}
	return r.run(t, r.ec.kubectl, r.ec.cacheDir, deadline)
}

// run recreates the case's objects and runs the kubectl binary (with its
// discovery cache in cacheDir) as the ServiceAccount for at most deadline.
func (r *envRun) run(t *testing.T, binary, cacheDir string, deadline time.Duration) kubectlRun {
	t.Helper()
	ctx := t.Context()
	if err := r.reset(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	args := append([]string{"--kubeconfig=" + r.kubeconfig, "--cache-dir=" + cacheDir, "--as=" + r.user}, r.args...)
	cmd := exec.CommandContext(runCtx, binary, args...)
	cmd.Dir = r.dir
	cmd.Env = []string{"HOME=" + r.ec.dir, "PATH=" + os.Getenv("PATH"), "KUBECTL_KUBERC=false"}
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	run := kubectlRun{text: out.String(), err: err, stopped: runCtx.Err() != nil && ctx.Err() == nil, took: time.Since(start)}
	if run.events, err = r.ec.audit.since(ctx, r.ec, r.user, start); err != nil {
		t.Fatal(err)
	}
	return run
}

// grant sets the rules of the case's Roles and ClusterRole to exactly one
// rule per request in reqs.
func (r *envRun) grant(ctx context.Context, reqs []kubectl.Request) error {
	rules := map[string][]rbacv1.PolicyRule{}
	for _, req := range reqs {
		rules[req.Namespace] = append(rules[req.Namespace], req.PolicyRule())
	}
	name := "envtest-" + r.ns
	for _, scope := range r.scopes {
		var role client.Object
		if scope == "" {
			role = &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules[scope]}
		} else {
			role = &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: scope, Name: name}, Rules: rules[scope]}
		}
		if err := r.ec.c.Update(ctx, role); err != nil {
			return fmt.Errorf("updating %T %s/%s: %w", role, scope, name, err)
		}
	}
	return nil
}

// waitAuthorized waits until subject access reviews allow every granted
// request and deny the removed one, unless the case says it is not needed:
// the RBAC authorizer reads roles from an informer.
func (r *envRun) waitAuthorized(ctx context.Context, granted []kubectl.Request, removed *kubectl.Request) error {
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + r.ns, "system:authenticated"}
	allowed := func(req kubectl.Request) (bool, error) {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: r.user, Groups: groups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: req.Namespace, Verb: req.Verb,
				Group: req.Group, Resource: req.Resource, Subresource: req.Subresource, Name: req.Name},
		}}
		if err := r.ec.c.Create(ctx, sar); err != nil {
			return false, err
		}
		return sar.Status.Allowed, nil
	}
	var pending string
	err := wait.PollUntilContextTimeout(ctx, 5*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		for _, req := range granted {
			if ok, err := allowed(req); !ok || err != nil {
				pending = "allowing " + req.String()
				return false, err
			}
		}
		if removed != nil {
			if _, unneeded := r.unneeded[removed.String()]; !unneeded {
				if ok, err := allowed(*removed); ok || err != nil {
					pending = "denying " + removed.String()
					return false, err
				}
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for RBAC %s: %w", pending, err)
	}
	return nil
}

// reset deletes the case's objects and those the command creates, then
// creates the objects afresh, with their status.
func (r *envRun) reset(ctx context.Context) error {
	c := r.ec.c
	objects := make([]client.Object, len(r.tc.objects))
	for i, o := range r.tc.objects {
		objects[i] = r.inNamespace(o)
	}
	var gone []client.Object
	for _, o := range slices.Concat(r.tc.created, r.tc.objects) {
		gone = append(gone, r.inNamespace(o))
	}
	for _, o := range slices.Backward(gone) {
		err := c.Delete(ctx, o, client.GracePeriodSeconds(0), client.PropagationPolicy(metav1.DeletePropagationBackground))
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %T %s: %w", o, o.GetName(), err)
		}
	}
	for _, o := range gone {
		err := wait.PollUntilContextTimeout(ctx, 5*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
			err := c.Get(ctx, client.ObjectKeyFromObject(o), o.DeepCopyObject().(client.Object))
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, err
		})
		if err != nil {
			return fmt.Errorf("waiting for %T %s to go: %w", o, o.GetName(), err)
		}
	}
	uids := map[string]metav1.OwnerReference{}
	for _, o := range objects {
		gvk, err := apiutil.GVKForObject(o, scheme.Scheme)
		if err != nil {
			return err
		}
		refs := o.GetOwnerReferences()
		for i, ref := range refs {
			if ref.UID == "" {
				owner, ok := uids[ref.Kind+"/"+o.GetNamespace()+"/"+ref.Name]
				if !ok {
					return fmt.Errorf("%T %s: owner %s %s is not created before it", o, o.GetName(), ref.Kind, ref.Name)
				}
				refs[i].APIVersion, refs[i].UID = owner.APIVersion, owner.UID
			}
		}
		o.SetOwnerReferences(refs)
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return err
		}
		status, _ := u["status"].(map[string]any)
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
		uids[gvk.Kind+"/"+o.GetNamespace()+"/"+o.GetName()] = metav1.OwnerReference{APIVersion: gvk.GroupVersion().String(), UID: o.GetUID()}
		if len(status) == 0 {
			continue
		}
		created, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return err
		}
		created["status"] = status
		obj := &unstructured.Unstructured{Object: created}
		obj.SetGroupVersionKind(gvk)
		if err := c.Status().Update(ctx, obj); err != nil {
			js, _ := json.Marshal(status)
			return fmt.Errorf("setting the status of %T %s to %s: %w", o, o.GetName(), js, err)
		}
	}
	return nil
}

// inNamespace returns a copy of o, in the pod's namespace if it is
// namespaced and has none.
func (r *envRun) inNamespace(o client.Object) client.Object {
	o = o.DeepCopyObject().(client.Object)
	if o.GetNamespace() == "" {
		if namespaced, err := r.ec.c.IsObjectNamespaced(o); err == nil && namespaced {
			o.SetNamespace(r.ns)
		}
	}
	return o
}

// startMetricsAPI would serve metrics.k8s.io for kubectl top through the API server's
// aggregator. An aggregated API is reached through Service endpoints, which may not be loopback
// addresses, and these tests send traffic to loopback only: the top cases are skipped, and
// their mapping is covered by the table tests in requests_test.go.
func (ec *envCluster) startMetricsAPI(context.Context) error {
	return errors.New("an aggregated metrics API needs a non-loopback endpoint; tests here reach loopback only")
}
