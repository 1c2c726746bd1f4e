package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/policies"
)

// TestRulesDoc fails when docs/rules.md is not what the rule metadata and the fixtures in
// testdata/<rule-id>/ generate; `make docs` rewrites it.
func TestRulesDoc(t *testing.T) {
	t.Chdir("../..")
	engine, err := policies.New()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString("# jobguard rules\n\n<!-- Generated from the rules' # METADATA and testdata/<rule-id>/ by `make docs`; do not edit. -->\n\n")
	b.WriteString("Severity: **error** means the API server rejects the object or it can never work, **warning** that it is accepted but risky or wasteful, **info** advice. ")
	b.WriteString("Exempt an object with the annotation `jobguard.io/ignore: \"<rule-id>[,<rule-id>...]\"`, or a field with a `# jobguard:ignore <rule-id> <reason>` comment on the line above it.\n\n")
	b.WriteString(RulesMarkdown(engine.Rules()))
	for _, r := range engine.Rules() {
		fmt.Fprintf(&b, "\n## `%s`\n\n%s. Severity **%s**; applies to %s.\n\n%s\n\n**Fix:** %s\n", r.ID, r.Title, r.Severity, kindList(r), r.Description, r.Remediation)
		if len(r.Params) > 0 {
			b.WriteString("\n**Parameters** (set them under `rules." + r.ID + ".params` in `.jobguard.yaml`):\n\n")
			keys := make([]string, 0, len(r.Params))
			for k := range r.Params {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, "- `%s`: default `%v`\n", k, r.Params[k])
			}
		}
		if r.Fix != nil {
			what := fmt.Sprintf("`%v`", r.Fix.Value)
			if r.Fix.Param != "" {
				what = fmt.Sprintf("the `%s` parameter (default `%v`)", r.Fix.Param, r.Params[r.Fix.Param])
			}
			optIn := ""
			if r.Fix.OptIn {
				optIn = " It changes behaviour, so the webhook applies it only when listed in `webhook.mutation.optIn`."
			}
			fmt.Fprintf(&b, "\n**Default injected** by the mutating webhook when the field is absent: `%s` set to %s.%s\n", r.Fix.Field, what, optIn)
		}
		if len(r.Sources) > 0 {
			b.WriteString("\n**Sources** (what each claim above rests on):\n\n")
			for _, s := range r.Sources {
				fmt.Fprintf(&b, "- [%s](%s): %s\n", sourceName(s.Ref), s.Ref, s.Description)
			}
		}
		for _, ex := range []struct{ file, title string }{{"bad.yaml", "Fires on"}, {"good.yaml", "Passes"}} {
			data, err := os.ReadFile(filepath.Join("testdata", r.ID, ex.file))
			if err != nil {
				t.Fatalf("%s: %v", r.ID, err)
			}
			fmt.Fprintf(&b, "\n<details><summary>%s (testdata/%s/%s)</summary>\n\n```yaml\n%s\n```\n</details>\n", ex.title, r.ID, ex.file, strings.TrimRight(string(data), "\n"))
		}
	}
	ex := map[string]examples{}
	for _, r := range engine.Rules() {
		bad, _ := os.ReadFile(filepath.Join("testdata", r.ID, "bad.yaml"))
		good, _ := os.ReadFile(filepath.Join("testdata", r.ID, "good.yaml"))
		ex[r.ID] = examples{Bad: string(bad), Good: string(good)}
	}
	exJSON, err := json.MarshalIndent(ex, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]byte{"docs/rules.md": b.Bytes(), "cmd/jobguard/rule_examples.json": append(exJSON, '\n')} {
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is out of date; run make docs", path)
		}
	}
}
