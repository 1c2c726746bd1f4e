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
// the RBAC (rbac-insufficient), so these rules, the inventory rules (custom.inventory), can run
// only once every object is added.
//
// Add each object; it is recorded in the batch's RBAC inventory, and Add returns the evaluation
// that can run at once (every rule of the object's kind but the inventory ones). Once every
// object is added, Remaining yields the evaluations of the inventory rules, each with the
// caller's tag (a position, a file offset) so that findings can be placed. Evaluations are safe to
// run concurrently; Add is safe for concurrent use.
//
// What waits is small: the object's identity (apiVersion, kind, the metadata that names it and
// exempts it from rules), and for a Job or CronJob that runs kubectl its model. The inventory
// rules read nothing else: what they ask of the RBAC, they ask the inventory.
type Batch[T any] struct {
	engine    *Engine
	inventory *rbac.Inventory
	// inventoryKinds are the kinds an enabled inventory rule checks.
	inventoryKinds map[GroupKind]bool

	mu      sync.Mutex
	waiting []waiting[T]
	started bool // Remaining was called: Add is over
}

type waiting[T any] struct {
	tag      T
	identity identity
	model    *workload.Workload
}

// NewBatch returns an empty batch that evaluates with e.
func NewBatch[T any](e *Engine) *Batch[T] {
	b := &Batch[T]{engine: e, inventory: rbac.NewInventory(e.opts.namespace), inventoryKinds: map[GroupKind]bool{}}
	for _, r := range e.rules {
		if r.Inventory && e.Enabled(r.ID) {
			for _, gk := range r.Kinds {
				b.inventoryKinds[gk] = true
			}
		}
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
}

// Object is what the evaluation runs on: the object, or for one that waited its identity
// (apiVersion, kind and metadata), which is all that the inventory rules read of it beside a
// workload's model.
func (ev *Evaluation) Object() ast.Object { return ev.obj }

// Run evaluates and returns the findings, without positions.
func (ev *Evaluation) Run(ctx context.Context) ([]Finding, error) {
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

// Add records obj and returns what to evaluate now, and whether the evaluation of its inventory
// rules waits for Remaining, with tag. The error, an *ObjectError, says the inventory could not
// read obj, which is then evaluated at once, every rule, as it is.
func (b *Batch[T]) Add(obj ast.Object, tag T) (now *Evaluation, waits bool, err error) {
	ref := ObjectRefOf(obj)
	now = &Evaluation{engine: b.engine, obj: obj, rules: AllRules, access: b.inventory}
	w := waiting[T]{tag: tag}
	switch {
	case !rbac.Relevant(ref.APIVersion, ref.Kind):
		// Not in the inventory; it waits only for a custom inventory rule of its kind.
	case ref.Kind == "Job" || ref.Kind == "CronJob":
		model, _ := workload.Of(obj, b.engine.workloadOptions())
		now.model = model
		if model == nil || !model.UsesAPI() {
			return now, false, nil // it asks the API nothing: nothing to ask the inventory about
		}
		b.inventory.AddWorkload(model)
		w.model = model
	default:
		if err := b.inventory.Add(obj); err != nil {
			return now, false, &ObjectError{Object: ref, Err: err}
		}
	}
	if !b.inventoryKinds[groupKindOf(ref)] {
		return now, false, nil
	}
	now.rules = NonInventoryRules
	w.identity = identityOf(obj)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		panic("policies: Batch.Add after Remaining")
	}
	b.waiting = append(b.waiting, w)
	return now, true, nil
}

// Remaining yields, once every object is added, the evaluations of the inventory rules that
// waited for the whole inventory, with their tags; each is released as it is yielded.
func (b *Batch[T]) Remaining() iter.Seq2[T, *Evaluation] {
	b.mu.Lock()
	b.started = true
	b.mu.Unlock()
	return func(yield func(T, *Evaluation) bool) {
		for i := range b.waiting {
			w := b.waiting[i]
			b.waiting[i] = waiting[T]{}
			ev := &Evaluation{engine: b.engine, obj: w.identity.object(), model: w.model, rules: InventoryRules, access: b.inventory}
			if !yield(w.tag, ev) {
				return
			}
		}
		b.waiting = nil
	}
}

// identity is what a waiting object keeps: apiVersion, kind, and the metadata that names it and
// exempts it from rules (IgnoreAnnotation); nil where the object has none. It keeps the object's
// terms rather than a new object, a third of the memory: object makes that when the inventory
// rules run.
type identity struct {
	apiVersion, kind                      *ast.Term
	metadata                              bool // the object has metadata, a mapping
	name, generateName, namespace, ignore *ast.Term
}

func identityOf(obj ast.Object) identity {
	id := identity{apiVersion: obj.Get(ast.InternedTerm("apiVersion")), kind: obj.Get(ast.InternedTerm("kind"))}
	meta, ok := valueAt(obj, "metadata").(ast.Object)
	if !ok {
		return id
	}
	id.metadata = true
	id.name = meta.Get(ast.InternedTerm("name"))
	id.generateName = meta.Get(ast.InternedTerm("generateName"))
	id.namespace = meta.Get(ast.InternedTerm("namespace"))
	if annotations, ok := valueAt(meta, "annotations").(ast.Object); ok {
		id.ignore = annotations.Get(ast.StringTerm(IgnoreAnnotation))
	}
	return id
}

func (id identity) object() ast.Object {
	out := ast.NewObject()
	insert := func(o ast.Object, key string, t *ast.Term) {
		if t != nil {
			o.Insert(ast.InternedTerm(key), t)
		}
	}
	insert(out, "apiVersion", id.apiVersion)
	insert(out, "kind", id.kind)
	if !id.metadata {
		return out
	}
	meta := ast.NewObject()
	insert(meta, "name", id.name)
	insert(meta, "generateName", id.generateName)
	insert(meta, "namespace", id.namespace)
	if id.ignore != nil {
		insert(meta, "annotations", ast.ObjectTerm(ast.Item(ast.StringTerm(IgnoreAnnotation), id.ignore)))
	}
	out.Insert(ast.InternedTerm("metadata"), ast.NewTerm(meta))
	return out
}

// withModel hands Evaluate the model a batch already built.
func withModel(w *workload.Workload) EvalOption { return func(o *evalOptions) { o.model = w } }
