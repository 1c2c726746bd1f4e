package lint

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/jobguard/jobguard/policies"
)

func names(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, policies.ObjectRefOf(o.Value).Name)
	}
	return out
}

func TestDecodeMultiDocumentKeepsLines(t *testing.T) {
	src := `# leading comment
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
---
# an empty document above
apiVersion: batch/v1
kind: Job
metadata:
  name: b
--- {apiVersion: v1, kind: Secret, metadata: {name: c}}
...
`
	objs, errs := Decode("f.yaml", []byte(src))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if got := strings.Join(names(objs), ","); got != "a,b,c" {
		t.Fatalf("objects = %s, want a,b,c", got)
	}
	if objs[1].Line != 8 || objs[2].Line != 12 {
		t.Errorf("lines = %d, %d; want 8, 12", objs[1].Line, objs[2].Line)
	}
	line, col := Locate(objs[1].Node, policies.FieldPath{"metadata", "name"})
	if line != 11 || col != 3 {
		t.Errorf("metadata.name at %d:%d, want 11:3", line, col)
	}
}

func TestDecodeBrokenDocumentDoesNotHideOthers(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: [unclosed\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	objs, errs := Decode("f.yaml", []byte(src))
	if got := strings.Join(names(objs), ","); got != "a,c" {
		t.Errorf("objects = %s, want a,c", got)
	}
	if len(errs) != 1 || errs[0].Line < 5 || !strings.Contains(errs[0].Message, "not valid YAML") {
		t.Fatalf("errors = %v, want one parse error on line 5 or later", errs)
	}
}

func TestDecodeList(t *testing.T) {
	src := `apiVersion: v1
kind: List
items:
  - apiVersion: batch/v1
    kind: Job
    metadata: {name: one}
  - apiVersion: batch/v1
    kind: Job
    metadata: {name: two}
`
	objs, errs := Decode("f.yaml", []byte(src))
	if len(errs) > 0 || strings.Join(names(objs), ",") != "one,two" {
		t.Fatalf("objects = %v, errors = %v; want one,two", names(objs), errs)
	}
	if objs[1].Line != 7 {
		t.Errorf("second item at line %d, want 7", objs[1].Line)
	}
}

func TestDecodeJSON(t *testing.T) {
	src := "{\n  \"apiVersion\": \"batch/v1\",\n  \"kind\": \"Job\",\n  \"metadata\": {\"name\": \"j\"},\n  \"spec\": {\"backoffLimit\": 3}\n}\n"
	objs, errs := Decode("f.json", []byte(src))
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("objects = %v, errors = %v", names(objs), errs)
	}
	limit := objs[0].Value.Get(ast.StringTerm("spec")).Value.(ast.Object).Get(ast.StringTerm("backoffLimit"))
	if limit.Value.Compare(ast.Number("3")) != 0 {
		t.Errorf("backoffLimit = %v, want the number 3", limit)
	}
}

func TestDecodeScalarTypes(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  s: \"5\"\n  i: 5\n  f: 1.5\n  b: true\n  n: null\n  t: 2024-01-01\n"
	objs, _ := Decode("f.yaml", []byte(src))
	data := objs[0].Value.Get(ast.StringTerm("data")).Value.(ast.Object)
	want := map[string]ast.Value{
		"s": ast.String("5"), "i": ast.Number("5"), "f": ast.Number("1.5"), "b": ast.Boolean(true),
		"n": ast.NullValue, "t": ast.String("2024-01-01"),
	}
	for k, v := range want {
		if got := data.Get(ast.StringTerm(k)).Value; got.Compare(v) != 0 {
			t.Errorf("%s = %v (%T), want %v", k, got, got, v)
		}
	}
}

func TestDecodeMergeKeysAndAliases(t *testing.T) {
	src := `apiVersion: batch/v1
kind: Job
metadata:
  name: j
  labels: &labels {team: a, tier: batch}
  annotations:
    <<: *labels
    tier: override
`
	objs, errs := Decode("f.yaml", []byte(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ann := objs[0].Value.Get(ast.StringTerm("metadata")).Value.(ast.Object).Get(ast.StringTerm("annotations")).Value.(ast.Object)
	if ann.Get(ast.StringTerm("team")).Value.Compare(ast.String("a")) != 0 || ann.Get(ast.StringTerm("tier")).Value.Compare(ast.String("override")) != 0 {
		t.Errorf("annotations = %v, want team=a from the merge and tier=override", ann)
	}
}

func TestDecodeHostileInput(t *testing.T) {
	bomb := "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	tests := []struct {
		name, src, want string
		line            int
	}{
		{"alias bomb", bomb, "alias bomb", 0},
		{"duplicate key", "apiVersion: v1\nkind: ConfigMap\nkind: Secret\n", `duplicate key "kind" (first at line 2)`, 3},
		{"tab indentation", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n", "tabs", 4},
		{"invalid UTF-8", "apiVersion: v1\nkind: \xff\xfe\n", "not valid UTF-8", 2},
		{"binary", "\x00\x01\x02\xff", "not valid UTF-8", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := Decode("f.yaml", []byte(tt.src))
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want one", errs)
			}
			if !strings.Contains(errs[0].Message, tt.want) {
				t.Errorf("message %q does not mention %q", errs[0].Message, tt.want)
			}
			if tt.line != 0 && errs[0].Line != tt.line {
				t.Errorf("line = %d, want %d", errs[0].Line, tt.line)
			}
		})
	}
}

func TestLocateMissingFieldPointsAtParent(t *testing.T) {
	src := "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: busybox\n"
	objs, _ := Decode("f.yaml", []byte(src))
	tests := []struct {
		path      policies.FieldPath
		line, col int
	}{
		{policies.FieldPath{"spec", "ttlSecondsAfterFinished"}, 5, 1},
		{policies.FieldPath{"spec", "template", "spec", "restartPolicy"}, 7, 5},
		{policies.FieldPath{"spec", "template", "spec", "containers", 0, "image"}, 10, 11},
		{policies.FieldPath{"spec", "template", "spec", "containers", 3, "image"}, 8, 7},
	}
	for _, tt := range tests {
		if line, col := Locate(objs[0].Node, tt.path); line != tt.line || col != tt.col {
			t.Errorf("Locate(%s) = %d:%d, want %d:%d", tt.path, line, col, tt.line, tt.col)
		}
	}
}

// TestDecodeInvalidUTF8EndsTheStream: text that is not UTF-8 ends the stream (a binary file?),
// with one error at its line; the documents before it were read (they were handed to evaluation
// already when streaming).
func TestDecodeInvalidUTF8EndsTheStream(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: M\xfcnchen}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	objs, errs := Decode("f.yaml", []byte(src))
	if got := strings.Join(names(objs), ","); got != "a" {
		t.Errorf("objects = %s, want a", got)
	}
	if len(errs) != 1 || errs[0].Line != 7 || !strings.Contains(errs[0].Message, "not valid UTF-8") {
		t.Errorf("errors = %v, want one on line 7", errs)
	}
}

// TestDecodeStreamHoldsOneDocument: documents are handed over one at a time, each before the
// next is read.
func TestDecodeStreamHoldsOneDocument(t *testing.T) {
	var src strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&src, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\n", i)
	}
	r := &countingReader{r: strings.NewReader(src.String())}
	var readWhenYielded []int64
	errs, _ := decodeStream("f.yaml", r, func(o Object, from origin) bool {
		if from.item != 0 || from.doc.line != o.Line-1 {
			t.Errorf("object at line %d: origin %+v", o.Line, from)
		}
		readWhenYielded = append(readWhenYielded, r.n)
		return true
	})
	if len(errs) > 0 || len(readWhenYielded) != 1000 {
		t.Fatalf("%d objects, errors %v", len(readWhenYielded), errs)
	}
	if readWhenYielded[0] >= int64(src.Len()) {
		t.Errorf("the whole stream (%d bytes) was read before the first object was handed over", src.Len())
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p[:min(len(p), 512)])
	c.n += int64(n)
	return n, err
}

// TestDecodeMisspeltKinds: documents that mean to be a Job, CronJob or RBAC object but that
// no rule would check are input errors at the kind (or apiVersion); an unknown version of a known
// kind, a kind of another group and documents that are no Kubernetes object are not.
func TestDecodeMisspeltKinds(t *testing.T) {
	tests := []struct {
		doc      string
		wantLine int
		wantCol  int
		want     string // "" for no error
	}{
		{"apiVersion: batch/v1\nkind: job\nmetadata: {name: a}\n", 2, 7, `kind "job" is not a kind of batch/v1`},
		{"apiVersion: batch/v1\nkind: CronJobs\n", 2, 7, "did you mean CronJob?"},
		{"apiVersion: rbac.authorization.k8s.io/v1\nkind: Rolebinding\n", 2, 7, "did you mean RoleBinding?"},
		{"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBindin\n", 2, 7, "did you mean ClusterRoleBinding?"},
		{"kind: Job\nmetadata: {name: a}\n", 1, 7, "Job without apiVersion"},
		{"metadata: {name: a}\nkind: Cronjob\n", 2, 7, "did you mean kind: CronJob with apiVersion: batch/v1?"},
		{"apiVersion: batch/v1\nmetadata: {name: a}\n", 1, 13, "apiVersion batch/v1 without kind"},
		{"apiVersion: v1\nkind: List\nitems:\n- apiVersion: batch/v1\n  kind: jobs\n", 5, 9, "did you mean Job?"},
		{"apiVersion: batch/v2\nkind: Job\n", 0, 0, ""},                  // deprecated-api's
		{"apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\n", 0, 0, ""}, // another group's Job
		{"apiVersion: example.com/v1\nkind: CronTab\n", 0, 0, ""},        // one edit from nothing
		{"apiVersion: v1\nkind: Node\n", 0, 0, ""},                       // two edits from Role
		{"apiVersion: apps/v1\nkind: Deployment\n", 0, 0, ""},
		{"image: {tag: latest}\nreplicas: 2\n", 0, 0, ""}, // a values file
	}
	for _, tt := range tests {
		_, errs := Decode("f.yaml", []byte(tt.doc))
		switch {
		case tt.want == "" && len(errs) > 0:
			t.Errorf("%q: unexpected errors %v", tt.doc, errs)
		case tt.want == "":
		case len(errs) != 1:
			t.Errorf("%q: errors %v, want one saying %q", tt.doc, errs, tt.want)
		case !strings.Contains(errs[0].Message, tt.want) || errs[0].Line != tt.wantLine || errs[0].Column != tt.wantCol:
			t.Errorf("%q: got %d:%d %s, want %d:%d …%s…", tt.doc, errs[0].Line, errs[0].Column, errs[0].Message, tt.wantLine, tt.wantCol, tt.want)
		}
	}
}

// TestDecodeStreamCountsSkippedDocuments: documents that are no Kubernetes object are counted,
// empty ones and comments are not.
func TestDecodeStreamCountsSkippedDocuments(t *testing.T) {
	src := "# only a comment\n---\nfoo: 1\n---\n- a list\n---\napiVersion: v1\nkind: ConfigMap\n---\n"
	n := 0
	errs, skipped := decodeStream("f.yaml", strings.NewReader(src), func(Object, origin) bool { n++; return true })
	if len(errs) > 0 || n != 1 || skipped != 2 {
		t.Errorf("errors %v, %d objects, %d skipped; want none, 1 (the ConfigMap), 2 (the mapping and the list)", errs, n, skipped)
	}
}

// TestParseErrorLines: syntax errors name the bad line, as an editor counts, not the line
// before it or where the enclosing mapping starts; a tab in the indentation has its column.
func TestParseErrorLines(t *testing.T) {
	tests := []struct {
		name, doc  string
		line, col  int
		wantInText string
	}{
		{"indentation of a key", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: a\n  labels:\n    a: b\n   bad: x\nspec: {}\n", 7, 0, "did not find expected key"},
		{"a list item out of line", "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: b\n       - name: c\n", 9, 0, "did not find expected key"},
		{"unclosed flow list", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: a\nspec:\n  template: [unclosed\n  foo: bar\n", 6, 0, "did not find expected ',' or ']'"},
		{"tab", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: a\n\tlabels: {}\n", 5, 1, "tab"},
		{"tab after spaces", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: a\n  \tlabels: {}\n", 5, 3, "tab"},
		{"mapping in a value (scanner)", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: a\n   bad: indent\n", 5, 0, "mapping values are not allowed"},
		{"in a later document", "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: a\n  labels:\n    a: b\n   bad: x\n", 10, 0, "did not find expected key"},
	}
	for _, tt := range tests {
		_, errs := Decode("f.yaml", []byte(tt.doc))
		if len(errs) != 1 || errs[0].Line != tt.line || errs[0].Column != tt.col || !strings.Contains(errs[0].Message, tt.wantInText) {
			t.Errorf("%s: %v; want %d:%d …%s…", tt.name, errs, tt.line, tt.col, tt.wantInText)
		}
	}
}
