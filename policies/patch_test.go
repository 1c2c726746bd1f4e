package policies

import (
	"encoding/json"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/open-policy-agent/opa/v1/ast"
)

func fix(rule string, value any, path ...any) Finding {
	return Finding{Rule: rule, Fix: &Fix{Path: path, Value: value}}
}

func TestBuildPatch(t *testing.T) {
	for _, c := range []struct {
		name    string
		obj     string
		fixes   []Finding
		patch   string // the operations, as JSON
		applied int
		want    string // obj after the patch
	}{{
		name:    "absent field",
		obj:     `{"spec":{"template":{}}}`,
		fixes:   []Finding{fix("a", 86400, "spec", "ttlSecondsAfterFinished")},
		patch:   `[{"op":"add","path":"/spec/ttlSecondsAfterFinished","value":86400}]`,
		applied: 1,
		want:    `{"spec":{"template":{},"ttlSecondsAfterFinished":86400}}`,
	}, {
		name:    "present field is left alone",
		obj:     `{"spec":{"ttlSecondsAfterFinished":0}}`,
		fixes:   []Finding{fix("a", 86400, "spec", "ttlSecondsAfterFinished")},
		patch:   `null`,
		applied: 0,
		want:    `{"spec":{"ttlSecondsAfterFinished":0}}`,
	}, {
		name:    "null counts as absent",
		obj:     `{"spec":{"concurrencyPolicy":null}}`,
		fixes:   []Finding{fix("a", "Forbid", "spec", "concurrencyPolicy")},
		patch:   `[{"op":"add","path":"/spec/concurrencyPolicy","value":"Forbid"}]`,
		applied: 1,
		want:    `{"spec":{"concurrencyPolicy":"Forbid"}}`,
	}, {
		name:    "missing parents are created",
		obj:     `{"spec":{}}`,
		fixes:   []Finding{fix("a", "x", "spec", "template", "metadata", "labels", "team")},
		patch:   `[{"op":"add","path":"/spec/template","value":{"metadata":{"labels":{"team":"x"}}}}]`,
		applied: 1,
		want:    `{"spec":{"template":{"metadata":{"labels":{"team":"x"}}}}}`,
	}, {
		name: "two fixes share a created parent",
		obj:  `{}`,
		fixes: []Finding{
			fix("a", 1, "spec", "jobTemplate", "spec", "activeDeadlineSeconds"),
			fix("b", 2, "spec", "jobTemplate", "spec", "ttlSecondsAfterFinished"),
			fix("c", "Forbid", "spec", "concurrencyPolicy"),
			fix("d", 3, "spec", "jobTemplate", "spec", "activeDeadlineSeconds"), // set by a already
		},
		patch:   `[{"op":"add","path":"/spec","value":{"concurrencyPolicy":"Forbid","jobTemplate":{"spec":{"activeDeadlineSeconds":1,"ttlSecondsAfterFinished":2}}}}]`,
		applied: 3,
		want:    `{"spec":{"concurrencyPolicy":"Forbid","jobTemplate":{"spec":{"activeDeadlineSeconds":1,"ttlSecondsAfterFinished":2}}}}`,
	}, {
		name:    "list elements are walked, never created",
		obj:     `{"spec":{"containers":[{"name":"a"}]}}`,
		fixes:   []Finding{fix("a", "Always", "spec", "containers", 0, "imagePullPolicy"), fix("b", "x", "spec", "containers", 1, "name")},
		patch:   `[{"op":"add","path":"/spec/containers/0/imagePullPolicy","value":"Always"}]`,
		applied: 1,
		want:    `{"spec":{"containers":[{"imagePullPolicy":"Always","name":"a"}]}}`,
	}, {
		name:    "keys are escaped",
		obj:     `{"metadata":{"annotations":{}}}`,
		fixes:   []Finding{fix("a", "x", "metadata", "annotations", "jobguard.io/owner~1")},
		patch:   `[{"op":"add","path":"/metadata/annotations/jobguard.io~1owner~01","value":"x"}]`,
		applied: 1,
		want:    `{"metadata":{"annotations":{"jobguard.io/owner~1":"x"}}}`,
	}, {
		name:    "a scalar on the way",
		obj:     `{"spec":"oops"}`,
		fixes:   []Finding{fix("a", 1, "spec", "x")},
		patch:   `null`,
		applied: 0,
		want:    `{"spec":"oops"}`,
	}} {
		t.Run(c.name, func(t *testing.T) {
			v, err := ast.ValueFromReader(strings.NewReader(c.obj))
			if err != nil {
				t.Fatal(err)
			}
			ops, applied := Patch(v.(ast.Object), c.fixes)
			raw, err := json.Marshal(ops)
			if err != nil {
				t.Fatal(err)
			}
			if string(raw) != c.patch {
				t.Errorf("patch\n got %s\nwant %s", raw, c.patch)
			}
			if len(applied) != c.applied {
				t.Errorf("%d fixes applied, want %d", len(applied), c.applied)
			}
			out := []byte(c.obj)
			if len(ops) > 0 {
				p, err := jsonpatch.DecodePatch(raw)
				if err != nil {
					t.Fatal(err)
				}
				if out, err = p.Apply(out); err != nil {
					t.Fatalf("the patch does not apply: %v", err)
				}
			}
			if !jsonpatch.Equal(out, []byte(c.want)) {
				t.Errorf("patched\n got %s\nwant %s", out, c.want)
			}
		})
	}
}

func TestDescribeFix(t *testing.T) {
	for want, f := range map[string]Finding{
		"spec.ttlSecondsAfterFinished=86400":              fix("a", int64(86400), "spec", "ttlSecondsAfterFinished"),
		"spec.concurrencyPolicy=Forbid":                   fix("a", "Forbid", "spec", "concurrencyPolicy"),
		`metadata.labels={"team":"x"}`:                    fix("a", map[string]any{"team": "x"}, "metadata", "labels"),
		`metadata.annotations["jobguard.io/owner"]=alice`: fix("a", "alice", "metadata", "annotations", "jobguard.io/owner"),
	} {
		if got := DescribeFix(f); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}
