package output

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

func TestShortClause(t *testing.T) {
	tests := []struct{ message, want string }{
		{"concurrencyPolicy is not set, so it is Allow, and no activeDeadlineSeconds ends a hung run: the next run starts beside it", "concurrencyPolicy is not set"},
		{`image "bitnami/kubectl:latest" uses the latest tag, which can change between runs`, `image "bitnami/kubectl:latest" uses the latest tag`},
		// separators inside quotes, backticks and brackets do not end the clause
		{"`sh -c 'a; b'` needs get on pods \"x, y\" (group: apps), which it lacks", "`sh -c 'a; b'` needs get on pods \"x, y\" (group: apps)"},
		// long asides go, short ones stay
		{`namespace "Bad" is not a valid namespace name (a lowercase RFC 1123 label must consist of lower case alphanumeric characters): it never matches`, `namespace "Bad" is not a valid namespace name`},
		{"3 containers (\"scale-down-service\", \"redis-flush-all\", \"scale-up-service\") start together and run at the same time, not in order", "3 containers start together and run at the same time"},
		{"no separator at all", "no separator at all"},
		{"a dash — then more", "a dash"},
		{`escaped \"quote, inside" still one, clause`, `escaped \"quote, inside" still one`},
		// the note about an ignore comment without a reason is kept
		{"image \"x\" has no tag, so it means :latest (the jobguard:ignore comment on line 3 gives no reason, so it does not apply)", "image \"x\" has no tag (the jobguard:ignore comment on line 3 gives no reason, so it does not apply)"},
	}
	for _, tt := range tests {
		if got := shortClause(tt.message); got != tt.want {
			t.Errorf("shortClause(%q)\n got %q\nwant %q", tt.message, got, tt.want)
		}
	}
}

func TestMergeClauses(t *testing.T) {
	f := func(msg string) policies.Finding { return policies.Finding{Message: msg} }
	tests := []struct {
		messages []string
		want     string
	}{
		{[]string{"`kubectl scale deployment web` needs get on deployments (group apps) \"web\", which it lacks", "`kubectl scale deployment web` needs patch on deployments/scale (group apps) \"web\", which it lacks"},
			"`kubectl scale deployment web` needs get on deployments, patch on deployments/scale (group apps) \"web\""},
		{[]string{"same clause, one reason", "same clause, another reason"}, "same clause"},
		// nothing in common at the start: listed, not merged
		{[]string{"get is missing", "patch is missing"}, "get is missing; patch is missing"},
		// the difference is more than a few words: listed
		{[]string{"x needs a b c d e f g h", "x needs i j k l m n o p"}, "x needs a b c d e f g h; x needs i j k l m n o p"},
	}
	for _, tt := range tests {
		var findings []policies.Finding
		for _, m := range tt.messages {
			findings = append(findings, f(m))
		}
		if got := mergeClauses(findings); got != tt.want {
			t.Errorf("mergeClauses(%q)\n got %q\nwant %q", tt.messages, got, tt.want)
		}
	}
}

// TestShortMessageKeepsWhereToFix: the Helm values note lint appends (where the field's value
// was set) survives shortening, and so does the note about an ignore comment without a reason.
func TestShortMessageKeepsWhereToFix(t *testing.T) {
	related := []policies.RelatedLocation{{Position: policies.Position{File: "values.yaml", Line: 3, Column: 1}, Role: policies.RoleValues, Message: ".Values.restartPolicy"}}
	f := policies.Finding{Related: related, Message: `restartPolicy "Always" is not valid for a Job; valid values: "OnFailure", "Never" (.Values.restartPolicy from values.yaml:3:1)`}
	if got, want := shortMessage(f), `restartPolicy "Always" is not valid for a Job (.Values.restartPolicy from values.yaml:3:1)`; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	f.Message += " (the jobguard:ignore comment on line 2 gives no reason, so it does not apply)"
	if got, want := shortMessage(f), `restartPolicy "Always" is not valid for a Job (.Values.restartPolicy from values.yaml:3:1) (the jobguard:ignore comment on line 2 gives no reason, so it does not apply)`; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestShortClauseGoesOnAfterASubject(t *testing.T) {
	tests := []struct{ message, want string }{
		{`label team: value "platform/data" is not valid: a valid label must be`, `label team: value "platform/data" is not valid`},
		{`env 0 of container "main": name "MODE=fast" is not valid: a valid name`, `env 0 of container "main": name "MODE=fast" is not valid`},
		{`backoffLimit is -1: it must be 0 or more`, `backoffLimit is -1`},
	}
	for _, tt := range tests {
		if got := shortClause(tt.message); got != tt.want {
			t.Errorf("shortClause(%q)\n got %q\nwant %q", tt.message, got, tt.want)
		}
	}
}

// TestTextMergesOneFieldOnly: audit findings have no line, so all of an object's share one
// position; only those at one field (the permissions of one kubectl command) become one line,
// not every finding of the rule on the object.
func TestTextMergesOneFieldOnly(t *testing.T) {
	obj := policies.ObjectRef{Kind: "CronJob", Namespace: "default", Name: "c", APIVersion: "batch/v1"}
	at := func(container int, msg string) policies.Finding {
		return policies.Finding{Rule: "rbac-insufficient", Severity: policies.SeverityError, Message: msg, Object: obj,
			Path:     policies.FieldPath{"spec", "containers", container, "command", 2},
			Position: policies.Position{File: "default/CronJob/c"}}
	}
	report := &lint.Report{Findings: []policies.Finding{
		at(0, "`kubectl exec r` needs create on pods/exec \"r\", which ServiceAccount default/default lacks; grant it: A"),
		at(0, "`kubectl exec r` needs get on pods \"r\", which ServiceAccount default/default lacks; grant it: B"),
		at(1, "`kubectl scale deploy/w` needs patch on deployments/scale \"w\", which ServiceAccount default/default lacks; grant it: C"),
	}}
	var out bytes.Buffer
	if err := (textFormatter{}).Format(&out, report); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"default/CronJob/c: error rbac-insufficient: `kubectl exec r` needs create on pods/exec, get on pods \"r\"\n",
		"default/CronJob/c: error rbac-insufficient: `kubectl scale deploy/w` needs patch on deployments/scale \"w\"\n",
		"; 2 of them merged into 1 line\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
