package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/policies"
)

// ruleExamples holds, per rule id, the fixtures testdata/<rule-id>/bad.yaml and good.yaml,
// copied by `make docs` (TestRulesDoc fails when it is stale) so that the binary can show them.
//
//go:embed rule_examples.json
var ruleExamples []byte

type examples struct {
	Bad  string `json:"bad"`
	Good string `json:"good"`
}

// closestIDs returns the rule ids nearest to id: those within a third of its length in edits,
// closest first, at most three; an id that contains the word typed (ttl, wildcard) counts too.
func closestIDs(id string, ids []string) []string {
	type scored struct {
		id       string
		distance int
	}
	var near []scored
	limit := max(2, len(id)/3)
	for _, candidate := range ids {
		d := levenshtein.ComputeDistance(id, candidate)
		if len(id) >= 3 && strings.Contains(candidate, id) {
			d = min(d, limit)
		}
		if d <= limit {
			near = append(near, scored{candidate, d})
		}
	}
	slices.SortStableFunc(near, func(a, b scored) int { return a.distance - b.distance })
	var out []string
	for _, s := range near[:min(3, len(near))] {
		out = append(out, s.id)
	}
	return out
}

func newExplainCommand() *cobra.Command {
	var policyDirs []string
	cmd := &cobra.Command{
		Use:   "explain [RULE]",
		Short: "Show a rule's documentation, with an example that fires it and one that passes; without RULE, list the rules",
		Example: `  jobguard explain
  jobguard explain job-restart-policy
  jobguard explain rbac-insufficient`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			engine, err := policies.New()
			if err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
			var ids []string
			for _, r := range engine.Rules() {
				ids = append(ids, r.ID+"\t"+r.Title)
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := policyOptions(policyDirs)
			if err != nil {
				return err
			}
			engine, err := policies.New(opts...)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			if len(args) == 0 {
				if err := writeRulesText(cmd.OutOrStdout(), engine.Rules()); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "\njobguard explain RULE shows one rule's documentation and examples.")
				return nil
			}
			r := engine.Rule(args[0])
			if r == nil {
				var ids []string
				for _, r := range engine.Rules() {
					ids = append(ids, r.ID)
				}
				if near := closestIDs(args[0], ids); len(near) > 0 {
					return &exitError{exitUsage, fmt.Errorf("no rule %q; did you mean %s? (jobguard explain lists the rules)", args[0], strings.Join(near, " or "))}
				}
				return &exitError{exitUsage, fmt.Errorf("no rule %q; the rules are: %s", args[0], strings.Join(ids, ", "))}
			}
			var all map[string]examples
			if err := json.Unmarshal(ruleExamples, &all); err != nil {
				return fmt.Errorf("reading the embedded examples: %w", err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s (%s, %s)\n%s\n\n%s\n\nFix: %s\n", r.ID, r.Severity, kindList(r), r.Title, r.Description, r.Remediation)
			if len(r.Params) > 0 {
				fmt.Fprintf(w, "\nParameters (rules.%s.params in .jobguard.yaml):\n", r.ID)
				for _, k := range slices.Sorted(maps.Keys(r.Params)) {
					fmt.Fprintf(w, "  %s: %v\n", k, r.Params[k])
				}
			}
			if r.Fix != nil {
				fmt.Fprintf(w, "\nThe mutating webhook, lint --fix and mutate set %s when it is absent", r.Fix.Field)
				if r.Fix.OptIn {
					fmt.Fprint(w, " (opt-in: webhook.mutation.optIn)")
				}
				fmt.Fprintln(w, ".")
			}
			if len(r.Sources) > 0 {
				fmt.Fprintln(w, "\nSources:")
				for _, s := range r.Sources {
					fmt.Fprintf(w, "  %s\n    %s\n", s.Ref, s.Description)
				}
			}
			if ex, ok := all[r.ID]; ok {
				fmt.Fprintf(w, "\nFires on:\n\n%s\nPasses:\n\n%s", indent(ex.Bad), indent(ex.Good))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&policyDirs, "policy", nil, "directory of custom rules to explain too")
	return cmd
}

// sourceName shortens a source link to what a reader recognises: the path after the release,
// "pkg/controller/cronjob/utils.go" for .../kubernetes/blob/v1.36.3/pkg/controller/cronjob/utils.go.
func sourceName(ref string) string {
	if _, path, ok := strings.Cut(ref, "/blob/"); ok {
		if _, rest, ok := strings.Cut(path, "/"); ok {
			return rest
		}
	}
	return ref
}

func indent(s string) string {
	var b strings.Builder
	for l := range strings.SplitSeq(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

// policyOptions loads the custom rules of each --policy directory, named by their path in errors.
func policyOptions(dirs []string) ([]policies.Option, error) {
	var opts []policies.Option
	for _, dir := range dirs {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return nil, &exitError{exitUsage, fmt.Errorf("--policy %s: not a directory", dir)}
		}
		opts = append(opts, policies.WithPolicyDir(dir))
	}
	return opts, nil
}
