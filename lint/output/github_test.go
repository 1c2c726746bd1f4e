package output

import (
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
)

func TestGitHub(t *testing.T) {
	r := sampleReport()
	out := formatted(t, GitHub, r)
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		// Input errors first, like the text format; no line when it is unknown.
		"::error file=deploy/broken.yaml,line=3,title=input-error::not valid YAML (tabs); indent with spaces",
		"::error file=missing.yaml,title=input-error::no such file or directory",
		// Standard input has no file to annotate.
		"::notice title=job-missing-active-deadline::Job piped: activeDeadlineSeconds is not set%0ASet activeDeadlineSeconds.",
		// , and : are escaped in properties, not in the message.
		"::warning file=deploy/a%2Cb%3Ac.yaml,line=7,col=1,title=cron-concurrency-unset::CronJob ops/nightly: concurrencyPolicy is not set%0ASet spec.concurrencyPolicy to Forbid.",
		// %, CR and LF are escaped in the message.
		"::notice file=deploy/a%2Cb%3Ac.yaml,line=10,col=5,title=job-missing-active-deadline::CronJob ops/nightly: 100%25 of runs%0Amay hang, forever%0ASet activeDeadlineSeconds.",
		`::error file=deploy/rbac.yaml,line=9,col=13,title=rbac-wildcard::ClusterRole everything: "*" in verbs grants every verb%0AList the verbs instead of "*".`,
		Summary(r),
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
	if strings.HasPrefix(got[len(got)-1], "::") {
		t.Errorf("the summary should be plain text: %s", got[len(got)-1])
	}
}

func TestGitHubEscaping(t *testing.T) {
	for _, c := range []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"k: v, w", "k: v, w", "k%3A v%2C w"},
		{"%0A", "%250A", "%250A"}, // an already escaped-looking text stays literal
	} {
		if got := escapeData(c.in); got != c.data {
			t.Errorf("escapeData(%q) = %q, want %q", c.in, got, c.data)
		}
		if got := escapeProperty(c.in); got != c.prop {
			t.Errorf("escapeProperty(%q) = %q, want %q", c.in, got, c.prop)
		}
	}
}

// TestGitHubStdinInputError: an input error in standard input has no file to annotate, so its
// place leads the message, as in SARIF.
func TestGitHubStdinInputError(t *testing.T) {
	r := &lint.Report{InputErrors: []*lint.InputError{{File: lint.StdinName, Line: 5, Column: 1, Message: "not valid YAML (tabs)"}}}
	want := "::error title=input-error::standard input:5:1: not valid YAML (tabs)\n"
	if first, _, _ := strings.Cut(formatted(t, GitHub, r), "\n"); first+"\n" != want {
		t.Errorf("got %q, want %q", first+"\n", want)
	}
}
