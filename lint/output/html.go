package output

import (
	"bytes"
	_ "embed"
	"html/template"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// htmlFormatter writes one self-contained page (styles and script inline, nothing fetched):
// findings by file and by rule, each with its source lines and its rule's explanation, and
// checkboxes that filter by severity (also from the address: report.html#severity=warning).
type htmlFormatter struct {
	minSeverity policies.Severity
	version     string
}

//go:embed html/report.html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))

// contextLines is how many source lines an HTML finding shows around its own.
const contextLines = 2

// maxSourceBytes bounds the files the HTML report reads back for source lines.
const maxSourceBytes = 8 << 20

type htmlPage struct {
	Version     string
	Summary     string
	Counts      lint.FindingCounts
	MinSeverity string
	InputErrors []*lint.InputError
	Files       []htmlGroup
	Rules       []htmlGroup
}

// htmlGroup is the findings of one file or one rule.
type htmlGroup struct {
	Name, Title, Description, Remediation string
	Findings                              []*htmlFinding
	Count                                 int // findings, merged ones included, as the summary counts them
}

type htmlFinding struct {
	Rule, Severity, Short, Remediation string
	Messages                           []string // whole, one per finding merged into this one
	Object, Position, Source           string
	Lines                              []htmlLine
	Explanation                        string
}

type htmlLine struct {
	N    int
	Text string
	Mark bool
}

func (h htmlFormatter) Format(w io.Writer, r *lint.Report) error {
	rules := map[string]*policies.Rule{}
	for _, rule := range r.Rules {
		rules[rule.ID] = rule
	}
	sources := sourceCache{}
	page := htmlPage{Version: h.version, Summary: Summary(r), Counts: r.Count(), MinSeverity: string(h.minSeverity), InputErrors: r.InputErrors}
	byFile := map[string]*htmlGroup{}
	byRule := map[string]*htmlGroup{}
	// Findings of one rule at one place (two kubectl commands of one script) are one entry, as
	// they are one line of the text report: its short message lists what differs.
	var last *htmlFinding
	var same []policies.Finding
	err := r.EachFinding(func(f policies.Finding) error {
		if last != nil && onePlace(same[0], f) {
			same = append(same, f)
			last.Short, last.Messages = mergeClauses(same), append(last.Messages, f.Message)
			byFile[displayFile(f.Position.File)].Count++
			byRule[f.Rule].Count++
			return nil
		}
		same = append(same[:0], f)
		hf := &htmlFinding{
			Rule: f.Rule, Severity: string(f.Severity), Short: shortMessage(f), Messages: []string{f.Message},
			Remediation: f.Remediation, Object: f.Object.String() + " (" + f.Object.APIVersion + ")",
			Position: f.Position.String(), Source: f.Position.Source,
			Lines: sources.around(f.Position.File, f.Position.Line),
		}
		if rule := rules[f.Rule]; rule != nil {
			hf.Explanation = rule.Description
		}
		file := displayFile(f.Position.File)
		if byFile[file] == nil {
			byFile[file] = &htmlGroup{Name: file}
		}
		byFile[file].Findings = append(byFile[file].Findings, hf)
		byFile[file].Count++
		if byRule[f.Rule] == nil {
			g := &htmlGroup{Name: f.Rule}
			if rule := rules[f.Rule]; rule != nil {
				g.Title, g.Description, g.Remediation = rule.Title, rule.Description, rule.Remediation
			}
			byRule[f.Rule] = g
		}
		byRule[f.Rule].Findings = append(byRule[f.Rule].Findings, hf)
		byRule[f.Rule].Count++
		last = hf
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(byFile)) {
		page.Files = append(page.Files, *byFile[name])
	}
	for _, id := range slices.Sorted(maps.Keys(byRule)) {
		page.Rules = append(page.Rules, *byRule[id])
	}
	return htmlTemplate.Execute(w, page)
}

// sourceCache reads each file once, for the lines around findings; standard input, rendered
// charts and kustomizations (directories) and very large files have none.
type sourceCache map[string][][]byte

func (c sourceCache) around(file string, line int) []htmlLine {
	if file == lint.StdinName || line <= 0 {
		return nil
	}
	lines, ok := c[file]
	if !ok {
		if info, err := os.Stat(file); err == nil && info.Mode().IsRegular() && info.Size() <= maxSourceBytes {
			if data, err := os.ReadFile(file); err == nil {
				lines = bytes.Split(data, []byte("\n"))
			}
		}
		c[file] = lines
	}
	if line > len(lines) {
		return nil
	}
	var out []htmlLine
	for n := max(1, line-contextLines); n <= min(len(lines), line+contextLines); n++ {
		out = append(out, htmlLine{N: n, Text: strings.TrimRight(string(lines[n-1]), "\r"), Mark: n == line})
	}
	return out
}
