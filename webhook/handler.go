package webhook

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	admissionv1 "k8s.io/api/admission/v1"
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
}

// evaluate decodes the request's object and runs the rules on it. It returns a response instead
// when the request needs no review (DELETE, CONNECT, subresources, excluded namespaces, objects
// being deleted) or cannot be reviewed (no UID, no object, undecodable object, engine failure).
func (s *Server) evaluate(ctx context.Context, req admission.Request) (*reviewed, *admission.Response) {
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
	var findings []policies.Finding
	if err = evalCtx.Err(); err == nil { // never start an evaluation whose context is done
		var evalOpts []policies.EvalOption
		if s.opts.AccessChecker != nil {
			evalOpts = append(evalOpts, policies.WithAccessChecker(s.opts.AccessChecker))
		}
		findings, err = p.Engine.Evaluate(evalCtx, obj, evalOpts...)
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
	return &reviewed{policy: p, obj: obj, ref: ref, findings: findings}, nil
}

// decodeObject decodes the request's object, once, into the engine's value type. An object
// without apiVersion or kind gets the request's.
func decodeObject(req admission.Request) (ast.Object, error) {
	raw := req.Object.Raw
	if len(raw) == 0 && req.Object.Object != nil {
		var err error
		if raw, err = json.Marshal(req.Object.Object); err != nil {
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
func (s *Server) validate(ctx context.Context, req admission.Request) admission.Response {
	r, resp := s.evaluate(ctx, req)
	if resp != nil {
		return *resp
	}
	findings := r.findings
	s.logAccessChecksSkipped()

	var denials, warnings []string
	for _, f := range findings {
		log := s.log.With("rule", f.Rule, "severity", f.Severity, "object", r.ref.String(), "path", f.Path.String(),
			"message", f.Message, "operation", req.Operation, "user", req.UserInfo.Username, "uid", req.UID, "dryRun", isDryRun(req))
		switch r.policy.Config.ModeFor(f.Rule, f.Severity) {
		case config.ModeEnforce:
			denials = append(denials, "["+f.Rule+"] "+describe(f))
			s.metrics.finding(f, ActionDenied)
			log.Info("finding denied the request", "action", ActionDenied)
		case config.ModeWarn:
			warnings = append(warnings, f.Rule+": "+describe(f))
			s.metrics.finding(f, ActionWarned)
			log.Debug("finding returned as a warning", "action", ActionWarned)
		default:
			s.metrics.finding(f, ActionAudited)
			log.Info("audit finding", "action", ActionAudited)
		}
	}
	if len(denials) > 0 {
		return admission.Denied(strings.Join(denials, "\n")).WithWarnings(warnings...)
	}
	return admission.Allowed("").WithWarnings(warnings...)
}

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
	r, resp := s.evaluate(ctx, req)
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
	for i, f := range applied {
		warnings[i] = "jobguard set " + policies.DescribeFix(f) + " (" + f.Rule + ")"
		s.metrics.finding(f, ActionMutated)
		s.log.Info("default applied", "rule", f.Rule, "object", r.ref.String(), "set", policies.DescribeFix(f),
			"user", req.UserInfo.Username, "uid", req.UID, "dryRun", isDryRun(req), "action", ActionMutated)
	}
	patchedResp := admission.Patched("", ops...).WithWarnings(warnings...)
	patchType := admissionv1.PatchTypeJSONPatch
	patchedResp.PatchType = &patchType // as PatchResponseFromRaw does; Complete would set it too
	return patchedResp
}

func isDryRun(req admission.Request) bool { return req.DryRun != nil && *req.DryRun }
