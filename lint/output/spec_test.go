package output

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Spec
	}{
		{"text", Spec{Format: Text}},
		{"sarif=results.sarif", Spec{Format: SARIF, Path: "results.sarif"}},
		{"junit=reports/jobguard.xml", Spec{Format: JUnit, Path: "reports/jobguard.xml"}},
		{"json=-", Spec{Format: JSON}},                            // - is standard output
		{"github=a=b.txt", Spec{Format: GitHub, Path: "a=b.txt"}}, // only the first = separates
	} {
		got, err := ParseSpec(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if back, err := ParseSpec(got.String()); err != nil || back != got {
			t.Errorf("ParseSpec(%q.String()) = %+v, %v", got, back, err)
		}
	}
	for in, wantErr := range map[string]string{
		"":           "no format",
		"=out.json":  "no format",
		"sarif=":     "no file after the =",
		"xml":        `unknown output format "xml" (valid: text, json, sarif, junit, github, html)`,
		"xml=out.x":  `unknown output format "xml"`,
		"SARIF=a.sf": `unknown output format "SARIF"`,
	} {
		if _, err := ParseSpec(in); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("ParseSpec(%q): error %v, want one containing %q", in, err, wantErr)
		}
	}
}

func TestParseSpecs(t *testing.T) {
	specs, err := ParseSpecs(nil)
	if err != nil || len(specs) != 1 || specs[0] != (Spec{Format: Text}) {
		t.Errorf("no -o: %+v, %v; want text to standard output", specs, err)
	}
	specs, err = ParseSpecs([]string{"text", "sarif=out/results.sarif", "junit=junit.xml"})
	if err != nil || len(specs) != 3 {
		t.Errorf("three outputs: %+v, %v", specs, err)
	}
	for _, c := range []struct {
		values  []string
		wantErr string
	}{
		{[]string{"text", "json"}, "only one output can go to standard output, not text and json"},
		{[]string{"text", "json=-"}, "only one output can go to standard output"},
		{[]string{"sarif=out.sarif", "json=./out.sarif"}, "both write"},
		{[]string{"text", "bogus=x"}, `unknown output format "bogus"`},
	} {
		if _, err := ParseSpecs(c.values); err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("ParseSpecs(%q): error %v, want one containing %q", c.values, err, c.wantErr)
		}
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	sarifPath := filepath.Join(dir, "results.sarif")
	textPath := filepath.Join(dir, "report.txt")
	// An older, longer file is truncated, not overwritten in place.
	if err := os.WriteFile(sarifPath, bytes.Repeat([]byte("stale "), 100_000), 0o644); err != nil {
		t.Fatal(err)
	}
	r := sampleReport()
	var stdout bytes.Buffer
	specs := []Spec{{Format: Text}, {Format: SARIF, Path: sarifPath}, {Format: Text, Path: textPath}}
	if err := WriteAll(specs, &stdout, r, Options{Color: true, Version: "v9"}); err != nil {
		t.Fatal(err)
	}

	if !strings.Contains(stdout.String(), Summary(r)) || !strings.Contains(stdout.String(), ansiReset) {
		t.Errorf("standard output should have the coloured text report:\n%s", stdout.String())
	}
	text, err := os.ReadFile(textPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), "\x1b[") || !strings.Contains(string(text), Summary(r)) {
		t.Errorf("a text file should have the report without colours:\n%s", text)
	}
	data, err := os.ReadFile(sarifPath)
	if err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatalf("the SARIF file is not (only) the new report: %v", err)
	}
	if log.Runs[0].Tool.Driver.Version != "v9" || len(log.Runs[0].Results) != len(r.Findings)+len(r.InputErrors) {
		t.Errorf("SARIF file: %+v", log.Runs[0].Tool.Driver)
	}
	if err := validateSARIF(t, data); err != nil {
		t.Error(err)
	}
}

func TestWriteAllErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "report.json")
	bad := filepath.Join(dir, "no-such-dir", "results.sarif")
	var stdout bytes.Buffer
	err := WriteAll([]Spec{{Format: SARIF, Path: bad}, {Format: JSON, Path: good}, {Format: GitHub}}, &stdout, sampleReport(), Options{})
	if err == nil || !strings.Contains(err.Error(), "writing the sarif report to "+bad+": no such file or directory") {
		t.Errorf("the error should name the path and the cause: %v", err)
	}
	if _, statErr := os.Stat(good); statErr != nil || stdout.Len() == 0 {
		t.Errorf("a failing output should not stop the others: %v, %d bytes on stdout", statErr, stdout.Len())
	}

	// Wrong specs are refused before anything is written.
	unwritten := filepath.Join(dir, "unwritten.json")
	stdout.Reset()
	err = WriteAll([]Spec{{Format: JSON, Path: unwritten}, {Format: Text}, {Format: GitHub}}, &stdout, sampleReport(), Options{})
	if err == nil || !strings.Contains(err.Error(), "standard output") {
		t.Errorf("two outputs to standard output: %v", err)
	}
	if _, statErr := os.Stat(unwritten); statErr == nil || stdout.Len() > 0 {
		t.Error("nothing should be written when the specs are wrong")
	}
}
