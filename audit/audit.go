// Package audit checks what is already in a cluster: it lists Jobs, CronJobs, RBAC objects and
// ServiceAccounts through the API server and evaluates them with the engine's batch, as lint does
// with files. It is a thin adapter like lint: listing and naming, no rule logic.
package audit

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/pager"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// Kind is one kind audit lists, with whether it lives in a namespace.
type Kind struct {
	Resource   schema.GroupVersionResource
	Kind       string
	Namespaced bool
}

// Kinds are the kinds audit lists. CronJobs come right before Jobs: they are listed first, so
// that a Job a CronJob owns is known as such (listGroups).
var Kinds = []Kind{
	{schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"}, "CronJob", true},
	{schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, "Job", true},
	{schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, "ServiceAccount", true},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}, "Role", true},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}, "RoleBinding", true},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}, "ClusterRole", false},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}, "ClusterRoleBinding", false},
}

// DefaultPageSize is how many objects one list request asks for.
const DefaultPageSize = 500

// Auditor lists objects from a cluster and evaluates them.
type Auditor struct {
	engine   *policies.Engine
	client   dynamic.Interface
	cluster  string
	ns       string // "" for every namespace
	pageSize int64
	workers  int
	skipNS   func(string) bool
	// bootstrap: WithBootstrapRBAC.
	bootstrap bool
	// checked: WithCheckedObjects.
	checked bool
}

// Option configures an Auditor.
type Option func(*Auditor)

// WithNamespace audits one namespace: its objects are reported, and the cluster-scoped RBAC
// (ClusterRoles, ClusterRoleBindings) is read only to judge them. Default: every namespace.
func WithNamespace(ns string) Option { return func(a *Auditor) { a.ns = ns } }

// WithPageSize sets how many objects a list request asks for (Limit). Default: DefaultPageSize.
func WithPageSize(n int64) Option { return func(a *Auditor) { a.pageSize = max(1, n) } }

// WithWorkers sets how many objects are evaluated at once. Default: GOMAXPROCS.
func WithWorkers(n int) Option { return func(a *Auditor) { a.workers = max(1, n) } }

// WithCluster names the cluster in the report (the kubeconfig context, or the server).
func WithCluster(name string) Option { return func(a *Auditor) { a.cluster = name } }

// WithExcludedNamespaces leaves out the objects of the namespaces for which skip returns true:
// they are neither reported nor used to judge others (the webhook's excludedNamespaces).
func WithExcludedNamespaces(skip func(string) bool) Option {
	return func(a *Auditor) { a.skipNS = skip }
}

// WithBootstrapRBAC reports the API server's own default roles and bindings too (see
// bootstrapPolicy). Default: they judge the other objects but are not reported themselves.
func WithBootstrapRBAC(report bool) Option { return func(a *Auditor) { a.bootstrap = report } }

// WithCheckedObjects fills Report.Checked with every object reported on, findings or not (for
// JUnit, as lint.WithCheckedObjects).
func WithCheckedObjects(checked bool) Option { return func(a *Auditor) { a.checked = checked } }

// New returns an Auditor that lists with client and evaluates with engine.
func New(engine *policies.Engine, client dynamic.Interface, opts ...Option) *Auditor {
	a := &Auditor{engine: engine, client: client, pageSize: DefaultPageSize, workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Location is how a finding names the object it is about, in place of a file:
// namespace/Kind/name, or Kind/name for cluster-scoped objects.
func Location(ref policies.ObjectRef) string {
	if ref.Namespace == "" {
		return ref.Kind + "/" + ref.Name
	}
	return ref.Namespace + "/" + ref.Kind + "/" + ref.Name
}

// tag is what the batch gives back with an evaluation that waited.
type tag struct {
	ref policies.ObjectRef
	// report is false for cluster-scoped RBAC read only to judge a namespace's objects.
	report bool
	// counted is true for the second evaluation of an object (its inventory rules), counted when
	// it was listed.
	counted bool
}

type task struct {
	eval *policies.Evaluation
	tag  tag
}

// Audit lists every kind and evaluates the objects. A kind that cannot be listed (forbidden,
// not served) is an input error in the report, named after the kind, and the others are still
// audited; only a failing engine or a cancelled ctx returns an error.
func (a *Auditor) Audit(ctx context.Context) (*lint.Report, error) {
	report := &lint.Report{Cluster: a.cluster, Rules: a.engine.EnabledRules()}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	tasks := make(chan task, 4*a.workers)
	var mu sync.Mutex
	var evalErr error
	var workers sync.WaitGroup
	for range a.workers {
		workers.Go(func() {
			for t := range tasks {
				findings, err := t.eval.Run(ctx)
				mu.Lock()
				if err != nil && evalErr == nil {
					evalErr = fmt.Errorf("%s: %w", Location(t.tag.ref), err)
					cancel()
				}
				if t.tag.report {
					for _, f := range findings {
						f.Position = policies.Position{File: Location(f.Object)}
						report.Findings = append(report.Findings, f)
					}
					if !t.tag.counted {
						report.Objects++
						if a.checked {
							report.Checked = append(report.Checked, lint.CheckedObject{Object: t.tag.ref, Position: policies.Position{File: Location(t.tag.ref)}})
						}
					}
				}
				mu.Unlock()
			}
		})
	}
	send := func(t task) bool {
		select {
		case tasks <- t:
			return true
		case <-ctx.Done():
			return false
		}
	}

	batch := policies.NewBatch[tag](a.engine)
	inputError := func(e *lint.InputError) {
		mu.Lock()
		defer mu.Unlock()
		report.InputErrors = append(report.InputErrors, e)
	}
	// The kinds are listed at the same time, so that the API server's time to answer overlaps
	// with the evaluation and with each other; Jobs after CronJobs, to know which Jobs a CronJob
	// controls.
	var listers sync.WaitGroup
	for _, group := range listGroups() {
		listers.Go(func() {
			cronJobs := map[types.UID]bool{}
			for _, k := range group {
				if ctx.Err() != nil {
					return
				}
				err := a.list(ctx, k, func(u *unstructured.Unstructured) error {
					if k.Kind == "CronJob" {
						cronJobs[u.GetUID()] = true
					}
					if k.Kind == "Job" && ownedByListedCronJob(u, cronJobs) {
						return nil // reported on its CronJob, whose template it was made from
					}
					obj, err := toAST(u)
					if err != nil {
						inputError(&lint.InputError{File: Location(refOf(u)), Message: "cannot read: " + err.Error()})
						return nil
					}
					t := tag{ref: refOf(u), report: (k.Namespaced || a.ns == "") && (a.bootstrap || !bootstrapPolicy(u))}
					now, _, err := batch.Add(obj, t)
					if err != nil {
						inputError(&lint.InputError{File: Location(t.ref), Message: err.Error()})
					}
					if now != nil && !send(task{eval: now, tag: t}) {
						return ctx.Err()
					}
					return nil
				})
				if err != nil && ctx.Err() == nil {
					inputError(&lint.InputError{File: k.Kind + " (" + k.Resource.GroupVersion().String() + ")", Message: describeListError(err, k)})
				}
			}
		})
	}
	listers.Wait()
	for t, eval := range batch.Remaining() {
		if ctx.Err() != nil {
			break
		}
		t.counted = true // its other rules ran when it was listed
		if !send(task{eval: eval, tag: t}) {
			break
		}
	}
	close(tasks)
	workers.Wait()
	if evalErr != nil {
		return nil, evalErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	policies.SortFindings(report.Findings)
	slices.SortFunc(report.Checked, lint.CompareChecked)
	slices.SortFunc(report.InputErrors, lint.CompareInputErrors)
	return report, nil
}

// listGroups are the kinds listed one after the other: each alone, but Jobs after CronJobs.
func listGroups() [][]Kind {
	var groups [][]Kind
	for _, k := range Kinds {
		if k.Kind == "Job" && len(groups) > 0 && groups[len(groups)-1][0].Kind == "CronJob" {
			groups[len(groups)-1] = append(groups[len(groups)-1], k)
			continue
		}
		groups = append(groups, []Kind{k})
	}
	return groups
}

// list pages through one kind (Limit and Continue; a continue token that expired starts a full
// list, as client-go's pager does) and hands each object of a namespace not excluded to fn.
func (a *Auditor) list(ctx context.Context, k Kind, fn func(*unstructured.Unstructured) error) error {
	var ri dynamic.ResourceInterface = a.client.Resource(k.Resource)
	if k.Namespaced && a.ns != "" {
		ri = a.client.Resource(k.Resource).Namespace(a.ns)
	}
	p := pager.New(pager.SimplePageFunc(func(opts metav1.ListOptions) (k8sruntime.Object, error) {
		return ri.List(ctx, opts)
	}))
	p.PageSize = a.pageSize
	// One page fetched ahead while the current one is evaluated, not the pager's default ten:
	// the kinds are listed at once, and ten pages each would hold the whole of a large cluster.
	p.PageBufferSize = 1
	return p.EachListItem(ctx, metav1.ListOptions{}, func(o k8sruntime.Object) error {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			return fmt.Errorf("unexpected %T in a list of %s", o, k.Resource.Resource)
		}
		if a.skipNS != nil && u.GetNamespace() != "" && a.skipNS(u.GetNamespace()) {
			return nil
		}
		// Items of a list carry no kind of their own on the wire; the dynamic client sets it,
		// but an empty one would make the object invisible to the rules.
		if u.GetKind() == "" {
			u.SetAPIVersion(k.Resource.GroupVersion().String())
			u.SetKind(k.Kind)
		}
		return fn(u)
	})
}

// ownedByListedCronJob says whether a Job's controller is a CronJob that the audit listed.
func ownedByListedCronJob(u *unstructured.Unstructured, cronJobs map[types.UID]bool) bool {
	ref := metav1.GetControllerOfNoCopy(u)
	return ref != nil && ref.Kind == "CronJob" && strings.HasPrefix(ref.APIVersion, "batch/") && cronJobs[ref.UID]
}

// bootstrapPolicy says whether an object is one of the API server's default roles and bindings
// (cluster-admin, system:*), which it creates and reconciles back on every start unless their
// autoupdate annotation is "false": nothing a user changes in them lasts, so they are not
// reported. (k8s.io/kubernetes v1.36.3: plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go,
// Label and Annotation; pkg/registry/rbac/rest/storage_rbac.go reconciles them.)
func bootstrapPolicy(u *unstructured.Unstructured) bool {
	return u.GetLabels()["kubernetes.io/bootstrapping"] == "rbac-defaults" &&
		u.GetAnnotations()[rbacv1.AutoUpdateAnnotationKey] != "false"
}

func refOf(u *unstructured.Unstructured) policies.ObjectRef {
	return policies.ObjectRef{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
}

// toAST converts an object for the engine, without what the API server adds for its own
// bookkeeping (managed fields, status, kubectl's copy of the last applied object), which no rule
// reads and which would only take memory while RBAC objects wait for the inventory.
func toAST(u *unstructured.Unstructured) (ast.Object, error) {
	content := u.UnstructuredContent()
	unstructured.RemoveNestedField(content, "metadata", "managedFields")
	unstructured.RemoveNestedField(content, "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration")
	unstructured.RemoveNestedField(content, "status")
	v, err := ast.InterfaceToValue(content)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("not an object")
	}
	return obj, nil
}

// describeListError says why a kind could not be listed and what to do.
func describeListError(err error, k Kind) string {
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Sprintf("cannot list %s: %v; audit needs get and list on it (see deploy/audit/clusterrole.yaml)", k.Resource.Resource, err)
	case apierrors.IsNotFound(err):
		return fmt.Sprintf("cannot list %s: the API server does not serve %s", k.Resource.Resource, k.Resource.GroupVersion())
	}
	return fmt.Sprintf("cannot list %s: %v", k.Resource.Resource, err)
}
