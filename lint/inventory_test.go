package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/policies/rbac"
)

// restartCronJob runs kubectl in two containers; the second command's kubectl is exempted from
// rbac-insufficient by a comment, through an alias.
const restartCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: restart
  namespace: shop
spec:
  schedule: "0 */2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: restarter
          restartPolicy: Never
          volumes: [{name: tmp, emptyDir: {}}]
          containers:
            - name: restart
              image: bitnami/kubectl:latest
              env: [{name: PASSWORD, value: hunter2}]
              command: ["kubectl", "rollout", "restart", "deployment/web", "-n", "shop"]
            - name: flush
              image: bitnami/kubectl:1.36.3
              volumeMounts: [{name: tmp, mountPath: /tmp}]
              command:
                - /bin/sh
                - -c
                # jobguard:ignore rbac-insufficient exec is granted by hand
                - &flush kubectl exec redis-0 -n shop -- redis-cli flushall
              args: [*flush]
`

const restarterRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: restarter, namespace: shop}
rules:
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: restarter, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: restarter}
subjects: [{kind: ServiceAccount, name: restarter, namespace: shop}]
`

// placedFindings lists findings as rule@line:column: message, sorted.
func placedFindings(fs []policies.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s@%d:%d %s: %s", f.Rule, f.Position.Line, f.Position.Column, f.Path, f.Message))
	}
	slices.Sort(out)
	return out
}

// TestInventoryFromLaterFile: a kubectl CronJob is checked by every other rule as soon as it is
// read; its Role comes in a later file, and rbac-insufficient, run on the CronJob's summary once
// every file is read, still places its findings (and honours the ignore comment) as when the
// whole CronJob is checked with its RBAC in the same file.
func TestInventoryFromLaterFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cronJob := write("a-cronjob.yaml", restartCronJob)
	write("b-rbac.yaml", restarterRBAC)
	together := write("together.yaml", restarterRBAC+"---\n"+restartCronJob) // the RBAC first
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	lint := func(paths ...string) *Report {
		t.Helper()
		report, err := New(engine, WithWorkers(1), WithCheckedObjects(true)).Lint(context.Background(), paths)
		if err != nil {
			t.Fatal(err)
		}
		return report
	}
	split := lint(cronJob, filepath.Join(dir, "b-rbac.yaml"))

	var insufficient []string
	for _, f := range split.Findings {
		if f.Rule == "rbac-insufficient" {
			insufficient = append(insufficient, fmt.Sprintf("%s:%d:%d %s", filepath.Base(f.Position.File), f.Position.Line, f.Position.Column, f.Path))
		}
	}
	want := "a-cronjob.yaml:19:25 spec.jobTemplate.spec.template.spec.containers[0].command[0]"
	if strings.Join(insufficient, " | ") != want {
		t.Errorf("rbac-insufficient findings: %v\nwant %s", insufficient, want)
	}
	var suppressed []string
	for _, s := range split.Suppressed {
		suppressed = append(suppressed, fmt.Sprintf("%s@%d:%d %s (%s, line %d)", s.Finding.Rule, s.Finding.Position.Line, s.Finding.Position.Column, s.Finding.Path, s.Reason, s.Line))
	}
	// Two findings: kubectl exec gets the pod, then creates pods/exec. The args, an alias of the
	// script, are the shell's $0: not run.
	const exempted = "rbac-insufficient@27:19 spec.jobTemplate.spec.template.spec.containers[1].command[2] (exec is granted by hand, line 26)"
	if want := exempted + " | " + exempted; strings.Join(suppressed, " | ") != want {
		t.Errorf("suppressed: %v\nwant %s", suppressed, want)
	}

	// The same findings as with the RBAC read first, in the same file, 23 lines above.
	one := lint(together)
	var shifted []policies.Finding
	for _, f := range one.Findings {
		if strings.HasPrefix(f.Object.Kind, "CronJob") {
			f.Position.Line -= strings.Count(restarterRBAC+"---\n", "\n")
			shifted = append(shifted, f)
		}
	}
	var cronJobFindings []policies.Finding
	rules := map[string]bool{}
	for _, f := range split.Findings {
		if f.Object.Kind == "CronJob" {
			cronJobFindings = append(cronJobFindings, f)
			rules[f.Rule] = true
		}
	}
	if got, want := placedFindings(cronJobFindings), placedFindings(shifted); !slices.Equal(got, want) {
		t.Errorf("RBAC in a later file:\n%s\nRBAC first in the same file:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, rule := range []string{"rbac-insufficient", "image-latest-tag", "secret-in-env", "cron-missing-deadline"} {
		if !rules[rule] {
			t.Errorf("no %s finding on the CronJob; findings: %v", rule, placedFindings(cronJobFindings))
		}
	}
	if split.Objects != 3 || len(split.Checked) != 3 || split.Checked[0].Object.Kind != "CronJob" || split.Checked[0].Position.Line != 1 {
		t.Errorf("%d objects, checked %+v; want the CronJob (once), the Role and the RoleBinding", split.Objects, split.Checked)
	}
}

// TestDeferredSummary: what waits for the inventory of a kubectl CronJob is its summary: no
// env, image, volumes or anything else the inventory rules do not read.
func TestDeferredSummary(t *testing.T) {
	objs, errs := Decode("a.yaml", []byte(restartCronJob))
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("objects %d, errors %v", len(objs), errs)
	}
	inv := rbac.NewInventory()
	now, later, inputErr := plan(inv, map[string]bool{"Job": true, "CronJob": true}, objs[0])
	if inputErr != nil {
		t.Fatal(inputErr)
	}
	if now.rules != policies.NonInventoryRules || now.obj.Value.Compare(objs[0].Value) != 0 {
		t.Errorf("evaluated now: %v with the whole object, want NonInventoryRules", now.rules)
	}
	if later.rules != policies.InventoryRules || later.summary == nil || later.obj.Value != nil {
		t.Fatalf("deferred %+v, want a summary with InventoryRules", later)
	}
	summary, err := later.summary.object()
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Workloads()) != 1 {
		t.Errorf("inventory has %d workloads, want the CronJob", len(inv.Workloads()))
	}
	const want = `{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "restart", "namespace": "shop"}, ` +
		`"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [` +
		`{"command": ["kubectl", "rollout", "restart", "deployment/web", "-n", "shop"], "name": "restart"}, ` +
		`{"args": ["kubectl exec redis-0 -n shop -- redis-cli flushall"], "command": ["/bin/sh", "-c", "kubectl exec redis-0 -n shop -- redis-cli flushall"], "name": "flush"}], ` +
		`"serviceAccountName": "restarter"}}}}}}`
	if got := summary.Value.String(); got != want {
		t.Errorf("summary value:\n%s\nwant\n%s", got, want)
	}
	var keys []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode || n.Alias != nil || n.Tag == "!!merge" {
			t.Errorf("summary node at %d:%d is an alias or merge key", n.Line, n.Column)
		}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				keys = append(keys, c.Value)
			}
			walk(c)
		}
	}
	walk(summary.Node)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if got := strings.Join(keys, " "); got != "apiVersion args command containers jobTemplate kind metadata name namespace serviceAccountName spec template" {
		t.Errorf("summary node keys: %s", got)
	}
	if summary.File != "a.yaml" || summary.Line != 1 {
		t.Errorf("summary at %s:%d, want a.yaml:1", summary.File, summary.Line)
	}

	// Without an inventory rule for its kind (rbac-insufficient disabled), a kubectl CronJob is
	// evaluated whole, at once, and nothing waits.
	now, later, _ = plan(rbac.NewInventory(), map[string]bool{}, objs[0])
	if now.rules != policies.AllRules || later.obj.Value != nil || later.summary != nil {
		t.Errorf("without inventory rules: now %v, later %+v; want all rules now, nothing later", now.rules, later)
	}
}

// aliasedCronJob reaches its pod spec, containers and commands through merge keys and aliases.
const aliasedCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: aliased
  annotations: {jobguard.io/ignore: image-latest-tag}
x-pod: &pod
  serviceAccountName: restarter
  containers:
    # jobguard:ignore rbac-insufficient
    - &c {name: a, image: "bitnami/kubectl:latest", command: [kubectl, delete, pod, x]}
    - *c
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          <<: *pod
          initContainers:
            - name: init
              args: &args
                - kubectl get pods -A
              command: [sh, -c]
            - {name: init2, command: [kubectl, scale, deploy/web, --replicas=0], args: *args}
`

// TestSummaryMatchesObject: the inventory rules find the same things, at the same positions and
// with the same ignore comments applied, on a summary as on the whole object, for every Job and
// CronJob of testdata/ (with the RBAC of its directory) and for aliases and merge keys. A rule
// marked inventory that read more than the summary keeps would fail here.
func TestSummaryMatchesObject(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	l := New(engine)
	byDir := map[string][]Object{}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*.yaml"))
	more, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*", "*.yaml"))
	for _, f := range append(files, more...) {
		objs, _ := l.read(f)
		byDir[filepath.Dir(f)] = append(byDir[filepath.Dir(f)], objs...)
	}
	objs, errs := Decode("aliased.yaml", []byte(aliasedCronJob+"---\n"+restarterRBAC))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	byDir["inline"] = objs
	workloads, findings := 0, 0
	for dir, objs := range byDir {
		inv := rbac.NewInventory()
		for _, o := range objs {
			_, _ = inv.Add(o.Value)
		}
		for _, o := range objs {
			s, ok := summarize(o)
			if !ok || !rbac.MentionsKubectl(o.Value) {
				continue
			}
			summary, err := s.object()
			if err != nil {
				t.Fatal(err)
			}
			workloads++
			wantF, wantS, err := l.check(context.Background(), o, policies.InventoryRules, inv)
			if err != nil {
				t.Fatal(err)
			}
			gotF, gotS, err := l.check(context.Background(), summary, policies.InventoryRules, inv)
			if err != nil {
				t.Fatal(err)
			}
			findings += len(wantF) + len(wantS)
			if !slices.Equal(placedFindings(gotF), placedFindings(wantF)) || fmt.Sprint(gotS) != fmt.Sprint(wantS) {
				t.Errorf("%s: %s at line %d: on the summary\n%v\n%v\non the object\n%v\n%v", dir, o.File, o.Line, placedFindings(gotF), gotS, placedFindings(wantF), wantS)
			}
		}
	}
	if workloads < 12 || findings < 15 {
		t.Errorf("compared %d workloads with %d findings; testdata/ has more", workloads, findings)
	}
	t.Logf("%d workloads, %d findings", workloads, findings)
}
