package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reportCases are command lines whose whole outcome (exit code, standard output and error) is
// pinned in testdata/golden/report-<name>.txt: what a user reads. Inputs are under
// cmd/jobguard/testdata/report/, out of TestGolden's way.
var reportCases = []struct {
	name string
	args []string
}{
	{"no-yaml", []string{"lint", "cmd/jobguard/testdata/report/no-yaml"}},
	{"not-kubernetes", []string{"lint", "cmd/jobguard/testdata/report/not-kubernetes"}},
	{"misspelt-kinds", []string{"lint", "--fail-on", "none", "cmd/jobguard/testdata/report/misspelt-kinds.yaml"}},
	// Nothing checked because the Jobs could not be read: the notice counts the input errors.
	{"nothing-readable", []string{"lint", "cmd/jobguard/testdata/report/nothing-readable.yaml"}},
	// The short report: first clauses, rbac-insufficient's permissions merged per command. The
	// summary table of a longer run: testdata/golden/seeds.txt.
	{"short", []string{"lint", "testdata/seeds/000-restart-cronjob.yaml"}},
	{"verbose", []string{"lint", "--verbose", "testdata/seeds/000-restart-cronjob.yaml"}},
	{"severity-warning", []string{"lint", "--severity", "warning", "testdata/seeds/001-book-notes.yaml"}},
	{"quiet", []string{"lint", "-q", "testdata/seeds"}},
	{"quiet-and-severity", []string{"lint", "-q", "--severity", "info", "testdata/seeds"}},
}

// TestGoldenReport compares each case with its golden file; -update rewrites them (make golden).
func TestGoldenReport(t *testing.T) {
	t.Chdir("../..")
	for _, c := range reportCases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := jobguard(t, "", append(c.args[:1:1], append([]string{"--color", "never"}, c.args[1:]...)...)...)
			got := fmt.Sprintf("$ jobguard %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(c.args, " "), code, stdout, stderr)
			checkGolden(t, filepath.Join("testdata", "golden", "report-"+c.name+".txt"), got)
		})
	}
}

// TestCustomRuleFailingOnOneObject: a custom rule that fails at run time on one object (two
// values for one complete rule) is an input error for that object and rule; its findings on the
// other objects, and the built-in rules' on all of them, are still reported, and lint exits 2.
func TestCustomRuleFailingOnOneObject(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy")
	if err := os.Mkdir(policy, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(policy, "owner.rego"), []byte(`# METADATA
# title: Jobs name their owner
# description: An owner label.
# custom:
#   id: owner-label
#   severity: warning
#   kinds: [Job]
#   remediation: Add an owner label.
package jobguard.rules.custom.owner_label

import data.jobguard.lib.result

owner := "one" if input.object.metadata.name != ""

owner := "two" if input.object.metadata.name == "broken"

deny contains result.fail(sprintf("no owner label (owner %s)", [owner]), ["metadata"]) if {
	not input.object.metadata.labels.owner
}
`))
	jobs := filepath.Join(dir, "jobs.yaml")
	writeFile(t, jobs, []byte(`apiVersion: batch/v1
kind: Job
metadata: {name: fine}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: a, image: "busybox:1.36"}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: broken}
spec: {template: {spec: {restartPolicy: Always, containers: [{name: a, image: "busybox:1.36"}]}}}
`))
	code, out, stderr := jobguard(t, "", "lint", "--color", "never", "--policy", policy, jobs)
	for _, want := range []string{
		jobs + `:6: error input: rule owner-label failed on Job broken, which it could not check: eval_conflict_error: rule data.jobguard.rules.custom.owner_label.owner produced conflicting values: "one" at ` + filepath.Join(policy, "owner.rego") + `:13 "two" at `,
		jobs + ":3:1: warning owner-label: no owner label (owner one)",        // the rule on the other Job
		jobs + ":9:26: error job-restart-policy: restartPolicy \"Always\" is", // built-in rules on the broken one
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if code != exitUsage {
		t.Errorf("exit %d, want %d\n%s%s", code, exitUsage, out, stderr)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestPapercuts: explain without a rule lists the rules, an unknown id suggests the closest;
// certs generate over existing files says "pass --force" without cobra's usage line; lint
// --help shows --require-reasons as a flag without an argument.
func TestPapercuts(t *testing.T) {
	code, out, _ := jobguard(t, "", "explain")
	if code != exitOK || !strings.Contains(out, "job-restart-policy") || !strings.Contains(out, "cron-timezone-invalid") || !strings.Contains(out, "jobguard explain RULE") {
		t.Errorf("explain without a rule: exit %d:\n%s", code, out)
	}
	for typed, want := range map[string]string{
		"job-restart-polcy": `no rule "job-restart-polcy"; did you mean job-restart-policy?`,
		"ttl":               "did you mean job-missing-ttl?",
		"rbac-wildcards":    "did you mean rbac-wildcard?",
	} {
		if code, _, stderr := jobguard(t, "", "explain", typed); code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("explain %s: exit %d, %q; want %q", typed, code, stderr, want)
		}
	}

	dir := t.TempDir()
	args := []string{"certs", "generate", "--service", "s", "--namespace", "n", "--out", dir}
	if code, _, stderr := jobguard(t, "", args...); code != exitOK {
		t.Fatalf("certs generate: exit %d: %s", code, stderr)
	}
	code, _, stderr := jobguard(t, "", args...)
	if code != exitUsage || !strings.Contains(stderr, "exists: pass --force to overwrite it") || strings.Contains(stderr, "--help") {
		t.Errorf("certs generate again: exit %d, %q; want the --force message alone", code, stderr)
	}
	if _, _, stderr := jobguard(t, "", "certs", "generate", "--frobnicate"); !strings.Contains(stderr, "Run 'jobguard --help' for usage.") {
		t.Errorf("cobra's own errors keep the usage hint: %q", stderr)
	}

	_, help, _ := jobguard(t, "", "lint", "--help")
	for _, line := range strings.Split(help, "\n") {
		if strings.Contains(line, "--require-reasons") {
			if fields := strings.Fields(line); fields[0] != "--require-reasons" || fields[1] != "a" {
				t.Errorf("--require-reasons is shown with an argument: %q", line)
			}
			if col := strings.Index(line, " a "); col > 40 {
				t.Errorf("the help column starts at %d: %q", col, line)
			}
		}
	}
}

// TestNothingCheckedInAnEmptyDirectory: a directory with no file at all (which git cannot hold,
// so not a golden case) passes, and says on standard error that nothing was checked.
func TestNothingCheckedInAnEmptyDirectory(t *testing.T) {
	code, out, stderr := jobguard(t, "", "lint", "--color", "never", t.TempDir())
	if code != exitOK || stderr != "jobguard: nothing checked: no .yaml, .yml or .json file found\n" || !strings.Contains(out, "in 0 checked objects from 0 files") {
		t.Errorf("exit %d\nstdout:\n%sstderr:\n%s", code, out, stderr)
	}
}

// TestCustomPolicyErrorsNameTheFile: a custom rule that does not load is named by its path, as
// given on the command line, not by the engine's policies#N.
func TestCustomPolicyErrorsNameTheFile(t *testing.T) {
	policy := t.TempDir()
	rule := "# METADATA\n# title: T\n# custom:\n#   id: broken-rule\n#   severity: warning\n#   kinds: [Job]\n#   remediation: R.\npackage jobguard.rules.custom.broken_rule\n"
	if err := os.WriteFile(filepath.Join(policy, "broken.rego"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := jobguard(t, "", "lint", "--policy", policy, "../../testdata/seeds")
	want := filepath.Join(policy, "broken.rego") + ": rule metadata: description is missing"
	if code != exitUsage || !strings.Contains(stderr, want) || strings.Contains(stderr, "policies#") {
		t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, exitUsage, want)
	}
}
