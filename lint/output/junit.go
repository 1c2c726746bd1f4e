package output

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// JUnit XML as GitLab, Jenkins and the GitHub test-report actions read it: a <testsuite> per file,
// a <testcase> per object with a <failure> per finding, and an <error> testcase per input error.
// The tests, failures and errors attributes count testcases (as JUnit does), so
// tests - failures - errors is the number of objects that passed. Times are 0: objects are not
// timed, and some readers need the attribute.

type junitTestsuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string         `xml:"classname,attr"`
	Name      string         `xml:"name,attr"`
	File      string         `xml:"file,attr,omitempty"`
	Line      int            `xml:"line,attr,omitempty"`
	Time      string         `xml:"time,attr"`
	Failures  []junitProblem `xml:"failure"`
	Errors    []junitProblem `xml:"error"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	// Body is written as CDATA so that its lines stay readable in the file.
	Body string `xml:",cdata"`
}

type junitFormatter struct{}

// junitObject is an object that was checked: its file, what it is, and its first line.
type junitObject struct {
	file string
	ref  policies.ObjectRef
	line int
}

// checkedObjects lists every object the report checked, with or without findings, in file and
// line order; a report built by hand without Checked falls back to the objects with findings.
func checkedObjects(r *lint.Report) []junitObject {
	var objs []junitObject
	for _, c := range r.Checked {
		objs = append(objs, junitObject{file: c.Position.File, ref: c.Object, line: c.Position.Line})
	}
	if len(objs) > 0 {
		return objs
	}
	seen := map[objectKey]bool{}
	_ = r.EachFinding(func(f policies.Finding) error { // an error shows again in Format
		if k := (objectKey{f.Position.File, f.Object}); !seen[k] {
			seen[k] = true
			objs = append(objs, junitObject{file: f.Position.File, ref: f.Object, line: f.Position.Line})
		}
		return nil
	})
	return objs
}

type objectKey struct {
	file string
	ref  policies.ObjectRef
}

func (junitFormatter) Format(w io.Writer, r *lint.Report) error {
	suites := map[string]*junitSuite{}
	suite := func(file string) *junitSuite {
		s, ok := suites[file]
		if !ok {
			s = &junitSuite{Name: displayFile(file)}
			suites[file] = s
		}
		return s
	}
	cases := map[objectKey]*junitCase{}
	var order []objectKey
	testcase := func(file string, ref policies.ObjectRef, line int) *junitCase {
		k := objectKey{file, ref}
		if c, ok := cases[k]; ok {
			return c
		}
		c := &junitCase{Classname: displayFile(file), Name: ref.String(), File: fileAttr(file), Line: line}
		cases[k] = c
		order = append(order, k)
		return c
	}
	for _, o := range checkedObjects(r) {
		testcase(o.file, o.ref, o.line)
	}
	err := r.EachFinding(func(f policies.Finding) error {
		c := testcase(f.Position.File, f.Object, f.Position.Line)
		c.Failures = append(c.Failures, junitProblem{
			Message: f.Rule + ": " + f.Message,
			Type:    string(f.Severity),
			Body:    xmlText(findingBody(f)),
		})
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range order {
		s := suite(k.file)
		s.Cases = append(s.Cases, *cases[k])
	}
	for _, e := range r.InputErrors {
		s := suite(e.File)
		name := "input error"
		if e.Line > 0 {
			name = fmt.Sprintf("input error at line %d", e.Line)
		}
		s.Cases = append(s.Cases, junitCase{
			Classname: displayFile(e.File), Name: name, File: fileAttr(e.File), Line: e.Line,
			Errors: []junitProblem{{Message: e.Message, Type: InputErrorRule, Body: xmlText(displayPosition(e.Position()) + ": " + e.Message)}},
		})
	}

	doc := junitTestsuites{Name: "jobguard", Time: "0"}
	files := make([]string, 0, len(suites))
	for f := range suites {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, f := range files {
		s := suites[f]
		s.Time = "0"
		for i := range s.Cases {
			s.Cases[i].Time = "0"
		}
		slices.SortStableFunc(s.Cases, func(a, b junitCase) int { return cmp.Compare(a.Line, b.Line) })
		for _, c := range s.Cases {
			s.Tests++
			switch {
			case len(c.Errors) > 0:
				s.Errors++
			case len(c.Failures) > 0:
				s.Failures++
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Suites = append(doc.Suites, *s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// findingBody is a failure's text: where, what, which field, and the fix.
func findingBody(f policies.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s: %s\n", displayPosition(f.Position), f.Severity, f.Rule, f.Message)
	if len(f.Path) > 0 {
		fmt.Fprintf(&b, "field: %s\n", f.Path)
	}
	if f.Remediation != "" {
		fmt.Fprintf(&b, "remediation: %s\n", f.Remediation)
	}
	return b.String()
}

// xmlText replaces the characters XML 1.0 cannot hold (most control characters) with U+FFFD.
// encoding/xml does this for attributes but not for CDATA.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}

func displayPosition(p policies.Position) string {
	p.File = displayFile(p.File)
	return p.String()
}

// fileAttr is the file attribute of a testcase: none for standard input.
func fileAttr(file string) string {
	if file == lint.StdinName {
		return ""
	}
	return file
}
