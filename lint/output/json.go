package output

import (
	"encoding/json"
	"io"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// JSONVersion is the version of the -o json document; it changes only when a field is removed or
// changes meaning (fields may be added).
const JSONVersion = 1

// JSONReport is the -o json document.
type JSONReport struct {
	Version     int                `json:"version"`
	Summary     JSONSummary        `json:"summary"`
	Findings    []policies.Finding `json:"findings"`
	InputErrors []*lint.InputError `json:"inputErrors"`
	Suppressed  []lint.Suppression `json:"suppressed"`
}

// JSONSummary counts what the report holds.
type JSONSummary struct {
	Files       int `json:"files"`
	Objects     int `json:"objects"`
	Findings    int `json:"findings"`
	Errors      int `json:"errors"`
	Warnings    int `json:"warnings"`
	Info        int `json:"info"`
	InputErrors int `json:"inputErrors"`
}

type jsonFormatter struct{}

func (jsonFormatter) Format(w io.Writer, r *lint.Report) error {
	doc := JSONReport{
		Version:     JSONVersion,
		Findings:    r.Findings,
		InputErrors: r.InputErrors,
		Summary: JSONSummary{
			Files: r.Files, Objects: r.Objects, Findings: len(r.Findings), InputErrors: len(r.InputErrors),
		},
	}
	if doc.Findings == nil {
		doc.Findings = []policies.Finding{}
	}
	if doc.Suppressed = r.Suppressed; doc.Suppressed == nil {
		doc.Suppressed = []lint.Suppression{}
	}
	if doc.InputErrors == nil {
		doc.InputErrors = []*lint.InputError{}
	}
	for _, f := range r.Findings {
		switch f.Severity {
		case policies.SeverityError:
			doc.Summary.Errors++
		case policies.SeverityWarning:
			doc.Summary.Warnings++
		case policies.SeverityInfo:
			doc.Summary.Info++
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
