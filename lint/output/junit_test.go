package output

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// The shape CI systems read, parsed independently of the formatter's own types.
type parsedSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Suites   []parsedSuite `xml:"testsuite"`
}

type parsedSuite struct {
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Cases    []parsedCase `xml:"testcase"`
}

type parsedCase struct {
	Classname string `xml:"classname,attr"`
	Name      string `xml:"name,attr"`
	File      string `xml:"file,attr"`
	Line      int    `xml:"line,attr"`
	Failures  []struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",chardata"`
	} `xml:"failure"`
	Errors []struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",chardata"`
	} `xml:"error"`
}

func parseJUnit(t *testing.T, r *lint.Report) parsedSuites {
	t.Helper()
	f, err := Get(JUnit, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.Format(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration:\n%s", b.String())
	}
	var doc parsedSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("does not parse: %v\n%s", err, b.String())
	}
	return doc
}

// checkCounts verifies that every tests/failures/errors attribute counts the testcases under it.
func checkCounts(t *testing.T, doc parsedSuites) {
	t.Helper()
	var tests, failures, errors int
	for _, s := range doc.Suites {
		var sf, se int
		for _, c := range s.Cases {
			switch {
			case len(c.Errors) > 0:
				se++
			case len(c.Failures) > 0:
				sf++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != sf || s.Errors != se {
			t.Errorf("suite %s: tests=%d failures=%d errors=%d, counted %d %d %d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), sf, se)
		}
		tests, failures, errors = tests+s.Tests, failures+s.Failures, errors+s.Errors
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errors {
		t.Errorf("testsuites: tests=%d failures=%d errors=%d, suites add up to %d %d %d", doc.Tests, doc.Failures, doc.Errors, tests, failures, errors)
	}
}

func TestJUnitSample(t *testing.T) {
	doc := parseJUnit(t, sampleReport())
	checkCounts(t, doc)
	if doc.Tests != 5 || doc.Failures != 3 || doc.Errors != 2 {
		t.Errorf("tests=%d failures=%d errors=%d, want 5 (3 objects, 2 input errors) 3 2", doc.Tests, doc.Failures, doc.Errors)
	}
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "stdin deploy/a,b:c.yaml deploy/broken.yaml deploy/rbac.yaml missing.yaml" {
		t.Errorf("one suite per file, sorted: %s", got)
	}

	cron := doc.Suites[1].Cases
	if len(cron) != 1 || cron[0].Classname != "deploy/a,b:c.yaml" || cron[0].Name != "CronJob ops/nightly" || cron[0].File != "deploy/a,b:c.yaml" {
		t.Fatalf("one testcase per object: %+v", cron)
	}
	if f := cron[0].Failures; len(f) != 2 ||
		f[0].Message != "cron-concurrency-unset: concurrencyPolicy is not set" || f[0].Type != "warning" ||
		f[1].Message != "job-missing-active-deadline: 100% of runs\nmay hang, forever" || f[1].Type != "info" {
		t.Errorf("a failure per finding: %+v", f)
	} else {
		for _, want := range []string{"deploy/a,b:c.yaml:7:1: warning cron-concurrency-unset", "spec.concurrencyPolicy", "Set spec.concurrencyPolicy to Forbid."} {
			if !strings.Contains(f[0].Body, want) {
				t.Errorf("failure body should hold %q: %q", want, f[0].Body)
			}
		}
	}
	if c := doc.Suites[0].Cases; len(c) != 1 || c[0].Classname != "stdin" || c[0].File != "" || c[0].Name != "Job piped" {
		t.Errorf("standard input: %+v", c)
	}

	for i, want := range map[int]string{2: "input error at line 3", 4: "input error"} {
		c := doc.Suites[i].Cases
		if len(c) != 1 || c[0].Name != want || len(c[0].Errors) != 1 || len(c[0].Failures) != 0 || c[0].Errors[0].Type != "input-error" {
			t.Errorf("input error as an <error> testcase %q: %+v", want, c)
		}
	}
	if body := doc.Suites[2].Cases[0].Errors[0].Body; !strings.Contains(body, "deploy/broken.yaml:3: not valid YAML") {
		t.Errorf("error body: %q", body)
	}
}

func TestJUnitFixture(t *testing.T) {
	r := lintFixture(t)
	doc := parseJUnit(t, r)
	checkCounts(t, doc)
	objects := map[string]bool{}
	for _, f := range r.Findings {
		objects[f.Position.File+" "+f.Object.String()] = true
	}
	if doc.Failures != len(objects) || doc.Errors != len(r.InputErrors) {
		t.Errorf("failures=%d errors=%d, want %d objects with findings and %d input errors", doc.Failures, doc.Errors, len(objects), len(r.InputErrors))
	}
	failures := 0
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			failures += len(c.Failures)
		}
	}
	if failures != len(r.Findings) {
		t.Errorf("%d <failure> elements, want one per finding (%d)", failures, len(r.Findings))
	}
}

func TestJUnitControlCharacters(t *testing.T) {
	r := &lint.Report{Findings: []policies.Finding{{
		Rule: "x", Severity: policies.SeverityError, Message: "bell \a, nul \x00, and ]]> end",
		Object:   policies.ObjectRef{Kind: "Job", Name: "j\x01"},
		Position: policies.Position{File: "a.yaml", Line: 1, Column: 1},
	}}}
	doc := parseJUnit(t, r)
	body := doc.Suites[0].Cases[0].Failures[0].Body
	if !strings.Contains(body, "bell \uFFFD, nul \uFFFD, and ]]> end") {
		t.Errorf("control characters should become U+FFFD and ]]> survive CDATA: %q", body)
	}
}
