package output

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// textFormatter writes `file:line:col: severity rule-id: message`, a header per object, and a summary.
type textFormatter struct{ color bool }

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiRed   = "\x1b[31m"
	ansiYell  = "\x1b[33m"
	ansiBlue  = "\x1b[34m"
)

func (t textFormatter) paint(code, s string) string {
	if !t.color {
		return s
	}
	return code + s + ansiReset
}

func (t textFormatter) severity(s policies.Severity) string {
	switch s {
	case policies.SeverityError:
		return t.paint(ansiRed+ansiBold, string(s))
	case policies.SeverityWarning:
		return t.paint(ansiYell, string(s))
	}
	return t.paint(ansiBlue, string(s))
}

func (t textFormatter) Format(w io.Writer, r *lint.Report) error {
	bw := bufio.NewWriter(w)
	for _, e := range r.InputErrors {
		fmt.Fprintf(bw, "%s: %s %s: %s\n", e.Position(), t.severity(policies.SeverityError), t.paint(ansiDim, "input"), e.Message)
	}
	count := r.Count()
	if len(r.InputErrors) > 0 && count.Total > 0 {
		fmt.Fprintln(bw)
	}
	type group struct {
		file string
		obj  policies.ObjectRef
	}
	var current *group
	err := r.EachFinding(func(f policies.Finding) error {
		if g := (group{f.Position.File, f.Object}); current == nil || *current != g {
			if current != nil {
				fmt.Fprintln(bw)
			}
			current = &g
			fmt.Fprintln(bw, t.paint(ansiBold, f.Object.String())+t.paint(ansiDim, " ("+f.Object.APIVersion+")"))
		}
		fmt.Fprintf(bw, "%s%s: %s %s: %s\n", f.Position, t.source(f), t.severity(f.Severity), t.paint(ansiDim, f.Rule), f.Message)
		return nil
	})
	if err != nil {
		return err
	}
	if count.Total > 0 {
		fmt.Fprintln(bw)
	}
	fmt.Fprintln(bw, Summary(r))
	return bw.Flush()
}

// source names the template a finding's document was rendered from, after its position:
// " (mychart/templates/cronjob.yaml)", or, for a stream whose template was found, the template
// line the finding maps to: " (chart/templates/cronjob.yaml:17:11)".
func (t textFormatter) source(f policies.Finding) string {
	if at, ok := templateOf(f); ok {
		return " " + t.paint(ansiDim, "("+at.String()+")")
	}
	if f.Position.Source == "" {
		return ""
	}
	return " " + t.paint(ansiDim, "("+f.Position.Source+")")
}

// Summary is the closing line: what was found, in how much input.
func Summary(r *lint.Report) string {
	c := r.Count()
	s := fmt.Sprintf("%d %s (%d %s, %d %s, %d info) in %d %s from %d %s",
		c.Total, plural(c.Total, "finding", "findings"),
		c.Errors, plural(c.Errors, "error", "errors"),
		c.Warnings, plural(c.Warnings, "warning", "warnings"),
		c.Info,
		r.Objects, plural(r.Objects, "object", "objects"),
		r.Files, plural(r.Files, "file", "files"))
	if r.Cluster != "" {
		s = s[:strings.LastIndex(s, " from ")] + " from cluster " + r.Cluster
	}
	if n := len(r.Suppressed); n > 0 {
		s += fmt.Sprintf("; %d suppressed by %s comments", n, lint.IgnoreDirective)
	}
	if n := len(r.InputErrors); n > 0 {
		s += fmt.Sprintf("; %d %s could not be read", n, plural(n, "input", "inputs"))
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
