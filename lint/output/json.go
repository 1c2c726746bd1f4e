package output

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"

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
	// Written a finding at a time, as json.Encoder with two-space indentation writes the whole
	// document: encoding it at once holds all of it in memory besides the report (240 MB for
	// 300,000 objects with findings).
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("{\n  \"version\": ")
	bw.WriteString(strconv.Itoa(doc.Version))
	bw.WriteString(",\n  \"summary\": ")
	if err := writeIndented(bw, doc.Summary, "  "); err != nil {
		return err
	}
	if err := writeArray(bw, "findings", doc.Findings); err != nil {
		return err
	}
	if err := writeArray(bw, "inputErrors", doc.InputErrors); err != nil {
		return err
	}
	if err := writeArray(bw, "suppressed", doc.Suppressed); err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// writeArray writes `,\n  "key": [...]` as the document's second level.
func writeArray[T any](w *bufio.Writer, key string, items []T) error {
	w.WriteString(",\n  \"" + key + "\": ")
	if len(items) == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	w.WriteString("[\n")
	for i, item := range items {
		w.WriteString("    ")
		if err := writeIndented(w, item, "    "); err != nil {
			return err
		}
		if i < len(items)-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	_, err := w.WriteString("  ]")
	return err
}

// writeIndented writes v as the document's encoder would where lines start with prefix.
func writeIndented(w *bufio.Writer, v any, prefix string) error {
	data, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}
