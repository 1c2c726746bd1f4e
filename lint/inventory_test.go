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
	// One finding for kubectl exec (it gets the pod, then creates pods/exec). The args, an alias
	// of the script, are the shell's $0: not run.
	const exempted = "rbac-insufficient@27:19 spec.jobTemplate.spec.template.spec.containers[1].command[2] (exec is granted by hand, line 26)"
	if want := exempted; strings.Join(suppressed, " | ") != want {
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

// TestWaitingPositions: what lint keeps of a kubectl CronJob while it waits for the inventory is
// the positions of what the inventory rules report on: no env, image, volumes or anything else.
func TestWaitingPositions(t *testing.T) {
	objs, errs := Decode("a.yaml", []byte(restartCronJob))
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("objects %d, errors %v", len(objs), errs)
	}
	pruned := waitingPositions(objs[0]).yaml()
	var keys []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode || n.Alias != nil || n.Tag == "!!merge" {
			t.Errorf("pruned node at %d:%d is an alias or merge key", n.Line, n.Column)
		}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				keys = append(keys, c.Value)
			}
			walk(c)
		}
	}
	walk(pruned)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if got := strings.Join(keys, " "); got != "apiVersion args command containers jobTemplate kind metadata name namespace serviceAccountName spec template" {
		t.Errorf("pruned node keys: %s", got)
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

// TestWaitingFindingsPlacedAsOnObject: the inventory rules' findings on a waiting object are
// placed, with the same ignore comments applied, in what lint keeps of it (a Job's pruned
// positions, an RBAC document decoded again) as in the object read the first time, for every
// waiting object of testdata/ (with the RBAC of its directory), for aliases and merge keys, and
// for the items of a List. A rule marked inventory that reported on a field the pruned tree does
// not keep would fail here. (policies.TestBatchWaitingMatchesObject checks that the rules find
// the same on the identity and the model.)
func TestWaitingFindingsPlacedAsOnObject(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	l := New(engine)
	// What Lint keeps of each object, read as Lint reads it.
	type read struct {
		obj   Object
		place *placement
	}
	byDir := map[string][]read{}
	add := func(dir, file string) {
		var last *heldDocument
		l.each(file, func(o Object, from origin) bool {
			place := &placement{file: o.File, line: o.Line, source: o.Source, yamlNode: o.Node}
			last = place.keepWhileWaiting(o, from, last)
			byDir[dir] = append(byDir[dir], read{o, place})
			return true
		})
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*.yaml"))
	more, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*", "*.yaml"))
	for _, f := range append(files, more...) {
		add(filepath.Dir(f), f)
	}
	inline := filepath.Join(t.TempDir(), "inline.yaml")
	if err := os.WriteFile(inline, []byte(aliasedCronJob+"---\n"+restartCronJob+"---\n"+restarterRBAC+"---\n"+restarterRoleList), 0o644); err != nil {
		t.Fatal(err)
	}
	add("inline", inline)
	waiting, findings, overbroad := map[string]int{}, 0, 0
	for dir, reads := range byDir {
		batch := policies.NewBatch[read](engine)
		for _, r := range reads {
			_, _, _ = batch.Add(r.obj.Value, r)
		}
		for r, eval := range batch.Remaining() {
			waiting[policies.ObjectRefOf(r.obj.Value).Kind]++
			whole := &placement{file: r.obj.File, line: r.obj.Line, source: r.obj.Source, yamlNode: r.obj.Node}
			wantF, wantS, _, err := l.check(context.Background(), eval, whole)
			if err != nil {
				t.Fatal(err)
			}
			gotF, gotS, _, err := l.check(context.Background(), eval, r.place)
			if err != nil {
				t.Fatal(err)
			}
			findings += len(wantF) + len(wantS)
			for _, f := range wantF {
				overbroad += strings.Count(f.Rule, "rbac-overbroad")
			}
			for _, s := range wantS {
				overbroad += strings.Count(s.Finding.Rule, "rbac-overbroad")
			}
			if !slices.Equal(placedFindings(gotF), placedFindings(wantF)) || fmt.Sprint(gotS) != fmt.Sprint(wantS) {
				t.Errorf("%s: %s at line %d: in what waited\n%v\n%v\nin the object\n%v\n%v", dir, r.obj.File, r.obj.Line, placedFindings(gotF), gotS, placedFindings(wantF), wantS)
			}
		}
	}
	if waiting["Job"]+waiting["CronJob"] < 10 || waiting["Role"] < 5 || waiting["ClusterRole"] < 5 || waiting["ClusterRoleBinding"] < 3 || findings < 20 || overbroad < 10 {
		t.Errorf("compared %v waiting objects with %d findings (%d rbac-overbroad); testdata/ has more", waiting, findings, overbroad)
	}
	t.Logf("%v waiting objects, %d findings (%d rbac-overbroad)", waiting, findings, overbroad)
}

// restarterRoleList grants restartCronJob's ServiceAccount more than it needs (rbac-overbroad),
// in a List: once with findings, once with them exempted by a comment.
const restarterRoleList = `apiVersion: v1
kind: List
items:
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: Role
    metadata: {name: restarter-a, namespace: shop}
    rules:
      - {apiGroups: [apps], resources: [deployments/scale, deployments], verbs: [get, patch, delete]}
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: Role
    metadata: {name: restarter-b, namespace: shop}
    rules:
      # jobguard:ignore rbac-overbroad granted by hand
      - {apiGroups: [""], resources: [pods, pods/exec, secrets], verbs: [get, list, create]}
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata: {name: restarter-ab, namespace: shop}
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: restarter-a}
    subjects: [{kind: ServiceAccount, name: restarter, namespace: shop}]
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata: {name: restarter-b, namespace: shop}
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: restarter-b}
    subjects: [{kind: ServiceAccount, name: restarter, namespace: shop}]
`

// TestHeldDocumentDecodedOnlyForFindings: a waiting object whose inventory rules find nothing
// does not have its document decoded again; one that has a finding does, once for every item of
// a List, each item at its own lines.
func TestHeldDocumentDecodedOnlyForFindings(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := Decode("list.yaml", []byte(restarterRoleList))
	if len(errs) > 0 || len(objs) != 4 {
		t.Fatalf("objects %d, errors %v", len(objs), errs)
	}
	held := &heldDocument{file: "list.yaml", line: 1, text: []byte(restarterRoleList)}
	batch := policies.NewBatch[*placement](engine) // no workload: rbac-overbroad finds nothing
	for i, o := range objs {
		_, _, _ = batch.Add(o.Value, &placement{file: o.File, line: o.Line, held: held, item: i})
	}
	l := New(engine)
	waited := 0
	for place, eval := range batch.Remaining() {
		waited++
		if found, _, _, err := l.check(context.Background(), eval, place); err != nil || len(found) > 0 {
			t.Fatalf("findings %v, error %v; want none", found, err)
		}
	}
	if waited != 2 || held.text == nil || held.nodes != nil {
		t.Fatalf("%d objects waited; the document decoded again: %t; want the two Roles, not decoded", waited, held.text == nil)
	}
	a, b := &placement{held: held, item: 0}, &placement{held: held, item: 1}
	if n := a.node(); n == nil || n.Line != objs[0].Node.Line {
		t.Fatalf("item 0: %v, want the node at line %d", n, objs[0].Node.Line)
	}
	nodes := held.nodes
	if n := b.node(); n == nil || n.Line != objs[1].Node.Line || &held.nodes[0] != &nodes[0] {
		t.Errorf("item 1: %v at line %d, want line %d from the same decoding", n, n.Line, objs[1].Node.Line)
	}
}

// TestDeprecatedServiceAccountField: a pod template that names its ServiceAccount with the
// deprecated serviceAccount field runs as that ServiceAccount (the API server copies it into
// serviceAccountName), and every rule of one lint run says so: rbac-insufficient judges deployer's
// RBAC, and rbac-overbroad sees the Job as deployer's.
func TestDeprecatedServiceAccountField(t *testing.T) {
	const input = `apiVersion: batch/v1
kind: Job
metadata: {name: hook, namespace: ops}
spec:
  template:
    spec:
      serviceAccount: deployer
      restartPolicy: Never
      containers:
        - {name: c, image: bitnami/kubectl:1.36.3, command: [kubectl, get, pods, -n, ops]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: ops}
rules:
  - {apiGroups: [""], resources: [pods], verbs: [list, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer, namespace: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: ServiceAccount, name: deployer, namespace: ops}]
`
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	report, err := New(engine, WithStdin(strings.NewReader(input))).Lint(context.Background(), []string{StdinName})
	if err != nil {
		t.Fatal(err)
	}
	var overbroad []string
	for _, f := range report.Findings {
		switch f.Rule {
		case "rbac-insufficient":
			t.Errorf("rbac-insufficient on a Job whose ServiceAccount may list pods: %s", f.Message)
		case "rbac-overbroad":
			overbroad = append(overbroad, f.Message)
		}
	}
	if len(overbroad) != 1 || !strings.Contains(overbroad[0], `verb "delete"`) || !strings.Contains(overbroad[0], "Job hook") {
		t.Errorf("rbac-overbroad findings %q, want the unused delete, used by no command of Job hook", overbroad)
	}
}

// TestTokenNotMounted: a Job that runs kubectl as a ServiceAccount of the input that does not
// mount its token can never authenticate, whatever its RBAC; a pod that mounts it explicitly can.
func TestTokenNotMounted(t *testing.T) {
	job := func(automount string) string {
		return `apiVersion: batch/v1
kind: Job
metadata: {name: j, namespace: ops}
spec:
  template:
    spec:
      serviceAccountName: bot
      restartPolicy: Never` + automount + `
      containers:
        - {name: c, image: bitnami/kubectl:1.36.3, command: [kubectl, get, pods]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: bot, namespace: ops}
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bot, namespace: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: ServiceAccount, name: bot, namespace: ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
rules: [{apiGroups: [""], resources: [pods], verbs: [list]}]
`
	}
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		automount, want string
	}{
		{"", "ServiceAccount ops/bot sets automountServiceAccountToken: false"},
		{"\n      automountServiceAccountToken: true", ""},
	} {
		report, err := New(engine, WithStdin(strings.NewReader(job(tt.automount)))).Lint(context.Background(), []string{StdinName})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range report.Findings {
			if f.Rule == "rbac-insufficient" {
				got = append(got, fmt.Sprintf("%d:%d %s %s", f.Position.Line, f.Position.Column, f.Severity, f.Message))
			}
		}
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("pod with automountServiceAccountToken: true: %q, want nothing", got)
		case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want) || !strings.HasPrefix(got[0], "10:62 error")):
			t.Errorf("findings %q, want one error at 10:62 (the kubectl word) saying %q", got, tt.want)
		}
	}
}
