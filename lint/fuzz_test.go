package lint

import (
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
		"\x00",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, errs := Decode("f.yaml", data)
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
		}
	})
}
