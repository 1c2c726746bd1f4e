// Package output writes lint reports: one file per format, one interface.
package output

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jobguard/jobguard/lint"
)

// Formatter writes a report in one format.
type Formatter interface {
	Format(w io.Writer, r *lint.Report) error
}

// Options tune formats that have choices.
type Options struct {
	// Color turns on ANSI colours in the text format; set it only for terminals.
	Color bool
}

// The format names accepted by -o.
const (
	Text = "text"
	JSON = "json"
)

// Names lists the formats, for help text and errors.
var Names = []string{Text, JSON}

// Get returns the formatter called name, or an error listing the valid names.
func Get(name string, opts Options) (Formatter, error) {
	switch name {
	case Text:
		return textFormatter{color: opts.Color}, nil
	case JSON:
		return jsonFormatter{}, nil
	}
	return nil, fmt.Errorf("unknown output format %q (valid: %s)", name, strings.Join(slices.Clone(Names), ", "))
}
