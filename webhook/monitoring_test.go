package webhook

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"
)

// TestMonitoringUsesExportedMetrics: every metric the Grafana dashboard and the Prometheus alerts
// of deploy/helm/jobguard/files query is one jobguard serve exports (its own collectors, and the
// Go and process collectors of its registry), so that a renamed metric cannot leave a panel
// empty or an alert silent.
func TestMonitoringUsesExportedMetrics(t *testing.T) {
	exported := exportedMetricNames(t)
	for _, name := range []string{"jobguard_admission_requests_total", "jobguard_audit_findings", "jobguard_certificate_expiry_timestamp_seconds", "process_resident_memory_bytes"} {
		if !exported[name] {
			t.Fatalf("the test's list of exported metrics lacks %s: %v", name, exported)
		}
	}

	var exprs []string
	for _, p := range readDashboard(t).Panels {
		for _, target := range p.Targets {
			exprs = append(exprs, "panel "+p.Title+": "+target.Expr)
		}
	}
	data, err := os.ReadFile("../deploy/helm/jobguard/files/prometheus-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string
				Expr  string
				For   string
			}
		}
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("a rule without alert or expr: %+v", r)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("alert %s: for %q: %v", r.Alert, r.For, err)
				}
			}
			exprs = append(exprs, "alert "+r.Alert+": "+r.Expr)
		}
	}
	if len(exprs) < 20 {
		t.Fatalf("only %d expressions read", len(exprs))
	}

	// Metric names in PromQL: identifiers with jobguard's, Go's or the process collector's
	// prefix, or the suffixes every metric name convention uses.
	metricName := regexp.MustCompile(`\b(?:jobguard|go|process)_[a-z0-9_]+\b|\b[a-z_]+_(?:total|seconds|bytes|bucket|count|sum)\b`)
	for _, e := range exprs {
		found := metricName.FindAllString(e, -1)
		if len(found) == 0 {
			t.Errorf("%s uses no metric jobguard exports", e)
		}
		for _, name := range found {
			if !exportedSeries(exported, name) {
				t.Errorf("%s uses %s, which jobguard does not export", e, name)
			}
		}
	}
}

// exportedSeries: name is an exported metric, or a histogram's _bucket, _sum or _count series.
func exportedSeries(exported map[string]bool, name string) bool {
	if exported[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && exported[base] {
			return true
		}
	}
	return false
}

// exportedMetricNames describes every collector jobguard serve registers: New's registry (Go and
// process collectors, Metrics), StartAudit's AuditMetrics and ObserveCertificate's gauge.
func exportedMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	rec := &describer{names: map[string]bool{}}
	families, err := newRegistry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		rec.names[f.GetName()] = true
	}
	newMetrics(rec)
	newAuditMetrics(rec)
	rec.MustRegister(newCertificateExpiry(func() (time.Time, error) { return time.Time{}, nil }))
	return rec.names
}

// describer is a prometheus.Registerer that records the names of what is registered.
type describer struct{ names map[string]bool }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (d *describer) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		if m := fqName.FindStringSubmatch(desc.String()); m != nil {
			d.names[m[1]] = true
		}
	}
	return nil
}

func (d *describer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = d.Register(c)
	}
}

func (d *describer) Unregister(prometheus.Collector) bool { return true }

// TestDashboardSplitsExistingFindings: the dashboard's panels on admission findings group by
// existing (issue 18), so that the findings objects had before a request, which come back as
// warnings on every UPDATE of an old object, are told apart from new ones; and they group by
// labels the metric has.
func TestDashboardSplitsExistingFindings(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	m.Findings.WithLabelValues("r", "error", ActionWarned, "true").Inc()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]bool{}
	for _, f := range families {
		if f.GetName() == "jobguard_admission_findings_total" {
			for _, l := range f.GetMetric()[0].GetLabel() {
				labels[l.GetName()] = true
			}
		}
	}
	if !labels["existing"] {
		t.Fatalf("jobguard_admission_findings_total has no existing label: %v", labels)
	}

	by := regexp.MustCompile(`\bby \(([^)]*)\)`)
	panels := 0
	for _, p := range readDashboard(t).Panels {
		for _, target := range p.Targets {
			if !strings.Contains(target.Expr, "jobguard_admission_findings_total") {
				continue
			}
			panels++
			groups := by.FindAllStringSubmatch(target.Expr, -1)
			if len(groups) == 0 {
				t.Errorf("panel %s: %s sums every finding together", p.Title, target.Expr)
			}
			for _, g := range groups {
				names := strings.Split(g[1], ",")
				for i := range names {
					names[i] = strings.TrimSpace(names[i])
					if !labels[names[i]] {
						t.Errorf("panel %s: %s groups by %s, which jobguard_admission_findings_total does not have", p.Title, target.Expr, names[i])
					}
				}
				if !slices.Contains(names, "existing") {
					t.Errorf("panel %s: %s does not tell existing findings apart (by existing)", p.Title, target.Expr)
				}
			}
		}
	}
	if panels == 0 {
		t.Fatal("no panel shows jobguard_admission_findings_total")
	}
}

// grafanaDashboard is the part of the Helm chart's Grafana dashboard the tests read: each
// panel's title and queries.
type grafanaDashboard struct {
	Panels []struct {
		Title   string
		Targets []struct{ Expr string }
	}
}

func readDashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	data, err := os.ReadFile("../deploy/helm/jobguard/files/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	return d
}
