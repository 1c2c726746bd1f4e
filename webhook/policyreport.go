package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"

	"github.com/jobguard/jobguard/policies"
)

// The background audit's findings are published as the PolicyReport and ClusterPolicyReport
// of wgpolicyk8s.io/v1alpha2 (the format Kyverno and Policy Reporter read), when their CRD is
// installed (deploy/components/policy-reports): one PolicyReport per namespace with findings and
// one ClusterPolicyReport, each named ReportName, updated in place at every audit so that the
// results of fixed or deleted objects go away. The objects are unstructured: the format is a
// few fields, not worth a dependency on its Go types.
var (
	PolicyReportResource        = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}
	ClusterPolicyReportResource = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "clusterpolicyreports"}
)

const (
	// ReportName is the name of every report jobguard writes.
	ReportName = "jobguard"
	// reportSource is the results' source, what Policy Reporter groups them by.
	reportSource = "jobguard"
	// managedBy labels jobguard's reports, to find them again when a namespace has no findings.
	managedByLabel = "app.kubernetes.io/managed-by"
	// MaxReportResults bounds the results of one report: an object in etcd is at most 1.5 MiB,
	// and a result takes up to about 1 KiB. The summary still counts every finding, and the
	// annotation TruncatedAnnotation says how many results were left out.
	MaxReportResults = 1000
	// TruncatedAnnotation on a report gives the number of findings not listed in its results.
	TruncatedAnnotation = "jobguard.io/results-truncated"
)

// reportWriter writes the reports of one audit.
type reportWriter struct {
	client dynamic.Interface
	config *rest.Config
	log    *slog.Logger
	// installed is what the last write found, to log a change once.
	installed *bool
}

// crdInstalled asks discovery whether the API server serves wgpolicyk8s.io/v1alpha2.
func (w *reportWriter) crdInstalled() (bool, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(w.config)
	if err != nil {
		return false, err
	}
	resources, err := dc.ServerResourcesForGroupVersion(PolicyReportResource.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("discovering %s: %w", PolicyReportResource.GroupVersion(), err)
	}
	found := 0
	for _, r := range resources.APIResources {
		if r.Name == PolicyReportResource.Resource || r.Name == ClusterPolicyReportResource.Resource {
			found++
		}
	}
	return found == 2, nil
}

// write publishes the findings (sorted by object) as reports, when the CRD is installed, and
// returns how many reports it created or updated. Reports of namespaces that have no findings
// any more are emptied; excluded namespaces are not audited, so theirs are emptied too.
func (w *reportWriter) write(ctx context.Context, findings []policies.Finding, now time.Time) (int, error) {
	installed, err := w.crdInstalled()
	if err != nil {
		return 0, err
	}
	if w.installed == nil || *w.installed != installed {
		if installed {
			w.log.Info("writing PolicyReports: the wgpolicyk8s.io/v1alpha2 CRD is installed")
		} else {
			w.log.Info("not writing PolicyReports: the wgpolicyk8s.io/v1alpha2 CRD is not installed (deploy/components/policy-reports); findings go to metrics and logs")
		}
		w.installed = &installed
	}
	if !installed {
		return 0, nil
	}
	byNamespace := map[string][]policies.Finding{"": nil} // the ClusterPolicyReport always
	for _, f := range findings {
		byNamespace[f.Object.Namespace] = append(byNamespace[f.Object.Namespace], f)
	}
	existing, err := w.client.Resource(PolicyReportResource).List(ctx, metav1.ListOptions{
		LabelSelector: managedByLabel + "=jobguard", FieldSelector: "metadata.name=" + ReportName,
	})
	if err != nil {
		return 0, fmt.Errorf("listing jobguard's PolicyReports: %w", err)
	}
	for _, r := range existing.Items {
		if _, ok := byNamespace[r.GetNamespace()]; !ok {
			byNamespace[r.GetNamespace()] = nil
		}
	}
	written := 0
	var errs []error
	for _, ns := range slices.Sorted(maps.Keys(byNamespace)) {
		changed, err := w.upsert(ctx, ns, byNamespace[ns], now)
		if err != nil {
			errs = append(errs, err)
		}
		if changed {
			written++
		}
	}
	return written, errors.Join(errs...)
}

// upsert creates or updates the report of a namespace ("": the ClusterPolicyReport). A report
// that does not exist is not created for no findings.
func (w *reportWriter) upsert(ctx context.Context, ns string, findings []policies.Finding, now time.Time) (bool, error) {
	var ri dynamic.ResourceInterface = w.client.Resource(ClusterPolicyReportResource)
	kind := "ClusterPolicyReport"
	if ns != "" {
		ri, kind = w.client.Resource(PolicyReportResource).Namespace(ns), "PolicyReport"
	}
	results, summary, truncated := reportContent(findings, now)
	changed := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current, err := ri.Get(ctx, ReportName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if len(findings) == 0 {
				return nil
			}
			report := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": PolicyReportResource.GroupVersion().String(),
				"kind":       kind,
				"metadata": map[string]any{
					"name":   ReportName,
					"labels": map[string]any{managedByLabel: "jobguard"},
				},
			}}
			if ns != "" {
				report.SetNamespace(ns)
			}
			setContent(report, results, summary, truncated)
			_, err = ri.Create(ctx, report, metav1.CreateOptions{FieldManager: "jobguard"})
			changed = err == nil
			return err
		}
		if err != nil {
			return err
		}
		setContent(current, results, summary, truncated)
		_, err = ri.Update(ctx, current, metav1.UpdateOptions{FieldManager: "jobguard"})
		changed = err == nil
		return err
	})
	if err != nil {
		where := kind + " " + ReportName
		if ns != "" {
			where = kind + " " + ns + "/" + ReportName
		}
		return false, fmt.Errorf("writing %s: %w", where, err)
	}
	return changed, nil
}

// setContent replaces a report's results and summary.
func setContent(report *unstructured.Unstructured, results []any, summary map[string]any, truncated int) {
	report.Object["results"] = results
	report.Object["summary"] = summary
	annotations := report.GetAnnotations()
	if truncated > 0 {
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[TruncatedAnnotation] = strconv.Itoa(truncated)
	} else {
		delete(annotations, TruncatedAnnotation)
	}
	report.SetAnnotations(annotations)
}

// reportContent turns findings into a report's results (at most MaxReportResults; the number
// left out is returned) and summary. An error finding fails (the API server rejects the object
// or it can never work); warnings and info warn. Severities map to the format's: error high,
// warning medium, info info.
func reportContent(findings []policies.Finding, now time.Time) (results []any, summary map[string]any, truncated int) {
	var fail, warn int64
	results = []any{}
	for _, f := range findings {
		result, severity := "warn", "medium"
		switch f.Severity {
		case policies.SeverityError:
			result, severity = "fail", "high"
			fail++
		case policies.SeverityInfo:
			severity = "info"
			warn++
		default:
			warn++
		}
		if len(results) == MaxReportResults {
			truncated++
			continue
		}
		resource := map[string]any{"apiVersion": f.Object.APIVersion, "kind": f.Object.Kind, "name": f.Object.Name}
		if f.Object.Namespace != "" {
			resource["namespace"] = f.Object.Namespace
		}
		r := map[string]any{
			"source":    reportSource,
			"policy":    f.Rule,
			"rule":      f.Rule,
			"result":    result,
			"severity":  severity,
			"message":   f.Message,
			"scored":    true,
			"resources": []any{resource},
			"timestamp": map[string]any{"seconds": now.Unix(), "nanos": int64(0)},
		}
		if len(f.Path) > 0 {
			r["properties"] = map[string]any{"path": f.Path.String()}
		}
		results = append(results, r)
	}
	summary = map[string]any{"pass": int64(0), "fail": fail, "warn": warn, "error": int64(0), "skip": int64(0)}
	return results, summary, truncated
}
