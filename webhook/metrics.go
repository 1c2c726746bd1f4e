package webhook

import (
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/jobguard/jobguard/policies"
)

// Actions, the values of the action label of jobguard_admission_findings_total.
const (
	ActionDenied  = "denied"  // enforce mode: the request was denied
	ActionWarned  = "warned"  // warn mode: returned as an admission warning
	ActionAudited = "audited" // audit mode: logged and counted only
	ActionMutated = "mutated" // the finding's fix was applied by the mutating webhook
)

// Webhook names, the values of the webhook label.
const (
	webhookValidate = "validate"
	webhookMutate   = "mutate"
)

// Metrics are the collectors a Server registers on its registry.
type Metrics struct {
	// Requests is jobguard_admission_requests_total{webhook,operation,kind,allowed}: reviews
	// answered, by webhook (validate, mutate), operation (CREATE, UPDATE, ...), the request's
	// kind and whether the answer allowed the request ("true", "false"; errors count as false).
	Requests *prometheus.CounterVec
	// Duration is jobguard_admission_duration_seconds{webhook}: time spent answering a review.
	Duration *prometheus.HistogramVec
	// Findings is jobguard_admission_findings_total{rule,severity,action,existing}: findings by what
	// was done with them (denied, warned, audited, mutated) and whether the object had them
	// before the request ("true": an UPDATE's old object, or the jobTemplate of the CronJob that
	// owns a new Job, had the same finding; such findings are never denied) or not ("false").
	Findings *prometheus.CounterVec
	// Errors is jobguard_admission_errors_total{webhook}: reviews answered with a server error
	// (500: an evaluation that failed or ran out of time); the API server then applies the
	// webhook's failurePolicy. Also counted in Requests, as not allowed.
	Errors *prometheus.CounterVec
	// Reloads is jobguard_config_reloads_total{result}: configuration reloads, by result
	// (success, failure).
	Reloads *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobguard_admission_requests_total",
			Help: "Admission reviews answered, by webhook, operation, kind and whether the request was allowed.",
		}, []string{"webhook", "operation", "kind", "allowed"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jobguard_admission_duration_seconds",
			Help:    "Time spent answering an admission review, by webhook.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"webhook"}),
		Findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobguard_admission_findings_total",
			Help: "Rule findings at admission, by rule, severity, action (denied, warned, audited, mutated) and existing (the object had the finding before the request).",
		}, []string{"rule", "severity", "action", "existing"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobguard_admission_errors_total",
			Help: "Admission reviews answered with a server error (the evaluation failed or timed out), by webhook.",
		}, []string{"webhook"}),
		Reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobguard_config_reloads_total",
			Help: "Configuration reloads, by result (success, failure).",
		}, []string{"result"}),
	}
	reg.MustRegister(m.Requests, m.Duration, m.Findings, m.Errors, m.Reloads)
	return m
}

// newRegistry is the default registry: jobguard's metrics plus the Go runtime and process ones.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func (m *Metrics) observe(webhook string, req admission.Request, resp admission.Response, took time.Duration) {
	m.Requests.WithLabelValues(webhook, label(string(req.Operation), knownOperations), label(req.Kind.Kind, knownKinds), strconv.FormatBool(resp.Allowed)).Inc()
	m.Duration.WithLabelValues(webhook).Observe(took.Seconds())
	if resp.Result != nil && resp.Result.Code >= 500 {
		m.Errors.WithLabelValues(webhook).Inc()
	}
}

// Label values come from requests, which anyone who reaches the webhook can make up: values
// outside these sets are counted as "other", so that the number of series stays bounded.
var (
	knownOperations = []string{"CREATE", "UPDATE", "DELETE", "CONNECT"}
	knownKinds      = []string{"Job", "CronJob", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
)

func label(v string, known []string) string {
	if slices.Contains(known, v) {
		return v
	}
	return "other"
}

func (m *Metrics) finding(f policies.Finding, action string, existing bool) {
	m.Findings.WithLabelValues(f.Rule, string(f.Severity), action, strconv.FormatBool(existing)).Inc()
}
