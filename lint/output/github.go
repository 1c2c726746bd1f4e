package output

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// githubFormatter writes GitHub Actions workflow commands, which the runner turns into annotations
// on the files of a pull request: `::error file=F,line=L,col=C,title=rule-id::message`, then a
// plain summary line.
type githubFormatter struct{}

func (githubFormatter) Format(w io.Writer, r *lint.Report) error {
	bw := bufio.NewWriter(w)
	for _, e := range r.InputErrors {
		msg := e.Message
		if e.File == lint.StdinName { // no file to annotate: the place goes into the message
			msg = placedInMessage(e)
		}
		writeCommand(bw, "error", e.Position(), InputErrorRule, msg)
	}
	err := r.EachFinding(func(f policies.Finding) error {
		at, msg := annotated(f)
		writeCommand(bw, githubLevel(f.Severity), at, f.Rule, msg)
		return nil
	})
	if err != nil {
		return err
	}
	bw.WriteString(Summary(r) + "\n")
	return bw.Flush()
}

func githubLevel(s policies.Severity) string {
	switch s {
	case policies.SeverityError:
		return "error"
	case policies.SeverityWarning:
		return "warning"
	}
	return "notice"
}

func withRemediationLine(f policies.Finding) string {
	msg := f.Object.String() + ": " + f.Message
	if f.Remediation != "" {
		msg += "\n" + f.Remediation
	}
	return msg
}

// annotated is where a finding's annotation goes, and its message. A finding in standard input
// is annotated on the template line it maps to (a helm template stream whose chart was found,
// see lint/origin_stream.go); else it becomes an annotation of the run, and the template its
// document names (`# Source:`) goes into the message.
func annotated(f policies.Finding) (policies.Position, string) {
	if f.Position.File != lint.StdinName {
		return f.Position, withRemediationLine(f)
	}
	if t, ok := templateOf(f); ok {
		return t, withRemediationLine(f)
	}
	if f.Position.Source != "" {
		f.Object.Name += " (rendered from " + f.Position.Source + ")"
	}
	return f.Position, withRemediationLine(f)
}

// templateOf is the template line a finding in a rendered stream maps to, if known.
func templateOf(f policies.Finding) (policies.Position, bool) {
	for _, r := range f.Related {
		if r.Role == policies.RoleTemplate && r.File != "" {
			return r.Position, true
		}
	}
	return policies.Position{}, false
}

// writeCommand writes one workflow command. Standard input has no file to annotate: its findings
// become annotations of the run.
func writeCommand(w *bufio.Writer, command string, p policies.Position, title, message string) {
	var props []string
	if p.File != "" && p.File != lint.StdinName {
		props = append(props, "file="+escapeProperty(p.File))
		if p.Line > 0 {
			props = append(props, "line="+strconv.Itoa(p.Line))
			if p.Column > 0 {
				props = append(props, "col="+strconv.Itoa(p.Column))
			}
		}
	}
	if title != "" {
		props = append(props, "title="+escapeProperty(title))
	}
	w.WriteString("::" + command)
	if len(props) > 0 {
		w.WriteString(" " + strings.Join(props, ","))
	}
	w.WriteString("::" + escapeData(message) + "\n")
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// escapeData escapes a command's message as the Actions toolkit's escapeData does: %, CR and LF.
func escapeData(s string) string { return dataEscaper.Replace(s) }

// escapeProperty escapes a property value as the toolkit's escapeProperty does: also : and ,.
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }
