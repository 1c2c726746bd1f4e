package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/policies"
)

func newTestCommand() *cobra.Command {
	var verbose bool
	var allowBuiltins []string
	cmd := &cobra.Command{
		Use:   "test DIR...",
		Short: "Run the Rego tests of custom rules, with jobguard's builtins and library",
		Long: `Run the tests (rules named test_*) in the .rego files of each DIR, the way opa test would, but
with what jobguard rules can use: the jobguard.* builtins, the library under data.jobguard.lib and
every rule's default parameters under data.jobguard.params. The custom rules are also checked
against the metadata contract, as jobguard lint --policy would load them.`,
		Example: `  jobguard test testdata/custom-policy/policy`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			opts := []policies.Option{policies.WithAllowedBuiltins(allowBuiltins...)}
			for _, d := range dirs {
				if info, err := os.Stat(d); err != nil || !info.IsDir() {
					return &exitError{exitUsage, fmt.Errorf("%s: not a directory", d)}
				}
				opts = append(opts, policies.WithPolicyDir(d))
			}
			results, err := policies.RunTests(cmd.Context(), false, opts...)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			w := cmd.OutOrStdout()
			passed, failed, skipped := 0, 0, 0
			for _, r := range results {
				switch {
				case r.Err != nil:
					failed++
					fmt.Fprintf(w, "ERROR %s (%s): %v\n", r.Name, r.File, r.Err)
				case r.Skip:
					skipped++
					if verbose {
						fmt.Fprintf(w, "SKIP  %s\n", r.Name)
					}
				case !r.Pass:
					failed++
					fmt.Fprintf(w, "FAIL  %s (%s)\n", r.Name, r.File)
				default:
					passed++
					if verbose {
						fmt.Fprintf(w, "PASS  %s (%s)\n", r.Name, r.Duration)
					}
				}
			}
			fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
			switch {
			case failed > 0:
				return &exitError{code: exitFindings}
			case passed == 0:
				return &exitError{exitUsage, fmt.Errorf("no test_ rules found in %v", dirs)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every test, not only failures")
	addAllowBuiltinFlag(cmd.Flags(), &allowBuiltins)
	return cmd
}
