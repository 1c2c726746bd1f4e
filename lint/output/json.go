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
	// Cluster names the cluster jobguard audit listed the objects from (files is then 0, and each
	// finding's position.file is its object's namespace/Kind/name).
	Cluster     string `json:"cluster,omitempty"`
	Files       int    `json:"files"`
	Objects     int    `json:"objects"`
	Skipped     int    `json:"skipped"`
	Findings    int    `json:"findings"`
	Errors      int    `json:"errors"`
	Warnings    int    `json:"warnings"`
	Info        int    `json:"info"`
	InputErrors int    `json:"inputErrors"`
}

type jsonFormatter struct{}

func (jsonFormatter) Format(w io.Writer, r *lint.Report) error {
	count := r.Count()
	summary := JSONSummary{
		Cluster: r.Cluster, Files: r.Files, Objects: r.Objects, Skipped: r.Skipped, Findings: count.Total, InputErrors: len(r.InputErrors),
		Errors: count.Errors, Warnings: count.Warnings, Info: count.Info,
	}
	// A JSONReport, written a finding at a time, as json.Encoder with two-space indentation
	// writes the whole document: encoding it at once holds all of it in memory besides the
	// report (240 MB for 300,000 objects with findings).
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("{\n  \"version\": ")
	bw.WriteString(strconv.Itoa(JSONVersion))
	bw.WriteString(",\n  \"summary\": ")
	if err := writeIndented(bw, summary, "  "); err != nil {
		return err
	}
	if err := writeArray(bw, "findings", count.Total, r.EachFinding); err != nil {
		return err
	}
	if err := writeArray(bw, "inputErrors", len(r.InputErrors), each(r.InputErrors)); err != nil {
		return err
	}
	if err := writeArray(bw, "suppressed", len(r.Suppressed), each(r.Suppressed)); err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// writeArray writes `,\n  "key": [...]` as the document's second level: the n items that
// range yields.
func writeArray[T any](w *bufio.Writer, key string, n int, items func(func(T) error) error) error {
	w.WriteString(",\n  \"" + key + "\": ")
	if n == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	w.WriteString("[\n")
	i := 0
	err := items(func(item T) error {
		w.WriteString("    ")
		if err := writeIndented(w, item, "    "); err != nil {
			return err
		}
		if i++; i < n {
			w.WriteByte(',')
		}
		return w.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	_, err = w.WriteString("  ]")
	return err
}

// each ranges over a slice as Report.EachFinding ranges over findings.
func each[T any](items []T) func(func(T) error) error {
	return func(fn func(T) error) error {
		for _, item := range items {
			if err := fn(item); err != nil {
				return err
			}
		}
		return nil
	}
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
