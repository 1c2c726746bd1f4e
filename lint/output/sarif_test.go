package output

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// sarifSchema is the official OASIS SARIF 2.1.0 schema, vendored in testdata (see its README).
var sarifSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
})

// validateSARIF checks a document against the schema.
func validateSARIF(t *testing.T, data []byte) error {
	t.Helper()
	schema, err := sarifSchema()
	if err != nil {
		t.Fatalf("loading the SARIF schema: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the output is not JSON: %v\n%s", err, data)
	}
	return schema.Validate(doc)
}

func formatSARIF(t *testing.T, r *lint.Report) []byte {
	t.Helper()
	f, err := Get(SARIF, Options{Version: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.Format(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	for name, r := range map[string]*lint.Report{
		"sample":  sampleReport(),
		"fixture": lintFixture(t),
		"empty":   {},
	} {
		t.Run(name, func(t *testing.T) {
			out := formatSARIF(t, r)
			if err := validateSARIF(t, out); err != nil {
				t.Fatalf("not valid SARIF 2.1.0: %v\n%s", err, out)
			}
		})
	}
}

// TestSARIFSchemaRejects proves the validation has teeth: documents broken the way a formatter bug
// would break them fail it.
func TestSARIFSchemaRejects(t *testing.T) {
	breakages := map[string]func(doc map[string]any){
		"startLine 0": func(doc map[string]any) {
			region(doc)["startLine"] = 0
		},
		"startColumn 0": func(doc map[string]any) {
			region(doc)["startColumn"] = 0
		},
		"result without message": func(doc map[string]any) {
			delete(result(doc), "message")
		},
		"driver without name": func(doc map[string]any) {
			delete(driver(doc), "name")
		},
		"rule without id": func(doc map[string]any) {
			delete(driver(doc)["rules"].([]any)[0].(map[string]any), "id")
		},
		"unknown level": func(doc map[string]any) {
			result(doc)["level"] = "fatal"
		},
		"wrong version": func(doc map[string]any) {
			doc["version"] = "2.0.0"
		},
		"help without text": func(doc map[string]any) {
			delete(driver(doc)["rules"].([]any)[0].(map[string]any)["help"].(map[string]any), "text")
		},
	}
	valid := formatSARIF(t, sampleReport())
	for name, breakIt := range breakages {
		t.Run(name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(valid, &doc); err != nil {
				t.Fatal(err)
			}
			breakIt(doc)
			broken, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := validateSARIF(t, broken); err == nil {
				t.Errorf("the schema accepted a document with %s", name)
			}
		})
	}
}

func run0(doc map[string]any) map[string]any { return doc["runs"].([]any)[0].(map[string]any) }
func driver(doc map[string]any) map[string]any {
	return run0(doc)["tool"].(map[string]any)["driver"].(map[string]any)
}
func result(doc map[string]any) map[string]any {
	return run0(doc)["results"].([]any)[0].(map[string]any)
}

// region is the first region of a result's location (a finding in standard input has none).
func region(doc map[string]any) map[string]any {
	for _, res := range run0(doc)["results"].([]any) {
		loc := res.(map[string]any)["locations"].([]any)[0].(map[string]any)
		if physical, ok := loc["physicalLocation"].(map[string]any); ok {
			if r, ok := physical["region"].(map[string]any); ok {
				return r
			}
		}
	}
	panic("no result has a region")
}

func TestSARIFContent(t *testing.T) {
	r := sampleReport()
	var log sarifLog
	if err := json.Unmarshal(formatSARIF(t, r), &log); err != nil {
		t.Fatal(err)
	}
	if log.Schema != "https://json.schemastore.org/sarif-2.1.0.json" || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("header: %q %q, %d runs", log.Schema, log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "jobguard" || d.Version != "v1.2.3" || d.InformationURI != "https://github.com/jobguard/jobguard" {
		t.Errorf("driver: %+v", d)
	}

	// Every rule of the report, in order, then input-error.
	if len(d.Rules) != len(r.Rules)+1 {
		t.Fatalf("%d rules, want %d (every rule of the report and input-error)", len(d.Rules), len(r.Rules)+1)
	}
	for i, want := range r.Rules {
		got := d.Rules[i]
		if got.ID != want.ID || got.Name != want.Title || got.ShortDescription.Text != want.Title ||
			got.FullDescription == nil || got.Help == nil || got.Help.Text != want.Remediation || got.Help.Markdown == "" {
			t.Errorf("rule %d: %+v, from %+v", i, got, want)
		}
	}
	if d.Rules[0].FullDescription.Text != "concurrencyPolicy defaults to Allow: when a run is still going, a second one starts beside it." {
		t.Errorf("fullDescription should join wrapped lines: %q", d.Rules[0].FullDescription.Text)
	}
	if md := d.Rules[2].Help.Markdown; !strings.Contains(md, `\<all\>`) || !strings.Contains(md, `"\*"`) {
		t.Errorf("markdown should escape < > and *: %q", md)
	}
	if md := d.Rules[1].Help.Markdown; !strings.Contains(md, "`kubectl exec`") {
		t.Errorf("markdown should keep code spans: %q", md)
	}
	for i, want := range []string{"warning", "note", "error", "warning", "error"} {
		if got := d.Rules[i].DefaultConfiguration.Level; got != want {
			t.Errorf("rule %s: level %q, want %q", d.Rules[i].ID, got, want)
		}
	}
	if tags := d.Rules[2].Properties.Tags; strings.Join(tags, " ") != "kubernetes rbac rbac.authorization.k8s.io/ClusterRole" {
		t.Errorf("tags: %q", tags)
	}
	if last := d.Rules[len(d.Rules)-1]; last.ID != "input-error" || last.DefaultConfiguration.Level != "error" {
		t.Errorf("the last rule should be input-error: %+v", last)
	}

	if len(run.Results) != len(r.Findings)+len(r.InputErrors) {
		t.Fatalf("%d results, want %d", len(run.Results), len(r.Findings)+len(r.InputErrors))
	}
	for i, res := range run.Results {
		if res.RuleIndex < 0 || res.RuleIndex >= len(d.Rules) || d.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d: ruleIndex %d does not point at %s", i, res.RuleIndex, res.RuleID)
		}
	}
	for i, f := range r.Findings {
		res := run.Results[i]
		if res.Level != map[policies.Severity]string{"error": "error", "warning": "warning", "info": "note"}[f.Severity] {
			t.Errorf("%s: level %q for %s", f.Rule, res.Level, f.Severity)
		}
		if !strings.HasPrefix(res.Message.Text, f.Message) || !strings.HasSuffix(res.Message.Text, f.Remediation) {
			t.Errorf("message should be the message and the remediation: %q", res.Message.Text)
		}
		loc := res.Locations[0]
		switch {
		case f.Position.File == lint.StdinName:
			// Standard input is no artifact: no physical location at all.
			if loc.PhysicalLocation != nil {
				t.Errorf("%s: a finding in standard input has a physical location %+v", f.Rule, loc.PhysicalLocation)
			}
		case loc.PhysicalLocation == nil || loc.PhysicalLocation.Region == nil ||
			loc.PhysicalLocation.Region.StartLine != f.Position.Line || loc.PhysicalLocation.Region.StartColumn != f.Position.Column:
			t.Errorf("%s: location %+v, want %d:%d", f.Rule, loc.PhysicalLocation, f.Position.Line, f.Position.Column)
		}
		if len(loc.LogicalLocations) != 1 || loc.LogicalLocations[0].Name != f.Object.Name {
			t.Errorf("%s: logical locations %+v", f.Rule, loc.LogicalLocations)
		}
	}
	checks := []struct {
		i        int
		uri, fqn string
	}{
		{0, "", "Job/piped"},
		{1, "deploy/a,b:c.yaml", "CronJob/ops/nightly"},
		{3, "deploy/rbac.yaml", "ClusterRole/everything"},
	}
	for _, c := range checks {
		loc := run.Results[c.i].Locations[0]
		if got := uriOf(loc); got != c.uri {
			t.Errorf("result %d: uri %q, want %q", c.i, got, c.uri)
		}
		if got := loc.LogicalLocations[0].FullyQualifiedName; got != c.fqn {
			t.Errorf("result %d: fullyQualifiedName %q, want %q", c.i, got, c.fqn)
		}
	}

	// Input errors: results of input-error at level error; no region when the line is unknown.
	broken, missing := run.Results[len(r.Findings)], run.Results[len(r.Findings)+1]
	for _, res := range []sarifResult{broken, missing} {
		if res.RuleID != "input-error" || res.Level != "error" {
			t.Errorf("input error result: %+v", res)
		}
	}
	if reg := broken.Locations[0].PhysicalLocation.Region; reg == nil || reg.StartLine != 3 || reg.StartColumn != 0 {
		t.Errorf("input error at line 3: region %+v", reg)
	}
	if reg := missing.Locations[0].PhysicalLocation.Region; reg != nil {
		t.Errorf("an input error without a line should have no region: %+v", reg)
	}
}

func TestSARIFArtifactURIs(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(filepath.Dir(wd), "other dir", "x.yaml")
	for _, c := range []struct{ file, uri, base string }{
		{"-", "stdin", ""},
		{"manifests/cron job.yaml", "manifests/cron%20job.yaml", "%SRCROOT%"},
		{"./a/../b.yaml", "b.yaml", "%SRCROOT%"},
		{filepath.Join("k8s", "jobs", "a.yaml"), "k8s/jobs/a.yaml", "%SRCROOT%"},
		{filepath.Join(wd, "k8s", "a.yaml"), "k8s/a.yaml", "%SRCROOT%"},
		{outside, "file://" + strings.ReplaceAll(filepath.ToSlash(outside), " ", "%20"), ""},
	} {
		got := artifactLocation(wd, c.file)
		if got.URI != c.uri || got.URIBaseID != c.base {
			t.Errorf("artifactLocation(%q) = %+v, want %q based on %q", c.file, got, c.uri, c.base)
		}
	}
}

func uriOf(loc sarifLocation) string {
	if loc.PhysicalLocation == nil {
		return ""
	}
	return loc.PhysicalLocation.ArtifactLocation.URI
}
