package policies

import (
	"context"
	"fmt"
	"iter"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/jobguard/jobguard/policies/rbac"
	"github.com/jobguard/jobguard/policies/workload"
)

// Batch evaluates a set of objects that refer to each other, as lint's input does: RBAC objects
// are judged against the Jobs that use them (rbac-overbroad), and Jobs that run kubectl against
// the RBAC (rbac-insufficient), so some rules can run only once every object is added.
//
// Add each object; it is recorded in the batch's RBAC inventory, and Add returns the evaluation
// that can run at once (every rule that does not need the inventory). Once every object is added,
// Remaining yields the evaluations that waited, each with the caller's tag (a position, a file
// offset) so that findings can be placed. Evaluations are safe to run concurrently; Add is safe
// for concurrent use.
//
// What waits is small: a Job or CronJob that runs kubectl waits as its model and its identity,
// not as the object; an RBAC object waits whole, or only as its tag when the caller can give it
// back (WithReload).
type Batch[T any] struct {
	engine    *Engine
	inventory *rbac.Inventory
	// inventoryKinds are the kinds an enabled inventory rule checks.
	inventoryKinds map[GroupKind]bool
	reload         func(T) (ast.Object, error)

	mu      sync.Mutex
	waiting []waiting[T]
	started bool // Remaining was called: Add is over
}

type waiting[T any] struct {
	tag   T
	obj   ast.Object // nil when reload gives it back
	model *workload.Workload
	rules RuleSet
}

// BatchOption configures a Batch.
type BatchOption[T any] func(*Batch[T])

// WithReload lets the batch keep only the tag of an object that waits whole, and ask reload for
// the object once the inventory is complete. reload must return the object Add was given.
func WithReload[T any](reload func(T) (ast.Object, error)) BatchOption[T] {
	return func(b *Batch[T]) { b.reload = reload }
}

// NewBatch returns an empty batch that evaluates with e.
func NewBatch[T any](e *Engine, opts ...BatchOption[T]) *Batch[T] {
	b := &Batch[T]{engine: e, inventory: rbac.NewInventory(e.opts.namespace), inventoryKinds: map[GroupKind]bool{}}
	for _, r := range e.rules {
		if r.Inventory && e.Enabled(r.ID) {
			for _, gk := range r.Kinds {
				b.inventoryKinds[gk] = true
			}
		}
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Evaluation is one evaluation of an object, ready to run.
type Evaluation struct {
	engine *Engine
	obj    ast.Object
	model  *workload.Workload
	rules  RuleSet
	access AccessChecker
	err    error // reload's
}

// Object is what the evaluation runs on: the object, or for a waiting workload its identity
// (apiVersion, kind and metadata), which is all that the inventory rules read of it beside the
// model.
func (ev *Evaluation) Object() ast.Object { return ev.obj }

// Run evaluates and returns the findings, without positions.
func (ev *Evaluation) Run(ctx context.Context) ([]Finding, error) {
	if ev.err != nil {
		return nil, ev.err
	}
	opts := []EvalOption{WithRuleSet(ev.rules), withModel(ev.model)}
	if ev.access != nil {
		opts = append(opts, WithAccessChecker(ev.access))
	}
	return ev.engine.Evaluate(ctx, ev.obj, opts...)
}

// ObjectError says that an object does not decode as its kind, so the inventory could not use
// it; the object is still evaluated as it is.
type ObjectError struct {
	Object ObjectRef
	Err    error
}

func (e *ObjectError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Object.Kind, e.Object.Name, e.Err)
}

func (e *ObjectError) Unwrap() error { return e.Err }

// Add records obj and returns what to evaluate now (nil: nothing yet), and whether an
// evaluation of obj waits for Remaining, with tag. The error, an *ObjectError, says the inventory
// could not read obj, which is then evaluated at once as it is.
func (b *Batch[T]) Add(obj ast.Object, tag T) (now *Evaluation, waits bool, err error) {
	ref := ObjectRefOf(obj)
	now = &Evaluation{engine: b.engine, obj: obj, rules: AllRules, access: b.inventory}
	if !rbac.Relevant(ref.APIVersion, ref.Kind) {
		return now, false, nil
	}
	if ref.Kind == "Job" || ref.Kind == "CronJob" {
		model, _ := workload.Of(obj, b.engine.workloadOptions())
		now.model = model
		if model == nil || !model.UsesAPI() {
			return now, false, nil
		}
		b.inventory.AddWorkload(model)
		if !b.inventoryKinds[groupKindOf(ref)] {
			return now, false, nil
		}
		now.rules = NonInventoryRules
		b.wait(waiting[T]{tag: tag, obj: identity(obj), model: model, rules: InventoryRules})
		return now, true, nil
	}
	if err := b.inventory.Add(obj); err != nil {
		return now, false, &ObjectError{Object: ref, Err: err}
	}
	if ref.Kind == "ServiceAccount" {
		return now, false, nil
	}
	w := waiting[T]{tag: tag, obj: obj, rules: AllRules}
	if b.reload != nil {
		w.obj = nil
	}
	b.wait(w)
	return nil, true, nil
}

func (b *Batch[T]) wait(w waiting[T]) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		panic("policies: Batch.Add after Remaining")
	}
	b.waiting = append(b.waiting, w)
}

// Remaining yields, once every object is added, the evaluations that waited for the whole
// inventory, with their tags; each is released as it is yielded. An object that reload cannot
// give back ends the sequence with its error.
func (b *Batch[T]) Remaining() iter.Seq2[T, *Evaluation] {
	b.mu.Lock()
	b.started = true
	b.mu.Unlock()
	return func(yield func(T, *Evaluation) bool) {
		for i := range b.waiting {
			w := b.waiting[i]
			b.waiting[i] = waiting[T]{}
			ev := &Evaluation{engine: b.engine, obj: w.obj, model: w.model, rules: w.rules, access: b.inventory}
			if ev.obj == nil {
				ev.obj, ev.err = b.reload(w.tag)
			}
			if !yield(w.tag, ev) {
				return
			}
		}
		b.waiting = nil
	}
}

// identity is what a waiting workload keeps of its object: apiVersion, kind, and the metadata
// that names it and exempts it from rules (IgnoreAnnotation).
func identity(obj ast.Object) ast.Object {
	out := ast.NewObject()
	for _, key := range []string{"apiVersion", "kind"} {
		if t := obj.Get(ast.InternedTerm(key)); t != nil {
			out.Insert(ast.InternedTerm(key), t)
		}
	}
	meta, ok := valueAt(obj, "metadata").(ast.Object)
	if !ok {
		return out
	}
	kept := ast.NewObject()
	for _, key := range []string{"name", "generateName", "namespace"} {
		if t := meta.Get(ast.InternedTerm(key)); t != nil {
			kept.Insert(ast.InternedTerm(key), t)
		}
	}
	if annotations, ok := valueAt(meta, "annotations").(ast.Object); ok {
		if t := annotations.Get(ast.StringTerm(IgnoreAnnotation)); t != nil {
			kept.Insert(ast.InternedTerm("annotations"), ast.ObjectTerm(ast.Item(ast.StringTerm(IgnoreAnnotation), t)))
		}
	}
	out.Insert(ast.InternedTerm("metadata"), ast.NewTerm(kept))
	return out
}

// withModel hands Evaluate the model a batch already built.
func withModel(w *workload.Workload) EvalOption { return func(o *evalOptions) { o.model = w } }
