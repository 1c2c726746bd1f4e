package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/internal/testkit"
	"github.com/jobguard/jobguard/lint/output"
)

// TestEnvtestAuditCommand runs `jobguard audit` against a real API server (envtest, from
// $KUBEBUILDER_ASSETS; skipped without it) through a kubeconfig, as a user would. What the audit
// finds is tested in audit/envtest_test.go; this is the command: kubeconfig, scope, formats,
// exit codes.
func TestEnvtestAuditCommand(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Skip("KUBEBUILDER_ASSETS is not set: run `KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh) go test ./cmd/jobguard -run EnvtestAudit` (make test does)")
	}
	env := &envtest.Environment{UseExistingCluster: ptr.To(false), BinaryAssetsDirectory: assets, ControlPlaneStartTimeout: time.Minute, ControlPlaneStopTimeout: time.Minute}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	user, err := env.AddUser(envtest.User{Name: "auditor", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	root := repoRoot(t)
	dir := t.TempDir()
	t.Chdir(dir) // no .jobguard.yaml above
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}},
		testkit.NeverFiresCronJob("team-a", "leap"),
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}

	code, out, errOut := jobguard(t, "", "audit", "--kubeconfig", "kubeconfig", "-A")
	if code != exitFindings || !strings.Contains(out, "team-a/CronJob/leap: error cron-schedule-never-runs: ") {
		t.Errorf("audit -A: exit %d, want %d and the CronJob's finding\n%s%s", code, exitFindings, out, errOut)
	}
	if !strings.Contains(out, " from cluster ") {
		t.Errorf("the summary names the cluster:\n%s", out)
	}

	code, out, errOut = jobguard(t, "", "audit", "--kubeconfig", "kubeconfig", "-n", "default", "-o", "json")
	var report output.JSONReport
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("audit -o json: %v\n%s%s", err, out, errOut)
	}
	if code != exitOK || report.Summary.Findings != 0 || report.Summary.Cluster == "" {
		t.Errorf("audit -n default: exit %d, summary %+v; namespace default holds nothing to report\n%s", code, report.Summary, errOut)
	}

	code, out, _ = jobguard(t, "", "audit", "--kubeconfig", "kubeconfig", "-n", "team-a", "-o", "json", "--fail-on", "none")
	report = output.JSONReport{}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatal(err)
	}
	if code != exitOK || len(report.Findings) == 0 || report.Findings[0].Position.File != "team-a/CronJob/leap" || report.Findings[0].Object.Name != "leap" {
		t.Errorf("audit -n team-a -o json: exit %d, findings %+v", code, report.Findings)
	}

	// A user with no rights: every kind is reported as not listable, exit 2. Bound to the
	// ClusterRole deploy/ ships for audit, the same user audits the whole cluster.
	reader, err := env.AddUser(envtest.User{Name: "reader"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	readerConfig, err := reader.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reader"), readerConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = jobguard(t, "", "audit", "--kubeconfig", "reader", "-A")
	if code != exitUsage || !strings.Contains(out, "Job (batch/v1): error input: cannot list jobs: ") || !strings.Contains(out, "deploy/audit/clusterrole.yaml") {
		t.Errorf("audit without rights: exit %d, want %d and what is missing\n%s", code, exitUsage, out)
	}
	role, err := os.ReadFile(filepath.Join(root, "deploy/audit/clusterrole.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cr rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(role, &cr); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &cr); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "reader-audits"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "reader"}},
	}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = jobguard(t, "", "audit", "--kubeconfig", "reader", "-A")
	if code != exitFindings || strings.Contains(out, " input: ") || !strings.Contains(out, "team-a/CronJob/leap: error cron-schedule-never-runs: ") {
		t.Errorf("audit with deploy/audit/clusterrole.yaml: exit %d, want %d and no input errors\n%s%s", code, exitFindings, out, errOut)
	}

	// JUnit lists every object checked, with or without findings, as lint's does.
	code, out, _ = jobguard(t, "", "audit", "--kubeconfig", "kubeconfig", "-n", "team-a", "-o", "junit")
	if code != exitFindings || !strings.Contains(out, `team-a/CronJob/leap`) || !strings.Contains(out, "<failure") {
		t.Errorf("audit -o junit: exit %d\n%s", code, out)
	}

	// --context picks a context other than the current one, and names the cluster.
	two, err := clientcmd.Load(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	two.Clusters["nowhere"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	two.Contexts["nowhere"] = &clientcmdapi.Context{Cluster: "nowhere", AuthInfo: two.Contexts[two.CurrentContext].AuthInfo}
	envtestContext := two.CurrentContext
	two.CurrentContext = "nowhere"
	if err := clientcmd.WriteToFile(*two, filepath.Join(dir, "two")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = jobguard(t, "", "audit", "--kubeconfig", "two", "--context", envtestContext, "-n", "team-a")
	if code != exitFindings || !strings.Contains(out, "team-a/CronJob/leap: error cron-schedule-never-runs: ") || !strings.Contains(out, " from cluster "+envtestContext+"\n") {
		t.Errorf("audit --context %s: exit %d\n%s%s", envtestContext, code, out, errOut)
	}

	// .jobguard.yaml applies as in lint: a rule turned off there is not run.
	if err := os.WriteFile(filepath.Join(dir, ".jobguard.yaml"), []byte("rules:\n  cron-schedule-never-runs:\n    enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = jobguard(t, "", "audit", "--kubeconfig", "kubeconfig", "-n", "team-a")
	if code != exitOK || strings.Contains(out, "cron-schedule-never-runs") {
		t.Errorf("audit with cron-schedule-never-runs off in .jobguard.yaml: exit %d, want %d\n%s%s", code, exitOK, out, errOut)
	}
	if err := os.Remove(filepath.Join(dir, ".jobguard.yaml")); err != nil {
		t.Fatal(err)
	}

	if code, _, errOut := jobguard(t, "", "audit", "--kubeconfig", "missing", "-A"); code != exitUsage || !strings.Contains(errOut, "missing") {
		t.Errorf("a kubeconfig that does not exist: exit %d, %q", code, errOut)
	}
	if code, _, _ := jobguard(t, "", "audit", "--kubeconfig", "kubeconfig", "-A", "-n", "x"); code != exitUsage {
		t.Errorf("-A with -n: exit %d, want %d", code, exitUsage)
	}
}

// repoRoot is the repository's root, two directories above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestEnvtestAuditReadme applies testdata/seeds with kubectl to a fresh API server (envtest, as
// TestEnvtestAuditCommand) and runs `jobguard audit -A`: every line README.md shows for it, "..."
// aside, is in the output, in the same order (a line ending in "..." starts one), and the summary
// is the same.
func TestEnvtestAuditReadme(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Skip("KUBEBUILDER_ASSETS is not set: run `KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh) go test ./cmd/jobguard -run EnvtestAudit` (make test does)")
	}
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const prompt = "```text\n$ jobguard audit -A\n"
	_, shown, ok := strings.Cut(string(readme), prompt)
	if !ok {
		t.Fatalf("README.md has no block starting %q", prompt)
	}
	shown, _, _ = strings.Cut(shown, "```")

	env := &envtest.Environment{UseExistingCluster: ptr.To(false), BinaryAssetsDirectory: assets, ControlPlaneStartTimeout: time.Minute, ControlPlaneStopTimeout: time.Minute}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	user, err := env.AddUser(envtest.User{Name: "auditor", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	// kubectl applies what the API server accepts and reports the rest (batch/v1beta1): exit 1.
	apply := exec.Command(filepath.Join(assets, "kubectl"), "--kubeconfig", filepath.Join(dir, "kubeconfig"), "apply", "-f", filepath.Join(root, "testdata", "seeds"))
	out, err := apply.CombinedOutput()
	if !strings.Contains(string(out), "cronjob.batch/restart-cronjob created") {
		t.Fatalf("kubectl apply -f testdata/seeds: %v\n%s", err, out)
	}

	t.Chdir(dir) // no .jobguard.yaml above
	_, got, errOut := jobguard(t, "", "audit", "--kubeconfig", "kubeconfig", "-A", "--color", "never")
	rest := "\n" + got // every line of rest starts after a "\n"
	for line := range strings.Lines(shown) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" || line == "..." {
			continue
		}
		// A line cut short ends in "...": the output's line starts with the rest.
		want := "\n" + line + "\n"
		if cut, ok := strings.CutSuffix(line, "..."); ok {
			want = "\n" + cut
		}
		i := strings.Index(rest, want)
		if i < 0 {
			t.Errorf("README.md shows a line that audit -A does not print (there, or in that order):\n%s\noutput:\n%s%s", line, got, errOut)
			return
		}
		rest = rest[i+len(want)-1:]
		if !strings.HasPrefix(rest, "\n") { // the rest of a line cut short
			_, after, _ := strings.Cut(rest, "\n")
			rest = "\n" + after
		}
	}
}
