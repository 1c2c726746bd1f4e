package lint

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/jobguard/jobguard/policies"
)

// locatePaths are looked up in every decoded object: present, absent, out of range, odd types.
var locatePaths = []policies.FieldPath{
	nil,
	{"metadata", "name"},
	{"spec", "template", "spec", "containers", 0, "image"},
	{"spec", "jobTemplate", "spec", "template", "spec", "containers", 1, "env", 0, "value"},
	{"items", 0, "kind"},
	{"rules", -1},
	{0, "a", 1 << 40},
	{"", ""},
}

// waitingPaths are what the inventory rules report on a Job or a CronJob.
var waitingPaths = map[string][]policies.FieldPath{
	"Job":     podSpecPaths("spec", "template", "spec"),
	"CronJob": podSpecPaths("spec", "jobTemplate", "spec", "template", "spec"),
}

func podSpecPaths(pod ...any) []policies.FieldPath {
	out := []policies.FieldPath{pod, append(slices.Clone(pod), "serviceAccountName"),
		append(slices.Clone(pod), "serviceAccount"), append(slices.Clone(pod), "automountServiceAccountToken")}
	for _, field := range []string{"containers", "initContainers"} {
		for _, cmd := range []string{"command", "args"} {
			out = append(out, append(slices.Clone(pod), field, 0, cmd, 0), append(slices.Clone(pod), field, 1, cmd, 2))
		}
	}
	return out
}

// FuzzDecode checks that no input makes Decode panic or hang, that every object it returns is a
// Kubernetes object (apiVersion and kind) with its YAML node and a line, that every error names
// the file and a line, and that Locate answers any path in any object with a position.
// Seeds: the documents below and testdata/fuzz/FuzzDecode (real manifests from testdata/).
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n--- {apiVersion: v1, kind: Secret}\n...\n",
		"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: batch/v1, kind: Job, metadata: {name: a}}\n- 3\n- {kind: Job}\n",
		"apiVersion: batch/v1\nkind: Job\nmetadata:\n  labels: &l {a: b}\n  annotations:\n    <<: [*l, {c: d}]\n    a: x\n",
		"a: &a [x,x]\nb: &b [*a,*a]\nc: [*b,*b]\napiVersion: v1\nkind: ConfigMap\n",
		"apiVersion: v1\nkind: ConfigMap\nkind: Secret\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n",
		"apiVersion: v1\nkind: \xff\n",
		"{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": {\"a\": 1e400, \"b\": .nan, \"c\": 0x1F}}",
		"? [a]\n: b\n",
		"--- !!binary aGVsbG8=\n--- |\n  text\n---\n- [[[]]]\n",
		"# Source: chart/templates/job.yaml\napiVersion: batch/v1\nkind: Job\n",
		"apiVersion: batch/v1\nkind: Job\nx: &c {name: a, command: [kubectl, get, po]}\nspec:\n  template:\n    spec:\n      containers:\n      # jobguard:ignore rbac-insufficient\n      - *c\n      - <<: *c\n        args:\n          - a\n          # jobguard:ignore rbac-insufficient why\n          - b\n          - kubectl get po\n",
		"\x00",
		"",
		"apiVersion: v1\nkind: ConfigMap\n---\xff\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a-name-longer-than-sixteen-bytes}\n--- \napiVersion: v1\nkind: Secret\n---",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, errs := Decode("f.yaml", data)
		// Streamed (what lint does with files and stdin), with lines longer than the buffer: the same.
		var streamed []Object
		streamErrs, _ := decodeDocuments("f.yaml", &documentReader{r: bufio.NewReaderSize(bytes.NewReader(data), 16)}, func(o Object, _ origin) bool {
			streamed = append(streamed, o)
			return true
		})
		if len(streamed) != len(objs) || fmt.Sprint(streamErrs) != fmt.Sprint(errs) {
			t.Fatalf("streamed: %d objects, errors %v; from memory: %d objects, errors %v", len(streamed), streamErrs, len(objs), errs)
		}
		for i, o := range streamed {
			if o.Line != objs[i].Line || o.Source != objs[i].Source || o.Value.Compare(objs[i].Value) != 0 {
				t.Fatalf("object %d streamed at line %d (%s) %v, from memory at %d (%s) %v", i, o.Line, o.Source, o.Value, objs[i].Line, objs[i].Source, objs[i].Value)
			}
		}
		for _, e := range errs {
			if e == nil || e.File != "f.yaml" || e.Line < 1 || e.Message == "" {
				t.Fatalf("input error %#v: want the file, a line and a message", e)
			}
		}
		for _, o := range objs {
			if o.Node == nil || o.Value == nil || o.Line < 1 || o.File != "f.yaml" {
				t.Fatalf("object %+v: want a node, a value, the file and a line", o)
			}
			if !isObject(o.Value) {
				t.Fatalf("object %v has no apiVersion and kind", o.Value)
			}
			for _, p := range locatePaths {
				// Not necessarily after the object's line: an alias or a merge key leads back to its anchor.
				if line, col := Locate(o.Node, p); line < 1 || col < 1 {
					t.Fatalf("Locate(%v) = %d:%d, want a position", p, line, col)
				}
			}
			// A waiting Job's or CronJob's pruned positions place what the inventory rules report
			// as the object does.
			if paths, ok := waitingPaths[policies.ObjectRefOf(o.Value).Kind]; ok {
				pruned := waitingPositions(o).yaml()
				for _, p := range paths {
					line, col := Locate(o.Node, p)
					sl, sc := Locate(pruned, p)
					reason, at, ignored := suppression(o.Node, p, "rbac-insufficient")
					sr, sat, sIgnored := suppression(pruned, p, "rbac-insufficient")
					if sl != line || sc != col || sr != reason || sat != at || sIgnored != ignored {
						t.Fatalf("%v: the pruned tree says %d:%d (ignored %t at %d), the object %d:%d (ignored %t at %d)", p, sl, sc, sIgnored, sat, line, col, ignored, at)
					}
				}
			}
		}
	})
}
