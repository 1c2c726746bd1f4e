package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"gopkg.in/yaml.v3"
	helmlint "helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"

	"github.com/jobguard/jobguard/config"
	"github.com/jobguard/jobguard/policies"
)

// The Helm chart deploy/helm/jobguard renders the same objects as the kustomize overlays for the
// same settings: these tests build both in-process, as jobguard lint does, and compare them
// object by object (the ConfigMap's config.yaml as the YAML it holds, not as text: the chart
// writes it from values, without the overlay's comments).

const jobguardChart = "../deploy/helm/jobguard"

func TestHelmChartMatchesKustomize(t *testing.T) {
	deploy := filepath.Join(t.TempDir(), "deploy")
	if err := os.CopyFS(deploy, os.DirFS("../deploy")); err != nil {
		t.Fatal(err)
	}
	// Both optional components on the self-managed overlay, as a user's overlay would add them.
	all := filepath.Join(deploy, "overlays", "all-components")
	if err := os.Mkdir(all, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(all, "kustomization.yaml"), []byte(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../self-managed]
components: [../../components/fail-closed, ../../components/policy-reports]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		overlay string
		set     []string
	}{
		{"overlays/self-managed", []string{"namespace.create=true"}},
		{"overlays/cert-manager", []string{"namespace.create=true", "certificates.mode=cert-manager"}},
		{"overlays/all-components", []string{"namespace.create=true", "webhook.failClosed=true", "audit.policyReportCRDs=true"}},
	} {
		t.Run(tc.overlay, func(t *testing.T) {
			built, _, errs := buildKustomization(filepath.Join(deploy, tc.overlay))
			if len(errs) > 0 {
				t.Fatal(errs[0])
			}
			rendered := renderForTest(t, tc.set...)
			want, got := normalized(t, built), normalized(t, rendered)
			for _, key := range slices.Sorted(keys(want, got)) {
				w, g := want[key], got[key]
				switch {
				case w == "":
					t.Errorf("the chart renders %s, which the overlay does not have", key)
				case g == "":
					t.Errorf("the chart does not render %s, which the overlay has", key)
				case w != g:
					t.Errorf("%s differs:\noverlay: %s\nchart:   %s", key, w, g)
				}
			}
		})
	}
}

// TestHelmChartValues: what only the chart's values change, on the objects they change.
func TestHelmChartValues(t *testing.T) {
	objs := normalized(t, renderForTest(t, "mode=warn", "webhook.excludedNamespaces={team-x}", "audit.interval=0",
		"replicas=2", "pdb.enabled=false", "image.digest=sha256:0123"))
	if _, ok := objs["v1/Namespace jobguard-system"]; ok {
		t.Error("the namespace is created only with namespace.create=true")
	}
	for key := range objs {
		if strings.Contains(key, "background-audit") || strings.Contains(key, "audit-lease") {
			t.Errorf("audit.interval=0 leaves out the audit's RBAC, not %s", key)
		}
		if strings.Contains(key, "PodDisruptionBudget") {
			t.Error("pdb.enabled=false leaves out the PodDisruptionBudget")
		}
	}
	config := objs["v1/ConfigMap jobguard-system/jobguard-config"]
	for _, want := range []string{`"mode":"warn"`, `"interval":"0"`, `"excludedNamespaces":["team-x"]`} {
		if !strings.Contains(config, want) {
			t.Errorf("the configuration lacks %s: %s", want, config)
		}
	}
	webhooks := objs["admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration jobguard"] + objs["admissionregistration.k8s.io/v1/MutatingWebhookConfiguration jobguard"]
	if strings.Count(webhooks, `["kube-system","jobguard-system","team-x"]`) != 3 {
		t.Errorf("every webhook leaves out team-x: %s", webhooks)
	}
	deployment := objs["apps/v1/Deployment jobguard-system/jobguard"]
	for _, want := range []string{`"replicas":2`, `"image":"ghcr.io/jobguard/jobguard:v0.1.0@sha256:0123"`} {
		if !strings.Contains(deployment, want) {
			t.Errorf("the Deployment lacks %s", want)
		}
	}
	monitoring := normalized(t, renderForTest(t, "monitoring.serviceMonitor.enabled=true", "monitoring.prometheusRule.enabled=true", "monitoring.grafanaDashboard.enabled=true"))
	if rule := monitoring["monitoring.coreos.com/v1/PrometheusRule jobguard-system/jobguard"]; !strings.Contains(rule, `"alert":"JobguardAuditFailing"`) {
		t.Errorf("the PrometheusRule holds files/prometheus-rules.yaml: %s", rule)
	}
	if sm := monitoring["monitoring.coreos.com/v1/ServiceMonitor jobguard-system/jobguard"]; !strings.Contains(sm, `"honorLabels":true`) {
		t.Errorf("the ServiceMonitor keeps jobguard's namespace label: %s", sm)
	}
	if cm := monitoring["v1/ConfigMap jobguard-system/jobguard-grafana-dashboard"]; !strings.Contains(cm, `jobguard_audit_findings`) {
		t.Errorf("the dashboard ConfigMap holds files/grafana-dashboard.json: %.200s", cm)
	}
	if _, _, errs := (RenderOptions{Set: []string{"certificates.mode=vault"}}).renderChart(jobguardChart); len(errs) == 0 || !strings.Contains(errs[0].Message, "certificates.mode") {
		t.Errorf("an unknown certificates.mode is an error that names it: %v", errs)
	}
}

// TestHelmChartLint runs helm lint's checks (the SDK's) on the chart with its values and with the
// other certificate mode: no error or warning.
func TestHelmChartLint(t *testing.T) {
	for _, values := range []map[string]any{
		{},
		{"certificates": map[string]any{"mode": "cert-manager"}, "audit": map[string]any{"policyReportCRDs": true}, "namespace": map[string]any{"create": true}},
	} {
		result := helmlint.All(jobguardChart, values, "jobguard-system", false)
		for _, m := range result.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint (values %v): %s", values, m)
			}
		}
	}
}

func renderForTest(t *testing.T, set ...string) []Object {
	t.Helper()
	objs, _, errs := RenderOptions{Set: set, Namespace: "jobguard-system", ReleaseName: "jobguard"}.renderChart(jobguardChart)
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	return objs
}

// normalized maps "apiVersion/Kind namespace/name" to the object as compact JSON, the ConfigMap's
// config.yaml parsed.
func normalized(t *testing.T, objs []Object) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range objs {
		raw, err := ast.JSON(o.Value)
		if err != nil {
			t.Fatal(err)
		}
		m := raw.(map[string]any)
		if data, ok := m["data"].(map[string]any); ok && m["kind"] == "ConfigMap" {
			for k, v := range data {
				var parsed any
				if err := yaml.Unmarshal([]byte(v.(string)), &parsed); err != nil {
					t.Fatalf("ConfigMap key %s: %v", k, err)
				}
				data[k] = parsed
			}
		}
		text, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		ref := policies.ObjectRefOf(o.Value)
		key := ref.APIVersion + "/" + ref.Kind + " " + strings.TrimPrefix(ref.Namespace+"/"+ref.Name, "/")
		if _, dup := out[key]; dup {
			t.Fatalf("%s twice", key)
		}
		out[key] = string(text)
	}
	return out
}

func keys(maps ...map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		seen := map[string]bool{}
		for _, m := range maps {
			for k := range m {
				if !seen[k] {
					seen[k] = true
					if !yield(k) {
						return
					}
				}
			}
		}
	}
}

// TestDeployConfigUpdates: the configuration the overlays and the chart install is one jobguard
// serve loads, and judges only what an UPDATE introduces (webhook.updates: changes, issue 18);
// the chart's config value turns the old behaviour back on.
func TestDeployConfigUpdates(t *testing.T) {
	built, _, errs := buildKustomization("../deploy/overlays/self-managed")
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	for _, tc := range []struct {
		name    string
		objs    []Object
		changes bool
	}{
		{"overlays/self-managed", built, true},
		{"chart", renderForTest(t), true},
		{"chart, config.webhook.updates=all", renderForTest(t, "config.webhook.updates=all"), false},
	} {
		var cfg *config.Config
		for _, o := range tc.objs {
			ref := policies.ObjectRefOf(o.Value)
			if ref.Kind != "ConfigMap" || ref.Name != "jobguard-config" && !strings.HasPrefix(ref.Name, "jobguard-config-") {
				continue
			}
			data := policies.StringAt(o.Value, "data", "config.yaml")
			var err error
			if cfg, err = config.Parse(tc.name+"/config.yaml", []byte(data)); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		if cfg == nil {
			t.Fatalf("%s: no ConfigMap jobguard-config with config.yaml", tc.name)
		}
		if cfg.Webhook.Updates == "" {
			t.Errorf("%s: config.yaml does not set webhook.updates; the deploy writes it out, so that operators see it", tc.name)
		}
		if cfg.JudgeChangesOnly() != tc.changes {
			t.Errorf("%s: judges changes only: %v, want %v (webhook.updates %q)", tc.name, cfg.JudgeChangesOnly(), tc.changes, cfg.Webhook.Updates)
		}
	}
}

// TestDeployPatchesDeleteAlone: in deploy/, a `$patch: delete` is the only document of its patch.
// kustomize v5.5.0 and older (kubectl 1.32's, 1.31's) panic on a patch file holding several
// (kubernetes-sigs/kustomize#5471), and `kubectl apply -k deploy/overlays/...` is how the README
// installs jobguard; the kustomize jobguard embeds does not, so only this test notices.
func TestDeployPatchesDeleteAlone(t *testing.T) {
	var kustomizations int
	err := filepath.WalkDir("../deploy", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "kustomization.yaml" {
			return err
		}
		kustomizations++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var k struct {
			Patches []struct {
				Path  string `yaml:"path"`
				Patch string `yaml:"patch"`
			} `yaml:"patches"`
		}
		if err := yaml.Unmarshal(data, &k); err != nil {
			return err
		}
		for i, p := range k.Patches {
			where, text := fmt.Sprintf("%s: patches[%d]", path, i), p.Patch
			if p.Path != "" {
				where = filepath.Join(filepath.Dir(path), p.Path)
				b, err := os.ReadFile(where)
				if err != nil {
					return err
				}
				text = string(b)
			}
			var docs, deletes int
			dec := yaml.NewDecoder(strings.NewReader(text))
			for {
				var doc any // a map, or a JSON 6902 patch's list of operations
				if err := dec.Decode(&doc); err == io.EOF {
					break
				} else if err != nil {
					return fmt.Errorf("%s: %v", where, err)
				}
				if doc == nil {
					continue
				}
				docs++
				if m, ok := doc.(map[string]any); ok && m["$patch"] == "delete" {
					deletes++
				}
			}
			if deletes > 0 && docs > 1 {
				t.Errorf("%s: %d documents, %d of them $patch: delete; give each delete a patch of its own (older kustomize panics)", where, docs, deletes)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if kustomizations == 0 {
		t.Fatal("no kustomization.yaml under ../deploy")
	}
}
