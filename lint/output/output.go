// Package output writes lint reports: one file per format, one interface.
package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// Formatter writes a report in one format.
type Formatter interface {
	Format(w io.Writer, r *lint.Report) error
}

// Options tune formats that have choices.
type Options struct {
	// Color turns on ANSI colours in the text format; set it only for terminals.
	Color bool
	// Version is jobguard's version, for formats that name the tool that wrote them (SARIF).
	// Empty leaves it out.
	Version string
	// Verbose makes the text format print every message whole, with the rule's fix; by default
	// it prints each message's first clause.
	Verbose bool
	// MinSeverity hides less severe findings from the reports people read (text, HTML); the
	// machine formats keep every finding. Empty shows all.
	MinSeverity policies.Severity
	// Quiet leaves out of the text format what is not a finding or the summary: the table, hints.
	Quiet bool
	// ScreenLines is the height of the terminal the text format is written to, 0 when unknown:
	// a longer report ends with a table of findings per rule and file.
	ScreenLines int
}

// The format names accepted by -o.
const (
	Text   = "text"
	JSON   = "json"
	SARIF  = "sarif"
	JUnit  = "junit"
	GitHub = "github"
	HTML   = "html"
)

// Names lists the formats, for help text and errors.
var Names = []string{Text, JSON, SARIF, JUnit, GitHub, HTML}

// Get returns the formatter called name, or an error listing the valid names.
func Get(name string, opts Options) (Formatter, error) {
	switch name {
	case Text:
		return textFormatter{color: opts.Color, verbose: opts.Verbose, quiet: opts.Quiet, minSeverity: opts.MinSeverity, screenLines: opts.ScreenLines}, nil
	case JSON:
		return jsonFormatter{}, nil
	case SARIF:
		return sarifFormatter{version: opts.Version}, nil
	case JUnit:
		return junitFormatter{}, nil
	case GitHub:
		return githubFormatter{}, nil
	case HTML:
		return htmlFormatter{minSeverity: opts.MinSeverity, version: opts.Version}, nil
	}
	return nil, unknownFormat(name)
}

func unknownFormat(name string) error {
	return fmt.Errorf("unknown output format %q (valid: %s)", name, strings.Join(Names, ", "))
}

// displayFile is how formats that cannot say "-" name standard input.
func displayFile(file string) string {
	if file == lint.StdinName {
		return "stdin"
	}
	return file
}

// placedInMessage is an input error's message led by its place, for formats that cannot point at
// standard input: "standard input:3:5: ...".
func placedInMessage(e *lint.InputError) string {
	return "standard input" + strings.TrimPrefix(e.Position().String(), lint.StdinName) + ": " + e.Message
}
