package output

import (
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// SARIF 2.1.0, for GitHub code scanning, GitLab, Azure DevOps and SARIF viewers.
const (
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	SARIFVersion = "2.1.0"
	// InformationURI is jobguard's home, written as the tool's informationUri.
	InformationURI = "https://github.com/jobguard/jobguard"
	// InputErrorRule is the id of the synthetic rule that input errors are reported under.
	InputErrorRule = "input-error"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
	// ColumnKind: jobguard counts columns in characters (the YAML parser's columns), not UTF-16 units.
	ColumnKind string `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name,omitempty"`
	ShortDescription     *sarifText        `json:"shortDescription,omitempty"`
	FullDescription      *sarifText        `json:"fullDescription,omitempty"`
	Help                 *sarifMultiformat `json:"help,omitempty"`
	DefaultConfiguration sarifConfig       `json:"defaultConfiguration"`
	Properties           *sarifRuleProps   `json:"properties,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifMultiformat struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags []string `json:"tags,omitempty"`
}

type sarifResult struct {
	RuleID     string                 `json:"ruleId"`
	RuleIndex  int                    `json:"ruleIndex"`
	Level      string                 `json:"level"`
	Message    sarifText              `json:"message"`
	Locations  []sarifLocation        `json:"locations,omitempty"`
	Properties *sarifResultProperties `json:"properties,omitempty"`
	// RelatedLocations holds the values file lines that set the field (a Helm chart's).
	RelatedLocations []sarifLocation `json:"relatedLocations,omitempty"`
}

type sarifResultProperties struct {
	// Field is the path of the field the finding is about, as in -o json.
	Field string `json:"field,omitempty"`
	// APIVersion of the object, which the logical location does not carry.
	APIVersion string `json:"apiVersion,omitempty"`
	// Source is the template the object was rendered from (Position.Source); the region is in
	// the rendered output.
	Source string `json:"source,omitempty"`
}

type sarifLocation struct {
	Message          *sarifText             `json:"message,omitempty"`
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// sarifFormatter writes one SARIF run: every enabled rule, a result per finding and per input error.
type sarifFormatter struct{ version string }

func (s sarifFormatter) Format(w io.Writer, r *lint.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	log, err := s.log(r)
	if err != nil {
		return err
	}
	return enc.Encode(log)
}

func (s sarifFormatter) log(r *lint.Report) (sarifLog, error) {
	driver := sarifDriver{Name: "jobguard", InformationURI: InformationURI, Version: s.version, Rules: []sarifRule{}}
	index := map[string]int{}
	for _, rule := range r.Rules {
		index[rule.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, sarifRuleOf(rule))
	}
	// ruleIndex finds a rule, adding a bare one for a finding whose rule the report does not list.
	ruleIndex := func(id string, sev policies.Severity) int {
		if i, ok := index[id]; ok {
			return i
		}
		index[id] = len(driver.Rules)
		driver.Rules = append(driver.Rules, sarifRule{ID: id, Name: id, DefaultConfiguration: sarifConfig{Level: sarifLevel(sev)}})
		return index[id]
	}
	wd, _ := os.Getwd()
	results := []sarifResult{}
	err := r.EachFinding(func(f policies.Finding) error {
		res := sarifResult{
			RuleID:    f.Rule,
			RuleIndex: ruleIndex(f.Rule, f.Severity),
			Level:     sarifLevel(f.Severity),
			Message:   sarifText{Text: withRemediation(f.Message, f.Remediation)},
			Locations: []sarifLocation{{}},
		}
		// Standard input is no artifact: a finding in it is located on the template line it maps
		// to, or nowhere (its message then names the template of its document).
		switch at, ok := templateOf(f); {
		case f.Position.File != lint.StdinName:
			res.Locations[0].PhysicalLocation = physicalLocation(wd, f.Position)
		case ok:
			res.Locations[0].PhysicalLocation = physicalLocation(wd, at)
		case f.Position.Source != "":
			res.Message.Text = withRemediation(f.Message+" (in a document rendered from "+f.Position.Source+")", f.Remediation)
		}
		if f.Object.Kind != "" {
			res.Locations[0].LogicalLocations = []sarifLogicalLocation{{
				Name:               f.Object.Name,
				FullyQualifiedName: qualifiedName(f.Object),
				Kind:               "resource",
			}}
		}
		if len(f.Path) > 0 || f.Object.APIVersion != "" || f.Position.Source != "" {
			res.Properties = &sarifResultProperties{Field: f.Path.String(), APIVersion: f.Object.APIVersion, Source: f.Position.Source}
		}
		for _, r := range f.Related {
			if r.Role != policies.RoleValues {
				continue // the template line is the result's location
			}
			loc := sarifLocation{Message: &sarifText{Text: r.Message}}
			if r.File != "" {
				loc.Message.Text += " is set here"
				loc.PhysicalLocation = physicalLocation(wd, r.Position)
			}
			res.RelatedLocations = append(res.RelatedLocations, loc)
		}
		if res.Locations[0].PhysicalLocation == nil && res.Locations[0].LogicalLocations == nil {
			res.Locations = nil
		}
		results = append(results, res)
		return nil
	})
	if err != nil {
		return sarifLog{}, err
	}
	inputIndex := len(driver.Rules)
	driver.Rules = append(driver.Rules, inputErrorRule)
	for _, e := range r.InputErrors {
		res := sarifResult{
			RuleID:    InputErrorRule,
			RuleIndex: inputIndex,
			Level:     "error",
			Message:   sarifText{Text: e.Message},
			Locations: []sarifLocation{{PhysicalLocation: physicalLocation(wd, e.Position())}},
		}
		if e.File == lint.StdinName { // no artifact: the place goes into the message
			res.Locations = nil
			res.Message.Text = placedInMessage(e)
		}
		results = append(results, res)
	}
	return sarifLog{
		Schema:  SARIFSchema,
		Version: SARIFVersion,
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results, ColumnKind: "unicodeCodePoints"}},
	}, nil
}

// inputErrorRule describes the results for sources that could not be read or parsed.
var inputErrorRule = sarifRule{
	ID:               InputErrorRule,
	Name:             "Manifests that cannot be read or parsed",
	ShortDescription: &sarifText{Text: "Manifests that cannot be read or parsed"},
	FullDescription: &sarifText{Text: "jobguard could not read this source, or a YAML document in it does not parse, " +
		"so the objects in it were not checked."},
	Help: &sarifMultiformat{
		Text:     "Make the file readable and valid YAML: indent with spaces, quote values that start with special characters.",
		Markdown: "Make the file readable and valid YAML: indent with spaces, quote values that start with special characters.",
	},
	DefaultConfiguration: sarifConfig{Level: "error"},
	Properties:           &sarifRuleProps{Tags: []string{"kubernetes", "input"}},
}

func sarifRuleOf(r *policies.Rule) sarifRule {
	rule := sarifRule{
		ID:                   r.ID,
		Name:                 r.Title,
		DefaultConfiguration: sarifConfig{Level: sarifLevel(r.Severity)},
		Properties:           &sarifRuleProps{Tags: ruleTags(r)},
	}
	if r.Title != "" {
		rule.ShortDescription = &sarifText{Text: r.Title}
	}
	if r.Description != "" {
		rule.FullDescription = &sarifText{Text: unwrap(r.Description)}
	}
	if r.Remediation != "" || r.Description != "" {
		var md strings.Builder
		if r.Description != "" {
			md.WriteString(markdownText(r.Description) + "\n\n")
		}
		if r.Remediation != "" {
			md.WriteString("**Remediation:** " + markdownText(r.Remediation) + "\n\n")
		}
		kinds := make([]string, len(r.Kinds))
		for i, k := range r.Kinds {
			kinds[i] = "`" + k.String() + "`"
		}
		if len(kinds) > 0 {
			md.WriteString("Checks: " + strings.Join(kinds, ", ") + ". ")
		}
		md.WriteString("Disable with `--disable " + r.ID + "`.")
		rule.Help = &sarifMultiformat{Text: r.Remediation, Markdown: md.String()}
		if rule.Help.Text == "" {
			rule.Help.Text = unwrap(r.Description)
		}
	}
	return rule
}

// ruleTags are "kubernetes", the rule's area (batch, rbac: the folder of its Rego file) and the
// kinds it checks.
func ruleTags(r *policies.Rule) []string {
	tags := []string{"kubernetes"}
	if dir := filepath.Base(filepath.Dir(filepath.FromSlash(r.File))); r.File != "" && dir != "." && dir != "rules" {
		tags = append(tags, dir)
	}
	for _, k := range r.Kinds {
		tags = append(tags, k.String())
	}
	return tags
}

func sarifLevel(s policies.Severity) string {
	switch s {
	case policies.SeverityError:
		return "error"
	case policies.SeverityWarning:
		return "warning"
	}
	return "note"
}

// withRemediation joins a finding's message and its remediation into one text.
func withRemediation(msg, remediation string) string {
	if remediation == "" {
		return msg
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg + " " + remediation
}

// unwrap joins the hard-wrapped lines of rule descriptions, keeping blank lines between paragraphs.
func unwrap(s string) string {
	paras := strings.Split(strings.TrimSpace(s), "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n\n")
}

// markdownText escapes the characters Markdown would read as emphasis, links or HTML ("*/2 * *",
// <cronjob-name>), except inside `code spans`, which rule texts use on purpose.
func markdownText(s string) string {
	var b strings.Builder
	inCode := false
	for _, c := range s {
		switch {
		case c == '`':
			inCode = !inCode
		case !inCode && strings.ContainsRune(`\*_<>[]`, c):
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func qualifiedName(o policies.ObjectRef) string {
	if o.Namespace != "" {
		return o.Kind + "/" + o.Namespace + "/" + o.Name
	}
	return o.Kind + "/" + o.Name
}

func physicalLocation(wd string, p policies.Position) *sarifPhysicalLocation {
	loc := &sarifPhysicalLocation{ArtifactLocation: artifactLocation(wd, p.File)}
	if p.Line > 0 {
		loc.Region = &sarifRegion{StartLine: p.Line}
		if p.Column > 0 {
			loc.Region.StartColumn = p.Column
		}
	}
	return loc
}

// artifactLocation turns a file name into a URI: relative paths (the usual case, and what GitHub
// code scanning resolves against the repository) stay relative, with forward slashes and
// percent-encoding; absolute paths under the working directory are made relative to it, others
// become file: URIs; standard input is "stdin".
func artifactLocation(wd, file string) sarifArtifactLocation {
	if file == lint.StdinName {
		return sarifArtifactLocation{URI: "stdin"}
	}
	if filepath.IsAbs(file) && wd != "" {
		if rel, err := filepath.Rel(wd, file); err == nil && filepath.IsLocal(rel) {
			file = rel
		}
	}
	if filepath.IsAbs(file) {
		path := filepath.ToSlash(file)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path // a Windows drive: file:///C:/...
		}
		return sarifArtifactLocation{URI: (&url.URL{Scheme: "file", Path: path}).String()}
	}
	path := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(file)), "./")
	return sarifArtifactLocation{URI: (&url.URL{Path: path}).String(), URIBaseID: "%SRCROOT%"}
}
