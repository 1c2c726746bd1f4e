package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/policies"
)

func newRulesCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List every rule: id, severity and title",
		Long: `List every built-in rule, generated from the rules' own metadata.

The ids are stable: use them in --disable, in the jobguard.io/ignore annotation and in config.`,
		Example: `  jobguard rules
  jobguard rules -o json | jq '.[].id'
  jobguard rules -o markdown > rules.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			engine, err := policies.New()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch format {
			case "text":
				return writeRulesText(w, engine.Rules())
			case "json":
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(engine.Rules())
			case "markdown":
				_, err := io.WriteString(w, RulesMarkdown(engine.Rules()))
				return err
			}
			return &exitError{exitUsage, fmt.Errorf("-o: unknown format %q (valid: text, json, markdown)", format)}
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "text", "output format: text, json, markdown")
	return cmd
}

func writeRulesText(w io.Writer, rules []*policies.Rule) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tKINDS\tTITLE")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, kindList(r), r.Title)
	}
	return tw.Flush()
}

// RulesMarkdown renders the rule table for README.md.
func RulesMarkdown(rules []*policies.Rule) string {
	var b strings.Builder
	b.WriteString("| id | severity | kinds | what it catches | fix |\n|---|---|---|---|---|\n")
	for _, r := range rules {
		fix := ""
		if r.Fix != nil {
			fix = "sets `" + r.Fix.Field + "`"
			if r.Fix.OptIn {
				fix += " (opt-in)"
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", r.ID, r.Severity, kindList(r), r.Title, fix)
	}
	return b.String()
}

func kindList(r *policies.Rule) string {
	kinds := make([]string, len(r.Kinds))
	for i, k := range r.Kinds {
		kinds[i] = k.Kind
	}
	return strings.Join(kinds, ", ")
}
