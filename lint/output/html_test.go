package output

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// TestHTMLEscapesAndPlacesSource: text from manifests (names, messages, source lines) is
// escaped, the finding's line is marked among its neighbours, and standard input has no source.
func TestHTMLEscapesAndPlacesSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(file, []byte("a: 1\nb: 2\nc: <script>alert(1)</script>\nd: 4\ne: 5\nf: 6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	finding := func(file string, line int) policies.Finding {
		return policies.Finding{Rule: "r", Severity: policies.SeverityWarning, Message: `name "<img onerror=x>" is bad, really`,
			Object: policies.ObjectRef{Kind: "Job", Name: "<b>j</b>", APIVersion: "batch/v1"}, Position: policies.Position{File: file, Line: line, Column: 1}}
	}
	report := &lint.Report{Findings: []policies.Finding{finding(file, 3), finding(lint.StdinName, 2)},
		Rules: []*policies.Rule{{ID: "r", Title: "A rule", Description: "Why it matters.", Remediation: "Do this."}}}
	var out bytes.Buffer
	if err := (htmlFormatter{}).Format(&out, report); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, raw := range []string{"<script>alert", "<img onerror", "<b>j</b>"} {
		if strings.Contains(page, raw) {
			t.Errorf("%q is not escaped", raw)
		}
	}
	for _, want := range []string{
		`<span><i>1</i>a: 1</span>`, `<span class="mark"><i>3</i>c: &lt;script&gt;alert(1)&lt;/script&gt;</span>`, `<span><i>5</i>e: 5</span>`,
		`<div class="msg">name &#34;&lt;img onerror=x&gt;&#34; is bad</div>`, "Why it matters.", "Fix: Do this.",
		`data-file="stdin"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "<i>6</i>") {
		t.Error("more than two lines of context after the finding")
	}
	if n := strings.Count(page, `<pre class="src">`); n != 2 { // the file's finding, in both views; stdin has none
		t.Errorf("%d source blocks, want 2", n)
	}
}

// TestHTMLMergesOnePlace: findings of one rule at one place that differ in the permission are
// one entry (in each view), whose short message lists the permissions and whose details keep
// each whole message, as the text report prints one line for them.
func TestHTMLMergesOnePlace(t *testing.T) {
	obj := policies.ObjectRef{Kind: "Job", Name: "j", APIVersion: "batch/v1"}
	at := func(line int, msg string) policies.Finding {
		return policies.Finding{Rule: "rbac-insufficient", Severity: policies.SeverityError, Message: msg, Object: obj,
			Position: policies.Position{File: lint.StdinName, Line: line, Column: 1}}
	}
	report := &lint.Report{Findings: []policies.Finding{
		at(3, "`kubectl scale deploy/web` needs get on deployments \"web\", which ServiceAccount a/b lacks; grant it: GET"),
		at(3, "`kubectl scale deploy/web` needs patch on deployments/scale \"web\", which ServiceAccount a/b lacks; grant it: PATCH"),
		at(4, "`kubectl get pods` needs list on pods, which ServiceAccount a/b lacks; grant it: LIST"),
	}}
	var out bytes.Buffer
	if err := (htmlFormatter{}).Format(&out, report); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	if n := strings.Count(page, `<div class="msg">`); n != 4 { // two entries, in both views
		t.Errorf("%d entries, want 4 (the two places, by file and by rule)", n)
	}
	for _, want := range []string{
		"<div class=\"msg\">`kubectl scale deploy/web` needs get on deployments, patch on deployments/scale &#34;web&#34;</div>",
		"grant it: GET", "grant it: PATCH", "grant it: LIST",
		`data-count="2"`,                     // the filter's "N of M findings shown" counts findings, as the summary does
		`stdin <span class="count">3</span>`, // and so does the file's heading
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}
