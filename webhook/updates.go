package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	admissionv1 "k8s.io/api/admission/v1"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
)

// With webhook.updates: changes, a request is judged on what it introduces. Its object is compared
// with a baseline, an object that was admitted (or existed) already:
//
//   - on UPDATE, the old object;
//   - on CREATE of a Job whose controller is a CronJob, the Job that CronJob's jobTemplate makes.
//     The CronJob controller (getJobFromTemplate2 in pkg/controller/cronjob/utils.go) and
//     `kubectl create job --from=cronjob/...` (createJobFromCronJob in kubectl's
//     pkg/cmd/create/create_job.go) both copy jobTemplate.spec into the Job and set a controller
//     ownerReference to the CronJob.
//
// A finding of the object that the baseline has too (same rule, same field path, same value at
// that path) is existing: it never denies, and is reported as a warning that says so. The rest are
// judged by their mode, as on CREATE.

// baseline is what a reviewed object is compared with.
type baseline struct {
	obj      ast.Object // nil when unchanged and never decoded
	findings []policies.Finding
	// cronJob names the CronJob whose jobTemplate the baseline is; "" for an UPDATE's old object.
	cronJob string
	// unchanged: an UPDATE that changes nothing but the fields of volatileMetadata (a no-op
	// apply, a controller's write): every finding is the old object's, without a second
	// evaluation.
	unchanged bool
}

// baselineOf returns the baseline of a request, or nil when it has none: a CREATE of anything but a
// CronJob's Job, or a Job whose CronJob cannot be read (then it is judged whole, as before).
func (s *Server) baselineOf(ctx context.Context, req admission.Request, obj ast.Object, ref policies.ObjectRef) (*baseline, error) {
	switch req.Operation {
	case admissionv1.Update:
		if len(req.OldObject.Raw) > 0 && bytes.Equal(req.OldObject.Raw, req.Object.Raw) {
			return &baseline{unchanged: true}, nil // the same bytes: no need to decode them again
		}
		old, err := decodeRaw(req.OldObject.Raw, req.OldObject.Object, req)
		if err != nil {
			// The API server always sends the old object of an UPDATE; without one (a client of
			// its own), there is nothing to compare with and the object is judged whole.
			return nil, nil
		}
		return &baseline{obj: withoutIgnoreAnnotation(old), unchanged: sameForRules(old, obj)}, nil
	case admissionv1.Create:
		owner, ok := cronJobOwner(obj)
		if !ok || ref.Kind != "Job" {
			return nil, nil
		}
		if s.opts.Reader == nil {
			return nil, nil
		}
		cj := &batchv1.CronJob{}
		if err := s.opts.Reader.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: owner.name}, cj); err != nil {
			if !apierrors.IsNotFound(err) {
				s.log.Warn("cannot read the CronJob that owns a new Job; judging the Job whole",
					"job", ref.String(), "cronJob", ref.Namespace+"/"+owner.name, "error", err)
			}
			return nil, nil
		}
		if string(cj.UID) != owner.uid {
			return nil, nil // another CronJob of that name: not the Job's owner
		}
		base, err := jobFromTemplate(obj, cj)
		if err != nil {
			return nil, err
		}
		return &baseline{obj: withoutIgnoreAnnotation(base), cronJob: ref.Namespace + "/" + cj.Name}, nil
	}
	return nil, nil
}

type ownerRef struct{ name, uid string }

// volatileMetadata are the fields the API server changes on every write, which no rule reads.
var volatileMetadata = []*ast.Term{ast.InternedTerm("resourceVersion"), ast.InternedTerm("managedFields"), ast.InternedTerm("generation")}

// sameForRules reports whether a and b are the same object but for volatileMetadata.
func sameForRules(a, b ast.Object) bool {
	if a.Len() != b.Len() {
		return false
	}
	metadata := ast.InternedTerm("metadata")
	return !a.Until(func(k, va *ast.Term) bool {
		vb := b.Get(k)
		if vb == nil {
			return true
		}
		if k.Equal(metadata) {
			ma, okA := va.Value.(ast.Object)
			mb, okB := vb.Value.(ast.Object)
			if okA && okB {
				return withoutKeys(ma, volatileMetadata).Compare(withoutKeys(mb, volatileMetadata)) != 0
			}
		}
		return va.Value.Compare(vb.Value) != 0
	})
}

// withoutKeys is obj without keys (obj itself when it has none of them).
func withoutKeys(obj ast.Object, keys []*ast.Term) ast.Object {
	if !slices.ContainsFunc(keys, func(k *ast.Term) bool { return obj.Get(k) != nil }) {
		return obj
	}
	out := ast.NewObject()
	obj.Foreach(func(k, v *ast.Term) {
		if !slices.ContainsFunc(keys, k.Equal) {
			out.Insert(k, v)
		}
	})
	return out
}

// cronJobOwner returns the controller ownerReference of obj when it is a CronJob of group batch.
func cronJobOwner(obj ast.Object) (ownerRef, bool) {
	refs, _ := valueAtPath(obj, policies.FieldPath{"metadata", "ownerReferences"}).(*ast.Array)
	if refs == nil {
		return ownerRef{}, false
	}
	for i := range refs.Len() {
		r, ok := refs.Elem(i).Value.(ast.Object)
		if !ok {
			continue
		}
		controller, _ := valueAtPath(r, policies.FieldPath{"controller"}).(ast.Boolean)
		gv, err := schema.ParseGroupVersion(policies.StringAt(r, "apiVersion"))
		if bool(controller) && err == nil && gv.Group == batchv1.GroupName && policies.StringAt(r, "kind") == "CronJob" {
			return ownerRef{name: policies.StringAt(r, "name"), uid: policies.StringAt(r, "uid")}, true
		}
	}
	return ownerRef{}, false
}

// jobDefaults are the Job spec fields the API server sets on a Job that its jobTemplate may lack:
// SetDefaults_Job (pkg/apis/batch/v1/defaults.go) and the generated selector (generateSelector,
// pkg/registry/batch/job/strategy.go). The baseline keeps the Job's values of these; every other
// field of the Job's spec comes from the jobTemplate, or is absent when the jobTemplate lacks it.
var jobDefaults = []string{"completions", "parallelism", "backoffLimit", "completionMode", "suspend",
	"podReplacementPolicy", "manualSelector", "selector"}

// jobFromTemplate is job with the spec its CronJob's jobTemplate gives it.
func jobFromTemplate(job ast.Object, cj *batchv1.CronJob) (ast.Object, error) {
	raw, err := json.Marshal(cj.Spec.JobTemplate.Spec)
	if err != nil {
		return nil, fmt.Errorf("encoding the jobTemplate of CronJob %s/%s: %w", cj.Namespace, cj.Name, err)
	}
	v, err := ast.ValueFromReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading the jobTemplate of CronJob %s/%s: %w", cj.Namespace, cj.Name, err)
	}
	spec, _ := v.(ast.Object)
	if spec == nil {
		spec = ast.NewObject()
	}
	if jobSpec, ok := valueAtPath(job, policies.FieldPath{"spec"}).(ast.Object); ok {
		for _, k := range jobDefaults {
			key := ast.InternedTerm(k)
			if spec.Get(key) == nil {
				if t := jobSpec.Get(key); t != nil {
					spec.Insert(key, t)
				}
			}
		}
	}
	return replaced(job, "spec", ast.NewTerm(spec)), nil
}

// withoutIgnoreAnnotation is obj without the jobguard.io/ignore annotation, so that removing the
// annotation does not introduce the findings it silenced: they were there before. obj is not changed.
func withoutIgnoreAnnotation(obj ast.Object) ast.Object {
	meta, _ := valueAtPath(obj, policies.FieldPath{"metadata"}).(ast.Object)
	annotations, _ := valueAtPath(meta, policies.FieldPath{"annotations"}).(ast.Object)
	key := ast.StringTerm(policies.IgnoreAnnotation)
	if annotations == nil || annotations.Get(key) == nil {
		return obj
	}
	kept := ast.NewObject()
	annotations.Foreach(func(k, v *ast.Term) {
		if !k.Equal(key) {
			kept.Insert(k, v)
		}
	})
	return replaced(obj, "metadata", ast.NewTerm(replaced(meta, "annotations", ast.NewTerm(kept))))
}

// replaced is a shallow copy of obj with key set to v.
func replaced(obj ast.Object, key string, v *ast.Term) ast.Object {
	out := ast.NewObject()
	obj.Foreach(func(k, val *ast.Term) { out.Insert(k, val) })
	out.Insert(ast.InternedTerm(key), v)
	return out
}

// valueAtPath is the value at path in v, or nil when there is none.
func valueAtPath(v ast.Value, path policies.FieldPath) ast.Value {
	for _, seg := range path {
		switch seg := seg.(type) {
		case string:
			o, ok := v.(ast.Object)
			if !ok {
				return nil
			}
			t := o.Get(ast.StringTerm(seg))
			if t == nil {
				return nil
			}
			v = t.Value
		case int:
			a, ok := v.(*ast.Array)
			if !ok || seg < 0 || seg >= a.Len() {
				return nil
			}
			v = a.Elem(seg).Value
		default:
			return nil
		}
	}
	return v
}

// existing says, for each of findings (of obj), whether base has it already: a finding of the
// same rule whose path is the same and holds the same value (or, for a finding about the whole
// object, says the same). A finding that matches none is then
// matched with one whose path differs only in list indexes (a container or rule moved up when one
// before it was removed), if that holds the same value too. Each finding of the base is matched
// at most once, so a second container with the same violating image is new.
func (b *baseline) existing(obj ast.Object, findings []policies.Finding) []bool {
	out := make([]bool, len(findings))
	if b == nil {
		return out
	}
	if b.unchanged {
		for i := range out {
			out[i] = true
		}
		return out
	}
	used := make([]bool, len(b.findings))
	match := func(samePath func(a, b policies.FieldPath) bool) {
		for i, f := range findings {
			if out[i] {
				continue
			}
			value := valueAtPath(obj, f.Path)
			for j, bf := range b.findings {
				if used[j] || bf.Rule != f.Rule || !samePath(f.Path, bf.Path) {
					continue
				}
				// A finding about the whole object (a custom rule's empty path) would always hold a
				// changed value, the object: its message says what is wrong instead.
				if len(f.Path) == 0 && f.Message == bf.Message || len(f.Path) > 0 && sameValue(value, valueAtPath(b.obj, bf.Path)) {
					out[i], used[j] = true, true
					break
				}
			}
		}
	}
	match(func(a, b policies.FieldPath) bool { return slices.Equal(a, b) })
	match(samePathBarIndexes)
	return out
}

func sameValue(a, b ast.Value) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Compare(b) == 0
}

// samePathBarIndexes reports whether two paths have the same keys, with list indexes in the same
// places.
func samePathBarIndexes(a, b policies.FieldPath) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		switch x := a[i].(type) {
		case int:
			if _, ok := b[i].(int); !ok {
				return false
			}
		default:
			if x != b[i] {
				return false
			}
		}
	}
	return true
}

// accessRequest is one RBAC question: may sa make req?
type accessRequest struct {
	sa  rbac.ServiceAccount
	req kubectl.Request
}

// recordingChecker is the access checker of a baseline's evaluation: it records the requests the
// baseline's kubectl commands make and asks nobody. It answers that each is allowed, so the
// baseline has no rbac-insufficient finding for them; the reviewed object then has none for the
// same requests either (see changedRequestsChecker).
type recordingChecker struct {
	made map[accessRequest]bool
}

func (c *recordingChecker) Check(_ context.Context, sa rbac.ServiceAccount, req kubectl.Request) (rbac.Verdict, error) {
	if c.made == nil {
		c.made = map[accessRequest]bool{}
	}
	c.made[accessRequest{sa, req}] = true
	return rbac.Verdict{Known: true, Allowed: true}, nil
}

// changedRequestsChecker asks next only about the requests the change introduces. A request the
// baseline made already, as the same ServiceAccount, is not the change's doing whatever the answer,
// so it is not asked again: an update that leaves the commands and the ServiceAccount alone costs
// no SubjectAccessReview. It is answered as allowed, so it is not reported: reporting it as missing
// without asking could be false, and asking is what this avoids.
type changedRequestsChecker struct {
	made map[accessRequest]bool
	next policies.AccessChecker
}

func (c *changedRequestsChecker) Check(ctx context.Context, sa rbac.ServiceAccount, req kubectl.Request) (rbac.Verdict, error) {
	if c.made[accessRequest{sa, req}] {
		return rbac.Verdict{Known: true, Allowed: true}, nil
	}
	return c.next.Check(ctx, sa, req)
}

// describeExisting is the warning of an existing finding: what it is, that the request did not
// introduce it (and so, when its rule enforces, that it does not deny), and how to fix it.
func describeExisting(f policies.Finding, b *baseline, enforced bool) string {
	var why string
	switch {
	case b.cronJob != "":
		why = "the jobTemplate of CronJob " + b.cronJob + " has this finding too"
		if enforced {
			why += ", so it does not deny the Job"
		}
		why += "; fix it in the CronJob: "
	default:
		why = "the object had this finding before this change"
		if enforced {
			why += ", so it does not deny the change"
		}
		why += "; fix it when you can: "
	}
	msg := f.Rule + ": " + why + describe(f)
	if f.Remediation != "" {
		msg += ". " + f.Remediation
	}
	return msg
}
