package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint/output"
	"github.com/jobguard/jobguard/policies"
)

var update = flag.Bool("update", false, "rewrite golden files and the README rule table")

// jobguard runs the CLI from the repository root, as a user would.
func jobguard(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestGolden lints every fixture directory and the seeds and compares the text report with
// testdata/golden/<dir>.txt. Run `go test ./cmd/jobguard -update` and review the diff.
func TestGolden(t *testing.T) {
	t.Chdir("../..")
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "golden" {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			_, got, stderr := jobguard(t, "", "lint", "--fail-on", "none", "--color", "never", filepath.Join("testdata", d.Name()))
			if stderr != "" {
				t.Errorf("stderr: %s", stderr)
			}
			checkGolden(t, filepath.Join("testdata", "golden", d.Name()+".txt"), got)
		})
	}
}

// TestSeedFindings pins the mistakes ../shared/SEEDS.md lists for the Job and CronJob manifests of
// the seeds, at their lines.
func TestSeedFindings(t *testing.T) {
	t.Chdir("../..")
	_, out, _ := jobguard(t, "", "lint", "--color", "never", "testdata/seeds")
	for _, want := range []string{
		"000-restart-cronjob.yaml:27:11: warning job-containers-run-concurrently:",
		"000-restart-cronjob.yaml:30:13: warning image-latest-tag:",
		"000-restart-cronjob.yaml:36:13: warning image-latest-tag:",
		"000-restart-cronjob.yaml:42:13: warning image-latest-tag:",
		"000-restart-cronjob.yaml:8:1: warning cron-concurrency-unset:",
		"000-restart-cronjob.yaml:8:1: info cron-missing-deadline:",
		"000-restart-cronjob.yaml:12:5: info job-missing-active-deadline:",
		"001-book-notes.yaml:28:1: error deprecated-api: batch/v1beta1 CronJob was removed in Kubernetes 1.25",
		"004-data-pipeline-cronjobs.yaml:23:1: error deprecated-api: batch/v1beta1 CronJob was removed in Kubernetes 1.25",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing finding %q", want)
		}
	}
	if strings.Contains(out, "job-restart-policy") {
		t.Errorf("seed 001's Job uses restartPolicy Never, which is valid; got:\n%s", out)
	}
}

func TestExitCodes(t *testing.T) {
	t.Chdir("../..")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"errors found", []string{"lint", "testdata/job-restart-policy/bad.yaml"}, exitFindings},
		{"only warnings under --fail-on error", []string{"lint", "testdata/job-missing-ttl/bad.yaml"}, exitOK},
		{"warnings with --fail-on warning", []string{"lint", "--fail-on", "warning", "testdata/job-missing-ttl/bad.yaml"}, exitFindings},
		{"--fail-on none", []string{"lint", "--fail-on", "none", "testdata/job-restart-policy/bad.yaml"}, exitOK},
		{"only info under --fail-on warning", []string{"lint", "--fail-on", "warning", "testdata/job-missing-active-deadline/bad.yaml"}, exitOK},
		{"info with --fail-on info", []string{"lint", "--fail-on", "info", "testdata/job-missing-active-deadline/bad.yaml"}, exitFindings},
		// --severity and -q hide findings from the text report, not from --fail-on.
		{"--fail-on judges what -q hides", []string{"lint", "-q", "--fail-on", "warning", "testdata/job-missing-ttl/bad.yaml"}, exitFindings},
		{"--fail-on judges what --severity hides", []string{"lint", "--severity", "error", "--fail-on", "info", "testdata/job-missing-active-deadline/bad.yaml"}, exitFindings},
		{"missing file", []string{"lint", "testdata/does-not-exist.yaml"}, exitUsage},
		{"no arguments", []string{"lint"}, exitUsage},
		{"unknown flag", []string{"lint", "--frobnicate", "x"}, exitUsage},
		{"bad --fail-on", []string{"lint", "--fail-on", "fatal", "testdata"}, exitUsage},
		{"bad --kube-version", []string{"lint", "--kube-version", "latest", "testdata"}, exitUsage},
		{"bad -o", []string{"lint", "-o", "xml", "testdata"}, exitUsage},
		{"unknown rule in --disable", []string{"lint", "--disable", "no-such-rule", "testdata"}, exitUsage},
		{"disabled rule", []string{"lint", "--disable", "job-restart-policy", "testdata/job-restart-policy/bad.yaml"}, exitOK},
		{"old target version", []string{"lint", "--kube-version", "1.22", "testdata/deprecated-api/bad.yaml"}, exitFindings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := jobguard(t, "", tt.args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, out, errOut)
			}
		})
	}
}

func TestLintUnparsableFileStillLintsTheRest(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a-broken.yaml"), []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n\tname: x\n"))
	bad := readFile(t, "../../testdata/job-restart-policy/bad.yaml")
	writeFile(t, filepath.Join(dir, "b-jobs.yaml"), bad)
	code, out, _ := jobguard(t, "", "lint", "--color", "never", dir)
	if code != exitUsage {
		t.Errorf("exit %d, want %d (an input could not be parsed)", code, exitUsage)
	}
	if !strings.Contains(out, "a-broken.yaml:4:1: error input: not valid YAML") {
		t.Errorf("parse error not reported with file and line:\n%s", out)
	}
	if !strings.Contains(out, "b-jobs.yaml:24:11: error job-restart-policy:") {
		t.Errorf("the other file was not linted:\n%s", out)
	}
}

func TestLintStdin(t *testing.T) {
	manifest, err := os.ReadFile("../../testdata/cron-schedule-never-runs/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := jobguard(t, string(manifest), "lint", "--color", "never", "-")
	if code != exitFindings || !strings.Contains(out, "-:7:3: error cron-schedule-never-runs:") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestLintJSON(t *testing.T) {
	t.Chdir("../..")
	code, out, _ := jobguard(t, "", "lint", "-o", "json", "testdata/name-too-long/bad.yaml")
	if code != exitFindings {
		t.Errorf("exit %d, want %d", code, exitFindings)
	}
	var doc output.JSONReport
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Version != output.JSONVersion || doc.Summary.Objects != 3 || doc.Summary.Errors != 3 {
		t.Errorf("summary = %+v", doc.Summary)
	}
	var raw struct {
		Findings []map[string]any `json:"findings"`
	}
	json.Unmarshal([]byte(out), &raw)
	first := raw.Findings[0]
	if first["rule"] != "name-too-long" || first["path"] != "metadata.name" || first["severity"] != "error" {
		t.Errorf("first finding = %v", first)
	}
	pos, _ := first["position"].(map[string]any)
	if pos["file"] != "testdata/name-too-long/bad.yaml" || pos["line"] != 5.0 || pos["column"] != 3.0 {
		t.Errorf("position = %v", pos)
	}
}

func TestRulesCommand(t *testing.T) {
	code, out, _ := jobguard(t, "", "rules")
	if code != exitOK || !strings.Contains(out, "job-restart-policy") || !strings.Contains(out, "cron-schedule-never-runs") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

const (
	tableStart = "<!-- rules:start (generated by make docs) -->\n"
	tableEnd   = "<!-- rules:end -->"
)

// TestReadmeRuleTable fails when README.md's rule table is not what the metadata generates.
// `make docs` (go test ./cmd/jobguard -run TestReadmeRuleTable -update) rewrites it.
func TestReadmeRuleTable(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(readme, []byte(tableStart))
	end := bytes.Index(readme, []byte(tableEnd))
	if start < 0 || end < start {
		t.Fatalf("README.md lacks the markers %q and %q", tableStart, tableEnd)
	}
	want := RulesMarkdown(engine.Rules())
	got := string(readme[start+len(tableStart) : end])
	if got == want {
		return
	}
	if *update {
		updated := string(readme[:start+len(tableStart)]) + want + string(readme[end:])
		if err := os.WriteFile("../../README.md", []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's rule table is out of date; run make docs")
}

func TestLintConfig(t *testing.T) {
	dir := t.TempDir()
	bad := readFile(t, "../../testdata/job-restart-policy/bad.yaml")
	if err := os.MkdirAll(filepath.Join(dir, "vendor"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "vendor", "jobs.yaml"), bad)
	writeFile(t, filepath.Join(dir, "jobs.yaml"), bad)
	cfg := filepath.Join(dir, ".jobguard.yaml")
	writeFile(t, cfg, []byte("lint:\n  ignorePaths: [\"vendor/**\"]\n  failOn: none\nrules:\n  job-restart-policy:\n    severity: warning\n"))

	code, out, errOut := jobguard(t, "", "lint", "--config", cfg, "--color", "never", dir)
	if code != exitOK {
		t.Errorf("exit %d, want 0 (failOn: none from the config)\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "vendor") {
		t.Errorf("vendor/ was not ignored:\n%s", out)
	}
	if !strings.Contains(out, "warning job-restart-policy") {
		t.Errorf("severity override not applied:\n%s", out)
	}
	if code, _, _ := jobguard(t, "", "lint", "--config", cfg, "--fail-on", "warning", dir); code != exitFindings {
		t.Errorf("--fail-on should override the config: exit %d", code)
	}

	writeFile(t, cfg, []byte("rules:\n  job-restart-policy:\n    severty: warning\n"))
	code, _, errOut = jobguard(t, "", "lint", "--config", cfg, dir)
	if code != exitUsage || !strings.Contains(errOut, "line 3: unknown key severty") {
		t.Errorf("exit %d, stderr %q; want 2 and the key with its line", code, errOut)
	}

	// Discovery: the nearest .jobguard.yaml above the working directory.
	writeFile(t, cfg, []byte("rules:\n  job-restart-policy:\n    enabled: false\n"))
	t.Chdir(filepath.Join(dir, "vendor"))
	if code, out, _ := jobguard(t, "", "lint", "jobs.yaml"); code != exitOK || strings.Contains(out, "job-restart-policy") {
		t.Errorf("discovered config not applied: exit %d\n%s", code, out)
	}
}

func TestScheduleCommand(t *testing.T) {
	code, out, _ := jobguard(t, "", "schedule", "0 */2 * * *", "--time-zone", "Asia/Seoul", "-n", "2", "--from", "2026-11-22T01:30:00Z")
	want := "0 */2 * * *: at minute 0 of every 2nd hour (Asia/Seoul)\nnext 2 runs:\n  Sun 2026-11-22 12:00 KST\n  Sun 2026-11-22 14:00 KST\n"
	if code != exitOK || out != want {
		t.Errorf("exit %d, output:\n%s\nwant:\n%s", code, out, want)
	}
	code, _, errOut := jobguard(t, "", "schedule", "0 0 30 2 *")
	if code != exitFindings || !strings.Contains(errOut, "never fires") {
		t.Errorf("never-firing: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = jobguard(t, "", "schedule", "*/30 * * * * *")
	if code != exitFindings || !strings.Contains(errOut, "expected exactly 5 fields, found 6") {
		t.Errorf("invalid: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := jobguard(t, "", "schedule", "@daily", "--time-zone", "Mars/Olympus"); code != exitUsage {
		t.Errorf("bad zone: exit %d", code)
	}
}

func TestLintSeveralOutputs(t *testing.T) {
	t.Chdir("../..")
	dir := t.TempDir()
	sarif, junit := filepath.Join(dir, "r.sarif"), filepath.Join(dir, "r.xml")
	code, out, errOut := jobguard(t, "", "lint", "--color", "never", "-o", "text", "-o", "sarif="+sarif, "-o", "junit="+junit, "testdata/name-too-long/bad.yaml")
	if code != exitFindings || !strings.Contains(out, "error name-too-long") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(sarif)
	if err != nil || !strings.Contains(string(data), `"ruleId": "name-too-long"`) {
		t.Errorf("SARIF file: %v\n%s", err, data)
	}
	if data, err := os.ReadFile(junit); err != nil || !strings.Contains(string(data), "<testsuites") {
		t.Errorf("JUnit file: %v", err)
	}
	if code, _, errOut := jobguard(t, "", "lint", "-o", "json", "-o", "text", "testdata/name-too-long/bad.yaml"); code != exitUsage {
		t.Errorf("two outputs to stdout: exit %d, stderr %q", code, errOut)
	}
}

// TestRBACSuggest pins the RBAC suggested for the seed 000 restart CronJob and proves it right:
// linted together with the CronJob running as the suggested ServiceAccount, no RBAC rule fires
// (rbac-insufficient would if a permission were missing, rbac-overbroad if one were extra).
func TestRBACSuggest(t *testing.T) {
	t.Chdir("../..")
	code, got, errOut := jobguard(t, "", "rbac", "suggest", "testdata/seeds/000-restart-cronjob.yaml")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkGolden(t, "testdata/golden/rbac-suggest-000.yaml", got)
	for _, ns := range []string{"example-namespace", "redis", "orakl"} {
		if !strings.Contains(got, "kind: Role\nmetadata:\n  name: restart-cronjob\n  namespace: "+ns+"\n") {
			t.Errorf("no Role in namespace %s", ns)
		}
	}
	suggested, unneeded, _ := strings.Cut(got, "# Once this RBAC is applied")
	if strings.Contains(suggested, "ClusterRole") {
		t.Error("suggested a ClusterRole; every command is namespaced")
	}
	// The seed's own ClusterRole and ClusterRoleBinding bind the default ServiceAccount, which the
	// CronJob no longer runs as: the output says to delete them.
	for _, want := range []string{"kubectl delete clusterrolebinding restart-binding\n", "kubectl delete clusterrole restart-role\n"} {
		if !strings.Contains(unneeded, want) {
			t.Errorf("the suggestion does not say %q:\n%s", want, got)
		}
	}

	seed := readFile(t, "testdata/seeds/000-restart-cronjob.yaml")
	cronjob, _, _ := strings.Cut(string(seed), "\n---\n")
	cronjob = strings.Replace(cronjob, "serviceAccountName: default", "serviceAccountName: restart-cronjob", 1)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "cronjob.yaml"), []byte(cronjob))
	writeFile(t, filepath.Join(dir, "rbac.yaml"), []byte(got))
	_, out, _ := jobguard(t, "", "lint", "--fail-on", "none", "--color", "never", dir)
	if strings.Contains(out, " rbac-") {
		t.Errorf("the suggested RBAC draws RBAC findings:\n%s", out)
	}
	if !strings.Contains(out, "in 7 checked objects from 2 files; 1 document of other kinds skipped") {
		t.Errorf("expected the CronJob and 6 RBAC objects to be checked, the ServiceAccount (no rule checks it) skipped:\n%s", out)
	}
}

// TestRBACKubectlVersions: for a Job whose image pins kubectl 1.31, rbac suggest grants list (and
// says why) and rbac-insufficient reports RBAC without it; for kubectl 1.36 against a 1.36
// cluster (--kube-version, or .jobguard.yaml's kubeVersion), neither does. Without either the
// cluster may not serve watch-list: list again.
func TestRBACKubectlVersions(t *testing.T) {
	job := func(image string) string {
		return `apiVersion: batch/v1
kind: Job
metadata: {name: wait-web, namespace: team}
spec:
  template:
    spec:
      serviceAccountName: deployer
      restartPolicy: Never
      containers:
        - name: wait
          image: ` + image + `
          command: ["sh", "-c", "kubectl rollout status deployment/web -n team"]
`
	}
	const rbacWithoutList = `---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: team}
rules:
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["get", "watch"]
    resourceNames: ["web"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: ServiceAccount, name: deployer, namespace: team}]
`
	const listGranted = `verbs: ["get", "list", "watch"]`
	dir := t.TempDir()
	tests := []struct {
		image, kubeVersion string
		config             string // .jobguard.yaml
		lists              bool
		note               string
	}{
		{"bitnami/kubectl:1.31.0", "1.36", "{}", true, "# kubectl 1.31 lists before it watches"},
		{"registry.k8s.io/kubectl:v1.36.3", "1.36", "{}", false, "# kubectl 1.36 streams the list over its watch on a 1.36 cluster: no list"},
		{"registry.k8s.io/kubectl:v1.36.3", "", "{}", true, "# kubectl 1.36 lists before it watches on clusters without watch-list (set --kube-version)"},
		{"registry.k8s.io/kubectl:v1.36.3", "", `kubeVersion: "1.36"`, false, "# kubectl 1.36 streams the list over its watch on a 1.36 cluster: no list"},
		{"registry.k8s.io/kubectl:v1.36.3", "", `kubeVersion: "1.33"`, true, "# kubectl 1.36 lists before it watches on a 1.33 cluster, which does not serve watch-list"},
		{"bitnami/kubectl:latest", "1.36", "{}", true, `# image "bitnami/kubectl:latest" does not say its kubectl version`},
	}
	for i, tt := range tests {
		file := filepath.Join(dir, fmt.Sprintf("job-%d.yaml", i))
		writeFile(t, file, []byte(job(tt.image)))
		args := []string{"rbac", "suggest", "--config", filepath.Join(dir, "none.yaml"), file}
		lintArgs := []string{"lint", "--config", filepath.Join(dir, "none.yaml"), "--color", "never", "--fail-on", "none", file + ".rbac.yaml"}
		if tt.kubeVersion != "" {
			args = append(args[:2], append([]string{"--kube-version", tt.kubeVersion}, args[2:]...)...)
			lintArgs = append(lintArgs[:1], append([]string{"--kube-version", tt.kubeVersion}, lintArgs[1:]...)...)
		}
		writeFile(t, filepath.Join(dir, "none.yaml"), []byte(tt.config+"\n"))
		code, out, errOut := jobguard(t, "", args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", tt.image, code, errOut)
		}
		if strings.Contains(out, listGranted) != tt.lists || !strings.Contains(out, tt.note) {
			t.Errorf("%s, --kube-version %q, config %s: want list granted %v and %q:\n%s", tt.image, tt.kubeVersion, tt.config, tt.lists, tt.note, out)
		}
		writeFile(t, file+".rbac.yaml", []byte(job(tt.image)+rbacWithoutList))
		_, out, errOut = jobguard(t, "", lintArgs...)
		insufficient := strings.Contains(out, "error rbac-insufficient: `kubectl rollout status deployment/web -n team` needs list on deployments")
		if insufficient != tt.lists {
			t.Errorf("%s, --kube-version %q, config %s: rbac-insufficient on RBAC without list: %v, want %v\n%s%s", tt.image, tt.kubeVersion, tt.config, insufficient, tt.lists, out, errOut)
		}
	}
}

// TestSeedRBACFindings pins the RBAC mistakes ../shared/SEEDS.md lists for seed 000.
func TestSeedRBACFindings(t *testing.T) {
	t.Chdir("../..")
	_, out, _ := jobguard(t, "", "lint", "--color", "never", "--verbose", "testdata/seeds/000-restart-cronjob.yaml")
	for _, want := range []string{
		"000-restart-cronjob.yaml:69:26: warning rbac-unknown-verb:",
		"000-restart-cronjob.yaml:73:15: warning rbac-pods-exec:",
		"000-restart-cronjob.yaml:63:15: warning rbac-scale-grant:",
		"000-restart-cronjob.yaml:87:1: warning rbac-overbroad: grants ClusterRole restart-role in every namespace",
		"000-restart-cronjob.yaml:84:3: warning rbac-default-serviceaccount:",
		"000-restart-cronjob.yaml:85:3: ", // rbac-invalid-subject, exampleNamespace
		"000-restart-cronjob.yaml:34:15: error rbac-insufficient: `kubectl scale deployment example-deployment -n example-namespace --replicas=0` needs get on deployments and patch on deployments/scale (group apps) \"example-deployment\"",
		"000-restart-cronjob.yaml:40:15: error rbac-insufficient: `kubectl exec example-redis -n redis -- redis-cli flushall` needs get on pods and create on pods/exec \"example-redis\"",
		"000-restart-cronjob.yaml:46:15: error rbac-insufficient:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if !strings.Contains(out, "rbac-invalid-subject") {
		t.Error("missing rbac-invalid-subject")
	}
}

func TestCustomPolicy(t *testing.T) {
	t.Chdir("../..")
	code, out, _ := jobguard(t, "", "lint", "--color", "never", "--verbose", "--fail-on", "warning", "--policy", "testdata/custom-policy/policy", "testdata/custom-policy")
	if code != exitFindings || !strings.Contains(out, "cronjobs.yaml:4:1: warning team-label-required: no \"team\" label: nobody owns this CronJob") ||
		strings.Count(out, "team-label-required") != 1 {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, out, _ = jobguard(t, "", "test", "testdata/custom-policy/policy")
	if code != exitOK || !strings.Contains(out, "3 passed, 0 failed, 0 skipped") {
		t.Errorf("jobguard test: exit %d:\n%s", code, out)
	}
	// A broken custom rule: the test command says so and exits 1.
	dir := t.TempDir()
	src := readFile(t, "testdata/custom-policy/policy/team_label_required.rego")
	broken := strings.Replace(string(src), "not k8s.obj.metadata.labels[label]", "k8s.obj.metadata.labels[label]", 1)
	if broken == string(src) {
		t.Fatal("the rule no longer reads as the test expects: nothing was broken")
	}
	writeFile(t, filepath.Join(dir, "rule.rego"), []byte(broken))
	writeFile(t, filepath.Join(dir, "rule_test.rego"), readFile(t, "testdata/custom-policy/policy/team_label_required_test.rego"))
	if code, out, _ := jobguard(t, "", "test", dir); code != exitFindings || !strings.Contains(out, "FAIL") {
		t.Errorf("broken rule: exit %d:\n%s", code, out)
	}
	// A rule without metadata is refused with the file named.
	writeFile(t, filepath.Join(dir, "rule.rego"), []byte("package jobguard.rules.custom.bare\n\ndeny contains 1 if true\n"))
	if code, _, errOut := jobguard(t, "", "lint", "--policy", dir, "testdata/custom-policy"); code != exitUsage || !strings.Contains(errOut, filepath.Join(dir, "rule.rego")+": package data.jobguard.rules.custom.bare has no `# METADATA` block") {
		t.Errorf("rule without metadata: exit %d, stderr %q", code, errOut)
	}
}

func TestFixAndMutate(t *testing.T) {
	src, err := os.ReadFile("../../lint/testdata/fix/commented.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := readFile(t, "../../lint/testdata/fix/commented.fixed.yaml")

	// The golden file has every fix, the opt-in startingDeadlineSeconds one included.
	config := filepath.Join(t.TempDir(), ".jobguard.yaml")
	writeFile(t, config, []byte("webhook:\n  mutation:\n    optIn: [cron-missing-deadline]\n"))

	// mutate: standard input to standard output, what was set on standard error.
	code, out, errOut := jobguard(t, string(src), "mutate", "--config", config, "-")
	if code != exitOK || out != string(want) {
		t.Errorf("mutate: exit %d\n%s\nwant:\n%s", code, out, want)
	}
	if !strings.Contains(errOut, "set: -:8: set spec.startingDeadlineSeconds=300 (cron-missing-deadline)") {
		t.Errorf("mutate stderr: %q", errOut)
	}
	// Without opting in, the opt-in default is not set.
	if _, out, errOut := jobguard(t, string(src), "mutate", "-"); strings.Contains(out, "startingDeadlineSeconds") || strings.Contains(errOut, "cron-missing-deadline") {
		t.Errorf("mutate without opting in set startingDeadlineSeconds:\n%s", errOut)
	}

	// lint --fix: the file is edited in place, then linted; a second run changes nothing.
	file := filepath.Join(t.TempDir(), "jobs.yaml")
	writeFile(t, file, src)
	code, out, errOut = jobguard(t, "", "lint", "--fix", "--config", config, "--color", "never", file)
	fixed := readFile(t, file)
	if string(fixed) != string(want) {
		t.Errorf("lint --fix wrote:\n%s", fixed)
	}
	if !strings.Contains(errOut, "fixed: "+file+":27: set spec.ttlSecondsAfterFinished=86400 (job-missing-ttl)") || strings.Count(out, "job-missing-ttl") != 1 {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if info, _ := os.Stat(file); info.Mode().Perm() != 0o600 {
		t.Errorf("--fix changed the file mode to %v", info.Mode().Perm())
	}
	_, _, errOut = jobguard(t, "", "lint", "--fix", "--config", config, file)
	if again, _ := os.ReadFile(file); string(again) != string(want) || strings.Contains(errOut, "fixed:") {
		t.Errorf("second --fix changed the file: %s", errOut)
	}
	if code, _, _ := jobguard(t, string(src), "lint", "--fix", "-"); code != exitUsage {
		t.Errorf("--fix on standard input: exit %d, want 2", code)
	}
}

func TestExplain(t *testing.T) {
	code, out, _ := jobguard(t, "", "explain", "cron-schedule-never-runs")
	for _, want := range []string{"cron-schedule-never-runs (error, CronJob)", "Fires on:", `schedule: "0 0 30 2 *"`, "Passes:", `schedule: "0 0 29 2 *"`} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	// The rule's related_resources: where each claim can be checked.
	code, out, _ = jobguard(t, "", "explain", "cron-missing-deadline")
	if want := "\nSources:\n  https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/utils.go\n    `mostRecentScheduleTime`"; code != exitOK || !strings.Contains(out, want) {
		t.Errorf("exit %d, output lacks %q:\n%s", code, want, out)
	}
	if code, _, errOut := jobguard(t, "", "explain", "no-such-rule"); code != exitUsage || !strings.Contains(errOut, "job-restart-policy") {
		t.Errorf("unknown rule: exit %d, %q", code, errOut)
	}
}

// TestDeployLintsClean: jobguard's own manifests are its first customer. The kustomizations under
// deploy/ are built in-process and must draw no finding at all, info included; so must the Helm
// chart, rendered with its defaults (under deploy/) and with every optional part on.
func TestDeployLintsClean(t *testing.T) {
	t.Chdir("../..")
	for _, args := range [][]string{
		{"deploy/"},
		{"deploy/helm/jobguard", "--set", "certificates.mode=cert-manager", "--set", "audit.policyReportCRDs=true",
			"--set", "webhook.failClosed=true", "--set", "replicas=2", "--set", "namespace.create=true",
			"--set", "monitoring.serviceMonitor.enabled=true", "--set", "monitoring.prometheusRule.enabled=true",
			"--set", "monitoring.grafanaDashboard.enabled=true"},
	} {
		code, out, errOut := jobguard(t, "", append([]string{"lint", "--fail-on", "info", "--color", "never"}, args...)...)
		if code != exitOK || !strings.HasPrefix(out, "0 findings") {
			t.Errorf("lint %s: exit %d\n%s%s", args[0], code, out, errOut)
		}
		if !strings.Contains(out, "objects from") || strings.Contains(out, " in 0 checked objects") {
			t.Errorf("lint %s: nothing was linted: %s", args[0], out)
		}
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkGolden compares got with the golden file at path (relative to the repository root, where
// the test runs); with -update (make golden) it writes got there instead.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make golden)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run make golden and review the diff):\n%s", path, got)
	}
}
