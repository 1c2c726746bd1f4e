package webhook

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/jobguard/jobguard/config"
	"github.com/jobguard/jobguard/policies"
)

// handler is an admission.Handler that times and counts the reviews it answers.
type handler struct {
	s      *Server
	name   string
	review func(context.Context, admission.Request) admission.Response
}

func (h handler) Handle(ctx context.Context, req admission.Request) admission.Response {
	start := time.Now()
	if h.s.beforeReview != nil {
		h.s.beforeReview(ctx, req)
	}
	resp := h.review(ctx, req)
	h.s.metrics.observe(h.name, req, resp, time.Since(start))
	return resp
}

// reviewed is a request that passed the checks common to both webhooks, with its findings.
type reviewed struct {
	policy   *Policy
	obj      ast.Object
	ref      policies.ObjectRef
	findings []policies.Finding
	// existing[i] is true when findings[i] is the baseline's too (updates.go): not introduced by
	// the request. base is nil when the request has no baseline.
	existing []bool
	base     *baseline
}

// evaluate decodes the request's object and runs the rules of the set on it; with compare and
// webhook.updates: changes, it also evaluates the request's baseline (updates.go) and marks the
// findings the baseline has too. It returns a response instead
// when the request needs no review (DELETE, CONNECT, subresources, excluded namespaces, objects
// being deleted) or cannot be reviewed (no UID, no object, undecodable object, engine failure).
func (s *Server) evaluate(ctx context.Context, req admission.Request, rules policies.RuleSet, compare bool) (*reviewed, *admission.Response) {
	done := func(r admission.Response) (*reviewed, *admission.Response) { return nil, &r }
	switch {
	case req.Operation == admissionv1.Delete || req.Operation == admissionv1.Connect:
		return done(admission.Allowed(""))
	case req.SubResource != "":
		return done(admission.Allowed("jobguard does not check subresources"))
	case req.UID == "":
		// The API server always sends one and matches the answer to its call by it: without one,
		// the request is not the API server's and no answer could be used.
		return done(admission.Errored(http.StatusBadRequest, errors.New("jobguard: the admission request has no uid; the API server always sends one")))
	}
	p := s.policy.Load()
	if p.Config.NamespaceExcluded(req.Namespace) {
		return done(admission.Allowed("namespace " + req.Namespace + " is excluded from jobguard"))
	}
	obj, err := decodeObject(req)
	if err != nil {
		return done(admission.Errored(http.StatusBadRequest, err))
	}
	ref := policies.ObjectRefOf(obj)
	if ref.Namespace == "" {
		ref.Namespace = req.Namespace
	}
	if req.Namespace == "" && ref.Namespace != "" && p.Config.NamespaceExcluded(ref.Namespace) {
		return done(admission.Allowed("namespace " + ref.Namespace + " is excluded from jobguard"))
	}
	if req.Operation == admissionv1.Update && policies.StringAt(obj, "metadata", "deletionTimestamp") != "" {
		// Being deleted: finalizers must be removable whatever the object's findings.
		return done(admission.Allowed("the object is being deleted"))
	}

	// The webhook server's request context is cancelled as soon as shutdown starts; the reviews
	// in flight are finished with their own deadline instead, so that shutdown is graceful.
	evalCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.EvalTimeout)
	defer cancel()
	var (
		findings []policies.Finding
		base     *baseline
	)
	if err = evalCtx.Err(); err == nil { // never start an evaluation whose context is done
		evalOpts := []policies.EvalOption{policies.WithRuleSet(rules)}
		checker := s.opts.AccessChecker
		if compare && p.Config.JudgeChangesOnly() {
			base, err = s.baselineOf(evalCtx, req, obj, ref)
		}
		if err == nil && base != nil {
			// The baseline's kubectl requests are recorded, not asked; the object's are asked only
			// when the baseline did not make them (changedRequestsChecker). An unchanged object
			// makes the baseline's requests only: none is asked, and its findings are the
			// baseline's, so the baseline needs no evaluation of its own.
			var recorder *recordingChecker
			if checker != nil {
				recorder = &recordingChecker{}
			}
			if !base.unchanged {
				baseOpts := slices.Clip(evalOpts)
				if recorder != nil {
					baseOpts = append(baseOpts, policies.WithAccessChecker(recorder))
				}
				base.findings, err = p.Engine.Evaluate(evalCtx, base.obj, baseOpts...)
			}
			switch {
			case recorder == nil:
			case base.unchanged:
				checker = recorder
			default:
				checker = &changedRequestsChecker{made: recorder.made, next: checker}
			}
		}
		if err == nil {
			if checker != nil {
				evalOpts = append(evalOpts, policies.WithAccessChecker(checker))
			}
			findings, err = p.Engine.Evaluate(evalCtx, obj, evalOpts...)
		}
	}
	if err != nil {
		if errors.Is(evalCtx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("jobguard: evaluating the rules on %s took longer than %s: %w", ref, s.opts.EvalTimeout, err)
		} else {
			err = fmt.Errorf("jobguard: %w", err)
		}
		s.log.Error("rule evaluation failed", "object", ref.String(), "uid", req.UID, "error", err)
		return done(admission.Errored(http.StatusInternalServerError, err))
	}
	return &reviewed{policy: p, obj: obj, ref: ref, findings: findings, existing: base.existing(obj, findings), base: base}, nil
}

// decodeObject decodes the request's object, once, into the engine's value type. An object
// without apiVersion or kind gets the request's.
func decodeObject(req admission.Request) (ast.Object, error) {
	return decodeRaw(req.Object.Raw, req.Object.Object, req)
}

// decodeRaw decodes an object of the request (its object or old object) as decodeObject does.
func decodeRaw(raw []byte, decoded runtime.Object, req admission.Request) (ast.Object, error) {
	if len(raw) == 0 && decoded != nil {
		var err error
		if raw, err = json.Marshal(decoded); err != nil {
			return nil, fmt.Errorf("jobguard: encoding the request's object: %w", err)
		}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("jobguard: the %s request has no object to review", cmp.Or(string(req.Operation), "admission"))
	}
	v, err := ast.ValueFromReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("jobguard: the request's object is not valid JSON: %w", err)
	}
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("jobguard: the request's object must be a JSON object, got %s", ast.ValueName(v))
	}
	if policies.StringAt(obj, "kind") == "" && req.Kind.Kind != "" {
		obj.Insert(ast.InternedTerm("kind"), ast.StringTerm(req.Kind.Kind))
	}
	if policies.StringAt(obj, "apiVersion") == "" && req.Kind.Version != "" {
		apiVersion := req.Kind.Version
		if req.Kind.Group != "" {
			apiVersion = req.Kind.Group + "/" + apiVersion
		}
		obj.Insert(ast.InternedTerm("apiVersion"), ast.StringTerm(apiVersion))
	}
	return obj, nil
}

// validate answers the validating webhook: enforce-mode findings deny the request, warn-mode
// findings become admission warnings, audit-mode findings are logged and counted.
//
// A review with denied or audited findings is logged at Info, in one line (logReview); one with
// warnings only, at Debug.
func (s *Server) validate(ctx context.Context, req admission.Request) admission.Response {
	r, resp := s.evaluate(ctx, req, policies.AllRules, true)
	if resp != nil {
		return *resp
	}
	s.logAccessChecksSkipped()

	var denials, warnings, audits []string
	var denied, warned, audited, existing ruleList
	for i, f := range r.findings {
		mode := r.policy.Config.ModeFor(f.Rule, f.Severity)
		if r.existing[i] {
			// Not introduced by this request: never denied (updates.go).
			existing.add(f.Rule)
			if mode == config.ModeAudit {
				audits = append(audits, "["+f.Rule+"] "+describe(f))
				audited.add(f.Rule)
				s.metrics.finding(f, ActionAudited, true)
				continue
			}
			warnings = append(warnings, describeExisting(f, r.base, mode == config.ModeEnforce))
			warned.add(f.Rule)
			s.metrics.finding(f, ActionWarned, true)
			continue
		}
		switch mode {
		case config.ModeEnforce:
			denials = append(denials, "["+f.Rule+"] "+describe(f))
			denied.add(f.Rule)
			s.metrics.finding(f, ActionDenied, false)
		case config.ModeWarn:
			warnings = append(warnings, f.Rule+": "+describe(f))
			warned.add(f.Rule)
			s.metrics.finding(f, ActionWarned, false)
		default:
			audits = append(audits, "["+f.Rule+"] "+describe(f))
			audited.add(f.Rule)
			s.metrics.finding(f, ActionAudited, false)
		}
	}
	switch {
	case len(denials) > 0:
		s.logReview(ctx, slog.LevelInfo, "request denied", webhookValidate, req, r,
			slog.String(ActionDenied, denied.String()), slog.String(ActionWarned, warned.String()),
			slog.String(ActionAudited, audited.String()), slog.String("existing", existing.String()),
			slog.String("audit", strings.Join(audits, "; ")))
		return admission.Denied(strings.Join(denials, "\n")).WithWarnings(warnings...)
	case len(audits) > 0:
		s.logReview(ctx, slog.LevelInfo, "request allowed with audit findings", webhookValidate, req, r,
			slog.String(ActionWarned, warned.String()), slog.String(ActionAudited, audited.String()),
			slog.String("existing", existing.String()), slog.String("audit", strings.Join(audits, "; ")))
	case len(warnings) > 0:
		s.logReview(ctx, slog.LevelDebug, "request allowed with warnings", webhookValidate, req, r,
			slog.String(ActionWarned, warned.String()), slog.String("existing", existing.String()))
	}
	return admission.Allowed("").WithWarnings(warnings...)
}

// logReview logs one line about a reviewed request: msg, the webhook, the object, the request
// (operation, user, uid, dry run) and attrs, which say what was found. One line per review, not
// per finding: formatting and writing a line is a good part of a review's cost.
func (s *Server) logReview(ctx context.Context, level slog.Level, msg, webhook string, req admission.Request, r *reviewed, attrs ...slog.Attr) {
	if !s.log.Enabled(ctx, level) {
		return
	}
	all := make([]slog.Attr, 0, 7+len(attrs))
	all = append(all,
		slog.String("webhook", webhook),
		slog.String("object", r.ref.String()),
		slog.String("operation", string(req.Operation)),
		slog.String("user", req.UserInfo.Username),
		slog.String("uid", string(req.UID)),
		slog.Bool("dryRun", isDryRun(req)))
	for _, a := range attrs {
		if a.Value.Kind() != slog.KindString || a.Value.String() != "" {
			all = append(all, a)
		}
	}
	s.log.LogAttrs(ctx, level, msg, all...)
}

// ruleList is a list of rule ids for a log line, without repeats: "rule-a,rule-b".
type ruleList []string

func (l *ruleList) add(rule string) {
	if !slices.Contains(*l, rule) {
		*l = append(*l, rule)
	}
}

func (l ruleList) String() string { return strings.Join(l, ",") }

// describe is a finding's message with the field it is about.
func describe(f policies.Finding) string {
	if len(f.Path) == 0 {
		return f.Message
	}
	return f.Message + " (" + f.Path.String() + ")"
}

// mutate answers the mutating webhook: on CREATE, the fixes of findings that the configuration
// applies (config.Config.ApplyFix) become a JSON patch that adds each absent field, and each is
// reported as a warning. UPDATE requests are never mutated.
func (s *Server) mutate(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create {
		return admission.Allowed("")
	}
	if !s.policy.Load().Config.MutationEnabled() {
		return admission.Allowed("mutation is disabled")
	}
	// Only the rules that can set a default: their findings are all a mutation uses, and the
	// validating webhook reports every finding anyway.
	r, resp := s.evaluate(ctx, req, policies.FixRules, false)
	if resp != nil {
		return *resp
	}
	if !r.policy.Config.MutationEnabled() { // the configuration was reloaded meanwhile
		return admission.Allowed("mutation is disabled")
	}
	var fixes []policies.Finding
	for _, f := range r.findings {
		if r.policy.Config.ApplyFix(f) {
			fixes = append(fixes, f)
		}
	}
	ops, applied := policies.Patch(r.obj, fixes)
	if len(ops) == 0 {
		return admission.Allowed("")
	}
	warnings := make([]string, len(applied))
	var rules ruleList
	set := make([]string, len(applied))
	for i, f := range applied {
		set[i] = policies.DescribeFix(f)
		warnings[i] = "jobguard set " + set[i] + " (" + f.Rule + ")"
		rules.add(f.Rule)
		s.metrics.finding(f, ActionMutated, false)
	}
	s.logReview(ctx, slog.LevelInfo, "defaults applied", webhookMutate, req, r,
		slog.String(ActionMutated, rules.String()), slog.String("set", strings.Join(set, "; ")))
	patchedResp := admission.Patched("", ops...).WithWarnings(warnings...)
	patchType := admissionv1.PatchTypeJSONPatch
	patchedResp.PatchType = &patchType // as PatchResponseFromRaw does; Complete would set it too
	return patchedResp
}

func isDryRun(req admission.Request) bool { return req.DryRun != nil && *req.DryRun }
