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
			golden := filepath.Join("testdata", "golden", "report-"+c.name+".txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run make golden)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run make golden and review the diff):\n%s", golden, got)
			}
		})
	}
}
