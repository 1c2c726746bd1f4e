package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	"github.com/jobguard/jobguard/policies"
)

// TestMarkableLines: a marker comment goes only where it cannot change what a line means.
func TestMarkableLines(t *testing.T) {
	lines := []struct {
		text string
		mark bool
	}{
		{"apiVersion: batch/v1", true},
		{"{{- if .Values.x }}", false},
		{"metadata:", true},
		{"  name: {{ .Values.name -}}", false}, // -}} would eat the space before the comment
		{"  script: |", true},
		{"    echo a: b", false}, // in the block scalar
		{"", false},
		{"    echo {{ .Values.x }}", false},
		{"  other: {{ .Values.b }}", true},
		{"  multi: {{ if and .Values.a", false}, // ends inside an action
		{"     .Values.c }}x: y{{ end }}", false},
		{"  - item", true},
		{"  - name: {{ \"}}\" }}", true}, // }} in a string does not end the action
		{"  flow: [a,", false},           // the list continues on the next line
		{"    b]", false},
		{`  quoted: "a # b"`, true},
		{"  {{- include \"x\" . | nindent 2 }}", false}, // an action, no key
		{"  {{/* a: b", false},
		{"  c: d */}}", false},
	}
	var text []string
	for _, l := range lines {
		text = append(text, l.text)
	}
	got := markableLines(text)
	for i, l := range lines {
		if got[i] != l.mark {
			t.Errorf("line %d %q: markable %v, want %v", i+1, l.text, got[i], l.mark)
		}
	}
}

func TestKeyColumn(t *testing.T) {
	for _, c := range []struct {
		line, key string
		want      int
	}{
		{"  restartPolicy: {{ .Values.restartPolicy }}", "restartPolicy", 3},
		{"- name: x", "name", 3},
		{`  "app.kubernetes.io/name": x`, "app.kubernetes.io/name", 3},
		{"  names: x", "name", 0},
		{"  image: {{ .Values.image }}", "name", 0}, // not inside another key
		{"  {name: a, image: b}", "image", 13},
	} {
		if got := keyColumn(c.line, c.key); got != c.want {
			t.Errorf("keyColumn(%q, %q) = %d, want %d", c.line, c.key, got, c.want)
		}
	}
}

// TestWithValues: the dot inside with and range blocks of .Values.
func TestWithValues(t *testing.T) {
	src := strings.Split(`{{- with .Values.cleanup }}
{{- if .enabled }}
schedule: {{ .schedule }}
{{- end }}
{{- end }}
{{- range .Values.jobs }}
image: {{ .image }}
{{- end }}
{{- with .Values.a }}{{ end }}
top: {{ .Values.top }}
{{- range $k, $v := .Values.m }}
x: {{ $v }}
{{- end }}`, "\n")
	for _, c := range []struct {
		line int
		want string
	}{{3, "cleanup"}, {7, "jobs[]"}, {10, ""}, {12, ""}} {
		if got := withValues(src, c.line); got != c.want {
			t.Errorf("line %d: %q, want %q", c.line, got, c.want)
		}
	}
	if got := valueRefs(`x: {{ .schedule | default .Values.fallback }} {{ $.Values.y }} {{ .Release.Name }}`, "cleanup"); strings.Join(got, ",") != "fallback,cleanup.schedule,y" {
		t.Errorf("valueRefs = %v", got)
	}
}

// TestKustomizePlacement places fields that a kustomization writes in its own ways: an image
// from images:, a label from commonLabels, a field inside the value of a JSON 6902 add, and a
// strategic-merge patch listed under patchesStrategicMerge.
func TestKustomizePlacement(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("job.yaml", `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      containers:
        - name: main
          image: example/migrate
        - name: side
          image: example/side:1.0
`)
	write("config.yaml", `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  account: migrator
`)
	write("kustomization.yaml", `resources: [job.yaml, config.yaml]
replacements:
  - source: {kind: ConfigMap, name: settings, fieldPath: data.account}
    targets:
      - select: {kind: Job}
        fieldPaths:
          - spec.template.spec.serviceAccountName
        options: {create: true}
commonLabels:
  team: data
images:
  - name: example/migrate
    newTag: latest
patchesStrategicMerge:
  - side.yaml
patches:
  - target: {kind: Job}
    patch: |-
      - op: add
        path: /spec/template/spec/securityContext
        value:
          runAsUser: 0
`)
	write("side.yaml", `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      containers:
        - name: side
          args: ["--once"]
`)
	objs, placers, errs := buildKustomization(dir)
	if len(errs) > 0 || len(objs) != 2 {
		t.Fatalf("objects %d, errors %v", len(objs), errs)
	}
	job := objs[0]
	if policies.ObjectRefOf(job.Value).Kind != "Job" {
		job = objs[1]
	}
	p := placers[objectKey{filepath.Clean(dir), job.Line}]
	kustomization := filepath.Join(dir, "kustomization.yaml")
	for _, c := range []struct {
		path policies.FieldPath
		want string
	}{
		// The strategic merge puts the patched container first: containers are matched by name.
		{policies.FieldPath{"spec", "template", "spec", "containers", 1, "image"}, kustomization + ":13:5"},
		{policies.FieldPath{"spec", "template", "spec", "containers", 0, "args"}, filepath.Join(dir, "side.yaml") + ":10:11"},
		{policies.FieldPath{"spec", "template", "spec", "containers", 0, "image"}, filepath.Join(dir, "job.yaml") + ":12:11"},
		{policies.FieldPath{"metadata", "labels", "team"}, kustomization + ":10:3"},
		{policies.FieldPath{"spec", "template", "spec", "securityContext", "runAsUser"}, kustomization + ":22:11"},
		{policies.FieldPath{"spec", "template", "spec", "serviceAccountName"}, kustomization + ":7:13"},
		// Absent: the nearest parent, in the resource.
		{policies.FieldPath{"spec", "ttlSecondsAfterFinished"}, filepath.Join(dir, "job.yaml") + ":5:1"},
	} {
		at, _ := p.place(c.path, policies.Position{}, job.Node)
		if got := at.String(); got != c.want {
			t.Errorf("%s: %s, want %s", c.path, got, c.want)
		}
	}
}

// TestChartKindLineFallback: a template whose positional render cannot be decoded still places
// its findings, on its kind: line.
func TestChartKindLineFallback(t *testing.T) {
	c := &chartPositions{dir: "chart", chartName: "c", docs: map[string][]markedDoc{},
		sources: map[string]string{"c/templates/job.yaml": "{{- range .Values.jobs }}\n---\napiVersion: batch/v1\nkind: Job\n{{- end }}\n"}}
	at, _, ok := c.locate("c/templates/job.yaml", 1, "Job", policies.FieldPath{"spec"}, nil)
	if !ok || at.String() != filepath.Join("chart", "templates", "job.yaml")+":4:1" {
		t.Errorf("placed at %s (%v), want the kind: line", at, ok)
	}
	if _, _, ok := c.locate("c/templates/job.yaml", 0, "CronJob", nil, nil); ok {
		t.Error("placed an object of a kind the template does not write")
	}
}

// FuzzChartPositions: whatever a template holds, marking it, rendering it marked and placing
// findings in what it renders never panics, and a placed finding is in that template (or a
// helper) at a line it has.
func FuzzChartPositions(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      restartPolicy: {{ .Values.p }}\n",
		"{{- range .Values.list }}\n---\nkind: Job\napiVersion: v1\nmetadata:\n  name: {{ . }}\n{{- end }}\n",
		"kind: Job\napiVersion: v1\nspec: {{ toYaml .Values.spec | nindent 2 }}\nx: |\n  {{ .Values.p }}: y\n",
		"kind: Job\napiVersion: v1\na: {{ if and\n  .Values.p }}b{{ end }}\n  - [a, {b: c}] # {{ \"}}\" }}\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, template string) {
		chrt := &chart.Chart{
			Metadata:  &chart.Metadata{APIVersion: "v2", Name: "f", Version: "0.1.0"},
			Templates: []*chart.File{{Name: "templates/x.yaml", Data: []byte(template)}},
			Values:    map[string]any{"p": "Always", "list": []any{"a", "b"}, "spec": map[string]any{"k": []any{1, "v"}}},
		}
		top, err := chartutil.ToRenderValues(chrt, map[string]any{}, chartutil.ReleaseOptions{Name: "r", Namespace: "n"}, chartutil.DefaultCapabilities)
		if err != nil {
			t.Skip()
		}
		rendered, err := engine.Render(chrt, top)
		if err != nil {
			t.Skip()
		}
		objs, _ := Decode("f/templates/x.yaml", []byte(rendered["f/templates/x.yaml"]))
		pos := newChartPositions(t.TempDir(), chrt, top, RenderOptions{})
		lines := strings.Count(template, "\n") + 1
		for i, o := range objs {
			kind := policies.ObjectRefOf(o.Value).Kind
			for _, path := range []policies.FieldPath{nil, {"kind"}, {"spec"}, {"spec", "template", "spec", "restartPolicy"}, {"spec", "k", 1}, {"metadata", "name"}, {"a"}} {
				at, _, ok := pos.locate("f/templates/x.yaml", i, kind, path, o.Node)
				if ok && (at.Line < 1 || at.Line > lines) {
					t.Fatalf("%s placed at line %d of a %d-line template", path, at.Line, lines)
				}
			}
		}
	})
}

// positionsOf renders a one-template chart, marked, and returns its positions and objects.
func positionsOf(t *testing.T, template string, values map[string]any) (*chartPositions, []Object) {
	t.Helper()
	chrt := &chart.Chart{
		Metadata:  &chart.Metadata{APIVersion: "v2", Name: "c", Version: "0.1.0"},
		Templates: []*chart.File{{Name: "templates/x.yaml", Data: []byte(template)}},
		Values:    values,
	}
	top, err := chartutil.ToRenderValues(chrt, map[string]any{}, chartutil.ReleaseOptions{Name: "r", Namespace: "n"}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := engine.Render(chrt, top)
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := Decode("c/templates/x.yaml", []byte(rendered["c/templates/x.yaml"]))
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("objects %d, errors %v", len(objs), errs)
	}
	return newChartPositions("c", chrt, top, RenderOptions{}), objs
}

// TestChartPlacesWithConfidence: a field under a key whose block has one action that writes
// text is placed on that action, unless a child line of the block carries no marker (it may be
// the field): then on the kind: line.
func TestChartPlacesWithConfidence(t *testing.T) {
	restartPolicy := policies.FieldPath{"spec", "template", "spec", "restartPolicy"}
	extra := policies.FieldPath{"spec", "template", "spec", "serviceAccountName"}
	values := map[string]any{"extra": map[string]any{"serviceAccountName": "x"}}
	for _, c := range []struct {
		name, template string
		path           policies.FieldPath
		want           string
	}{
		{"from toYaml", "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      {{- toYaml .Values.extra | nindent 6 }}\n",
			extra, "7:7"},
		{"on a line no marker follows", "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      restartPolicy: {{ if true }}Always{{ else\n      }}Never{{ end }}\n      {{- toYaml .Values.extra | nindent 6 }}\n",
			restartPolicy, "2:1"},
		{"beside a line no marker follows", "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      restartPolicy: {{ if true }}Always{{ else\n      }}Never{{ end }}\n      {{- toYaml .Values.extra | nindent 6 }}\n",
			extra, "2:1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pos, objs := positionsOf(t, c.template, values)
			at, _, ok := pos.locate("c/templates/x.yaml", 0, "Job", c.path, objs[0].Node)
			if got := strings.TrimPrefix(at.String(), filepath.Join("c", "templates", "x.yaml")+":"); !ok || got != c.want {
				t.Errorf("%s placed at %s, want line:column %s", c.path, at, c.want)
			}
		})
	}
}

// TestUnfixable: --fix does not edit rendered output; it names the template or resource line
// each default belongs at.
func TestUnfixable(t *testing.T) {
	sharedEngineOnce.Do(func() { sharedEngine, sharedEngineErr = policies.New() })
	if sharedEngineErr != nil {
		t.Fatal(sharedEngineErr)
	}
	l := New(sharedEngine)
	all := func(policies.Finding) bool { return true }
	kustomization := t.TempDir()
	if err := os.WriteFile(filepath.Join(kustomization, "kustomization.yaml"), []byte("namespace: batch\nresources: [job.yaml]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(kustomization, "job.yaml"), []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\nspec:\n  activeDeadlineSeconds: 60\n"+
		"  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox:1.36}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		want []string
	}{
		{filepath.Join(inputs, "chart"), []string{
			filepath.Join(inputs, "chart", "charts", "worker", "templates", "job.yaml") + ":7:1: not fixed: " + filepath.Join(inputs, "chart") +
				" is a Helm chart, whose rendered output is not edited; set spec.ttlSecondsAfterFinished=86400 there (job-missing-ttl)",
		}},
		{kustomization, []string{
			filepath.Join(kustomization, "job.yaml") + ":5:1: not fixed: " + kustomization +
				" is a kustomization, whose rendered output is not edited; set spec.ttlSecondsAfterFinished=86400 there (job-missing-ttl)",
		}},
		{filepath.Join(inputs, "helm-template.yaml"), nil}, // a file: Fix edits it
	} {
		got, err := l.Unfixable(t.Context(), c.dir, all)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("Unfixable(%s):\n%s\nwant:\n%s", c.dir, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

// TestKustomizeStrategicMergeIdentity: a strategic-merge patch's kind, name and namespace say
// which object it patches; kustomize puts the object's own back after merging (ApplySmPatch in
// sigs.k8s.io/kustomize/api/resource), unless the patch's options allow a name or kind change.
// So a finding about the name is placed where the name was written, never on the patch.
func TestKustomizeStrategicMergeIdentity(t *testing.T) {
	for _, c := range []struct {
		name, options, want string
	}{
		{"the name is the resource's", "", "job.yaml:4:3"},
		{"allowNameChange: the patch's name is the object's", "\n    options: {allowNameChange: true}", "patch.yaml:4:3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, content string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("job.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  namespace: batch\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n")
			patchName := "migrate"
			if c.options != "" {
				patchName = "migrate-renamed"
			}
			write("patch.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: "+patchName+"\n  namespace: batch\nspec:\n  template:\n    spec:\n      restartPolicy: Always\n")
			write("kustomization.yaml", "resources: [job.yaml]\nnamePrefix: nightly-\npatches:\n  - path: patch.yaml\n    target: {kind: Job}"+c.options+"\n")
			objs, placers, errs := buildKustomization(dir)
			if len(errs) > 0 || len(objs) != 1 {
				t.Fatalf("objects %d, errors %v", len(objs), errs)
			}
			p := placers[objectKey{filepath.Clean(dir), objs[0].Line}]
			for path, want := range map[string]string{
				"metadata.name":      c.want,
				"metadata.namespace": "job.yaml:5:3",
				"kind":               "job.yaml:2:1",
				// What the patch did set is still placed on it.
				"spec.template.spec.restartPolicy": "patch.yaml:9:7",
			} {
				var fp policies.FieldPath
				for _, s := range strings.Split(path, ".") {
					fp = append(fp, s)
				}
				at, _ := p.place(fp, policies.Position{}, objs[0].Node)
				if got := at.String(); got != filepath.Join(dir, want) {
					t.Errorf("%s: %s, want %s", path, got, filepath.Join(dir, want))
				}
			}
		})
	}
}

// TestChartRangeInsideObject: a range that writes items of a list inside one object (sidecar
// containers after one the template writes) names the values of the item that wrote the field,
// not the object's index among the template's objects.
func TestChartRangeInsideObject(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	write("values.yaml", "sidecars:\n  - name: a\n    image: x:1.0\n  - name: b\n    image: y:latest\n")
	write("templates/job.yaml", `apiVersion: batch/v1
kind: Job
metadata:
  name: x
spec:
  ttlSecondsAfterFinished: 60
  activeDeadlineSeconds: 60
  template:
    spec:
      restartPolicy: Never
      initContainers:
        - name: main
          image: busybox:1.36
        {{- range .Values.sidecars }}
        - name: {{ .name }}
          image: {{ .image }}
        {{- end }}
      containers:
        - name: last
          image: busybox:1.36
`)
	report := lintPaths(t, []string{dir})
	var got []string
	for _, f := range report.Findings {
		s := fmt.Sprintf("%s %s", f.Rule, f.Position)
		for _, r := range f.Related {
			s += fmt.Sprintf(" [%s %s]", r.Message, r.Position)
		}
		got = append(got, s)
	}
	want := []string{"image-latest-tag " + filepath.Join(dir, "templates", "job.yaml") + ":16:11 [.Values.sidecars[1].image " + filepath.Join(dir, "values.yaml") + ":5:5]"}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
