package output

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// textFormatter writes `file:line:col: severity rule-id: message`, a header per object, and a
// summary: by default the message's first clause (shortClause), with the findings of one rule at
// one place on one line; verbose, every message whole with the rule's fix.
type textFormatter struct {
	color, verbose, quiet bool
	// minSeverity hides less severe findings; "" shows all.
	minSeverity policies.Severity
	// screenLines is the report's length past which it ends with a table; 0: defaultScreenLines.
	screenLines int
}

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
	lines := len(r.InputErrors)
	count := r.Count()
	if len(r.InputErrors) > 0 && count.Total > 0 {
		fmt.Fprintln(bw)
	}
	type group struct {
		file string
		obj  policies.ObjectRef
	}
	var current *group
	var tally tally
	var same []policies.Finding // findings of one rule at one place, merged into one line
	shortened := false
	merged, mergedLines := 0, 0 // findings that share a line, and their lines: the summary says so
	flush := func() {
		if len(same) == 0 {
			return
		}
		f := same[0]
		if g := (group{f.Position.File, f.Object}); current == nil || *current != g {
			if current != nil {
				fmt.Fprintln(bw)
				lines++
			}
			current = &g
			fmt.Fprintln(bw, t.paint(ansiBold, f.Object.String())+t.paint(ansiDim, " ("+f.Object.APIVersion+")"))
			lines++
		}
		if t.verbose {
			for _, f := range same {
				fmt.Fprintf(bw, "%s%s: %s %s: %s\n", f.Position, t.source(f), t.severity(f.Severity), t.paint(ansiDim, f.Rule), f.Message)
				lines++
			}
			if f.Remediation != "" {
				fmt.Fprintf(bw, "    %s %s\n", t.paint(ansiDim, "fix:"), f.Remediation)
				lines++
			}
		} else {
			msg := mergeClauses(same)
			shortened = shortened || len(same) > 1 || msg != same[0].Message
			if len(same) > 1 {
				merged, mergedLines = merged+len(same), mergedLines+1
			}
			fmt.Fprintf(bw, "%s%s: %s %s: %s\n", f.Position, t.source(f), t.severity(f.Severity), t.paint(ansiDim, f.Rule), msg)
			lines++
		}
		same = same[:0]
	}
	err := r.EachFinding(func(f policies.Finding) error {
		if !f.Severity.AtLeast(t.minSeverity) {
			tally.hidden++
			return nil
		}
		tally.add(f)
		if len(same) > 0 && !onePlace(same[0], f) {
			flush()
		}
		same = append(same, f)
		return nil
	})
	if err != nil {
		return err
	}
	flush()
	if tally.shown > 0 {
		fmt.Fprintln(bw)
	}
	screen := t.screenLines
	if screen <= 0 {
		screen = defaultScreenLines
	}
	if !t.quiet && lines > screen {
		t.table(bw, &tally)
	}
	summary := Summary(r)
	// Without this a reader counts fewer lines than the summary's findings. Before the hidden
	// ones, which "them" would otherwise seem to mean.
	if merged > 0 {
		summary += fmt.Sprintf("; %d of them merged into %d %s", merged, mergedLines, plural(mergedLines, "line", "lines"))
	}
	if tally.hidden > 0 {
		summary += fmt.Sprintf("; %d below %s not shown", tally.hidden, t.minSeverity)
	}
	fmt.Fprintln(bw, summary)
	if shortened && !t.quiet {
		fmt.Fprintln(bw, t.paint(ansiDim, "Messages are shortened: --verbose prints them whole with the fix, jobguard explain RULE-ID documents a rule."))
	}
	return bw.Flush()
}

// onePlace reports whether two findings are of one rule at one field of one object, and so one
// line of the text report and one entry of the HTML one. The field's path counts, not only the
// position: audit findings have no line, so every finding of an object shares its position.
func onePlace(a, b policies.Finding) bool {
	return a.Rule == b.Rule && a.Severity == b.Severity && a.Object == b.Object && a.Position == b.Position && slices.Equal(a.Path, b.Path)
}

// defaultScreenLines is the screenful past which the report ends with a table, when the
// terminal's height is not known (output piped to a file or a CI log).
const defaultScreenLines = 40

// tally counts the findings a text report shows, for its closing table.
type tally struct {
	shown, hidden int
	byRule        map[string]*[3]int // error, warning, info
	byFile        map[string]int
}

func (c *tally) add(f policies.Finding) {
	if c.byRule == nil {
		c.byRule, c.byFile = map[string]*[3]int{}, map[string]int{}
	}
	c.shown++
	counts := c.byRule[f.Rule]
	if counts == nil {
		counts = new([3]int)
		c.byRule[f.Rule] = counts
	}
	counts[3-min(3, max(1, f.Severity.Rank()))]++
	c.byFile[f.Position.File]++
}

// table writes the findings per rule and severity (most first) and the files with most findings.
func (t textFormatter) table(w io.Writer, c *tally) {
	if c.shown == 0 {
		return
	}
	rules := slices.Collect(maps.Keys(c.byRule))
	total := func(id string) int { n := c.byRule[id]; return n[0] + n[1] + n[2] }
	slices.SortFunc(rules, func(a, b string) int {
		return cmp.Or(cmp.Compare(total(b), total(a)), strings.Compare(a, b))
	})
	width := len("rule")
	for _, id := range rules {
		width = max(width, len(id))
	}
	cell := func(n int) string {
		if n == 0 {
			return "-"
		}
		return strconv.Itoa(n)
	}
	fmt.Fprintln(w, t.paint(ansiBold, "Findings by rule"))
	fmt.Fprintf(w, "  %-*s %7s %7s %7s\n", width, "rule", "error", "warning", "info")
	for _, id := range rules {
		n := c.byRule[id]
		fmt.Fprintf(w, "  %-*s %7s %7s %7s\n", width, id, cell(n[0]), cell(n[1]), cell(n[2]))
	}
	files := slices.Collect(maps.Keys(c.byFile))
	slices.SortFunc(files, func(a, b string) int {
		return cmp.Or(cmp.Compare(c.byFile[b], c.byFile[a]), strings.Compare(a, b))
	})
	const topFiles = 5
	fmt.Fprintln(w, t.paint(ansiBold, "Files with most findings"))
	for _, f := range files[:min(topFiles, len(files))] {
		fmt.Fprintf(w, "  %5d  %s\n", c.byFile[f], f)
	}
	if len(files) > topFiles {
		fmt.Fprintf(w, "  (%d more %s)\n", len(files)-topFiles, plural(len(files)-topFiles, "file", "files"))
	}
	fmt.Fprintln(w)
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
	s := fmt.Sprintf("%d %s (%d %s, %d %s, %d info) in %d checked %s from %d %s",
		c.Total, plural(c.Total, "finding", "findings"),
		c.Errors, plural(c.Errors, "error", "errors"),
		c.Warnings, plural(c.Warnings, "warning", "warnings"),
		c.Info,
		r.Objects, plural(r.Objects, "object", "objects"),
		r.Files, plural(r.Files, "file", "files"))
	if r.Cluster != "" {
		s = s[:strings.LastIndex(s, " from ")] + " from cluster " + r.Cluster
	}
	if r.Skipped > 0 {
		s += fmt.Sprintf("; %d %s of other kinds skipped", r.Skipped, plural(r.Skipped, "document", "documents"))
	}
	if n := len(r.Suppressed); n > 0 {
		s += fmt.Sprintf("; %d suppressed by %s comments", n, lint.IgnoreDirective)
	}
	if n := len(r.InputErrors); n > 0 {
		s += fmt.Sprintf("; %d input %s", n, plural(n, "error", "errors"))
	}
	return s
}

// NothingChecked is what lint says on standard error when the input held no object any rule
// checks, so that a CI gate that checked nothing does not pass in silence; "" otherwise.
func NothingChecked(r *lint.Report) string {
	if r.Objects > 0 {
		return ""
	}
	if r.Files == 0 {
		return "nothing checked: no .yaml, .yml or .json file found"
	}
	s := fmt.Sprintf("nothing checked: no Job, CronJob or RBAC object found in %d %s", r.Files, plural(r.Files, "file", "files"))
	// The input errors may be a Job that could not be read (kind: job, no apiVersion): say they
	// are there, or "no Job found" would contradict them.
	var notes []string
	if r.Skipped > 0 {
		notes = append(notes, fmt.Sprintf("%d %s of other kinds skipped", r.Skipped, plural(r.Skipped, "document", "documents")))
	}
	if n := len(r.InputErrors); n > 0 {
		notes = append(notes, fmt.Sprintf("%d input %s", n, plural(n, "error", "errors")))
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
