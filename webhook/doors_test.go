package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/webhook"
)

// TestLintAndWebhookAgree: jobguard's two front doors give the same answer for every object of
// testdata/: the rule ids lint reports on the object alone are the rules the webhook reports on
// its CREATE, and their severities decide the webhook's answer as the default modes say (error
// denies, warning warns, info is audited). With webhook.mode: warn every finding, info included,
// comes back as a warning, so the whole list is compared.
func TestLintAndWebhookAgree(t *testing.T) {
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	byDefault, err := webhook.New(webhook.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), ".jobguard.yaml")
	if err := os.WriteFile(cfg, []byte("webhook:\n  mode: warn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	allWarn, err := webhook.New(webhook.Options{ConfigFile: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	objects, compared := 0, 0
	for _, f := range files {
		objs, errs := lint.Read(f, nil, lint.RenderOptions{})
		for _, e := range errs {
			t.Error(e) // an object lint cannot read is one the doors are not compared on
		}
		for _, o := range objs {
			ref := policies.ObjectRefOf(o.Value)
			if !strings.HasPrefix(ref.APIVersion, "batch/") && !strings.HasPrefix(ref.APIVersion, "rbac.authorization.k8s.io/") {
				continue // the webhook is registered for batch and RBAC objects only
			}
			doc := jsonOf(t, o.Value)
			report, err := lint.New(engine, lint.WithStdin(bytes.NewReader(doc))).Lint(ctx, []string{lint.StdinName})
			if err != nil {
				t.Fatal(err)
			}
			var all, errors, warnings []string
			for _, finding := range report.Findings {
				all = append(all, finding.Rule)
				switch finding.Severity {
				case policies.SeverityError:
					errors = append(errors, finding.Rule)
				case policies.SeverityWarning:
					warnings = append(warnings, finding.Rule)
				}
			}
			where := fmt.Sprintf("%s:%d %s", f, o.Line, ref)
			objects++
			compared += len(all)

			resp := allWarn.Validator().Handle(ctx, request(t, admissionv1.Create, doc))
			if got := warningsOf(resp); !equalSorted(got, all) {
				t.Errorf("%s: webhook (mode warn) reports %v, lint %v", where, got, all)
			}
			resp = byDefault.Validator().Handle(ctx, request(t, admissionv1.Create, doc))
			if got := deniedRules(message(resp)); !equalSorted(got, errors) {
				t.Errorf("%s: webhook denies for %v, lint's errors are %v", where, got, errors)
			}
			if got := warningsOf(resp); !equalSorted(got, warnings) {
				t.Errorf("%s: webhook warns about %v, lint's warnings are %v", where, got, warnings)
			}
		}
	}
	t.Logf("compared %d findings on %d objects", compared, objects)
	if objects < 40 || compared < 60 {
		t.Errorf("compared %d findings on %d objects; testdata/ has more", compared, objects)
	}
}

func jsonOf(t *testing.T, v ast.Object) []byte {
	t.Helper()
	plain, err := ast.JSON(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// deniedRules reads the rule ids of a denial ("[rule-id] message" lines).
func deniedRules(msg string) []string {
	var ids []string
	for line := range strings.SplitSeq(msg, "\n") {
		if id, ok := strings.CutPrefix(line, "["); ok {
			id, _, _ = strings.Cut(id, "]")
			ids = append(ids, id)
		}
	}
	return ids
}

func equalSorted(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
