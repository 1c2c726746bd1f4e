package policies

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Severity says how bad a finding is.
type Severity string

const (
	// SeverityError: the API server rejects the object, or it can never work.
	SeverityError Severity = "error"
	// SeverityWarning: accepted, but risky or wasteful.
	SeverityWarning Severity = "warning"
	// SeverityInfo: advice.
	SeverityInfo Severity = "info"
)

// Severities lists the valid severities, most severe first.
var Severities = []Severity{SeverityError, SeverityWarning, SeverityInfo}

// ParseSeverity returns the Severity named s, or an error listing the valid names.
func ParseSeverity(s string) (Severity, error) {
	sev := Severity(s)
	if slices.Contains(Severities, sev) {
		return sev, nil
	}
	return "", fmt.Errorf("unknown severity %q (valid: error, warning, info)", s)
}

// Rank orders severities: error > warning > info > anything unknown.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// AtLeast reports whether s is as severe as threshold or more.
func (s Severity) AtLeast(threshold Severity) bool { return s.Rank() >= threshold.Rank() }

// ObjectRef names the Kubernetes object a finding is about.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

func (o ObjectRef) String() string {
	if o.Namespace != "" {
		return o.Kind + " " + o.Namespace + "/" + o.Name
	}
	return o.Kind + " " + o.Name
}

// Position is a place in a source file. Line and Column are 1-based; zero means unknown.
type Position struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Source is the template the document was rendered from (Helm: its # Source: comment, or the
	// chart's template name), or the resource file a kustomize build took the object from when
	// the position is in another file (a patch, a kustomization).
	Source string `json:"source,omitempty"`
}

func (p Position) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// FieldPath locates a field inside an object: map keys are strings, list indexes ints.
type FieldPath []any

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// String renders the path the way kubectl explain and API errors do:
// spec.template.spec.containers[0].image, metadata.annotations["jobguard.io/ignore"].
func (p FieldPath) String() string {
	var b strings.Builder
	for _, seg := range p {
		switch s := seg.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(s) + "]")
		case string:
			if !plainKey.MatchString(s) {
				b.WriteString("[" + strconv.Quote(s) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

// MarshalJSON writes the path as its string form.
func (p FieldPath) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// UnmarshalJSON reads the string form back.
func (p *FieldPath) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	parsed, err := ParseFieldPath(s)
	*p = parsed
	return err
}

// ParseFieldPath reads the form String writes.
func ParseFieldPath(s string) (FieldPath, error) {
	var p FieldPath
	for i := 0; i < len(s); {
		switch {
		case s[i] == '.':
			i++
		case s[i] == '[':
			end := strings.IndexByte(s[i:], ']')
			if strings.HasPrefix(s[i:], "[\"") {
				// A quoted key may contain ']': find the closing quote first.
				q, err := strconv.QuotedPrefix(s[i+1:])
				if err != nil {
					return nil, fmt.Errorf("field path %q: %w", s, err)
				}
				key, _ := strconv.Unquote(q)
				p = append(p, key)
				i += 1 + len(q) + 1
				continue
			}
			if end < 0 {
				return nil, fmt.Errorf("field path %q: unclosed [", s)
			}
			n, err := strconv.Atoi(s[i+1 : i+end])
			if err != nil {
				return nil, fmt.Errorf("field path %q: %q is not an index", s, s[i+1:i+end])
			}
			p = append(p, n)
			i += end + 1
		default:
			end := strings.IndexAny(s[i:], ".[")
			if end < 0 {
				end = len(s) - i
			}
			p = append(p, s[i:i+end])
			i += end
		}
	}
	return p, nil
}

// Fix is a default that resolves a finding: set Path to Value where the field is absent.
type Fix struct {
	Path  FieldPath `json:"path"`
	Value any       `json:"value"`
	// OptIn marks a fix that changes behaviour; it is applied only when configured.
	OptIn bool `json:"optIn,omitempty"`
}

// Finding is one problem a rule found in one object. Every front end (lint, webhook) reports this type.
type Finding struct {
	Rule        string    `json:"rule"`
	Severity    Severity  `json:"severity"`
	Message     string    `json:"message"`
	Remediation string    `json:"remediation,omitempty"`
	Object      ObjectRef `json:"object"`
	Path        FieldPath `json:"path"`
	// Position is filled by front ends that know the source (lint); the webhook leaves it empty.
	Position Position `json:"position"`
	Fix      *Fix     `json:"fix,omitempty"`
	// Related are other places a person may edit (lint of charts and helm template streams): the
	// values file line a templated value came from, the template a stream's document maps to.
	Related []RelatedLocation `json:"related,omitempty"`
}

// RelatedLocation is a place connected to a finding, and what it is.
type RelatedLocation struct {
	Position
	// Role is RoleValues (the values file line that set the value) or RoleTemplate (the template
	// line a finding in a rendered stream maps to).
	Role    string `json:"role"`
	Message string `json:"message"`
}

// Roles of related locations.
const (
	RoleValues   = "values"
	RoleTemplate = "template"
)

// SortFindings orders findings by file, line, column, then rule id, message and object.
func SortFindings(fs []Finding) { slices.SortStableFunc(fs, CompareFindings) }

// CompareFindings is SortFindings' order: by file, line, column, then rule id, message and
// object (one template line writes the objects of every iteration of a range).
func CompareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Position.File, b.Position.File),
		cmp.Compare(a.Position.Line, b.Position.Line),
		cmp.Compare(a.Position.Column, b.Position.Column),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.Object.String(), b.Object.String()),
	)
}
