package policies

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"gomodules.xyz/jsonpatch/v2"
)

// Patch turns fixes into RFC 6902 "add" operations against obj: the patch the mutating webhook
// returns and `jobguard mutate` applies. A fix applies only where its
// field is absent (missing or null); missing parent objects are created, and two fixes under the
// same missing parent share it. Fixes whose field is present, or whose path would need a missing
// list element or runs through a value that is not an object, are skipped. applied lists the
// findings whose fix made it into the patch, in order.
func Patch(obj ast.Object, fixes []Finding) (ops []jsonpatch.Operation, applied []Finding) {
	// created maps the JSON pointer of each value this patch adds (objects inside added objects
	// included) to that value, so that a later fix under a created object is written into it
	// rather than added a second time.
	created := map[string]any{}
	for _, f := range fixes {
		if f.Fix == nil || len(f.Fix.Path) == 0 {
			continue
		}
		op, ok := addOp(obj, f.Fix.Path, f.Fix.Value, created)
		if !ok {
			continue
		}
		if op != nil {
			ops = append(ops, *op)
		}
		applied = append(applied, f)
	}
	return ops, applied
}

// addOp sets path to value: it returns a new operation, or nil when value was written into an
// object an earlier operation adds; ok is false when the fix cannot or need not be applied.
func addOp(obj ast.Object, path FieldPath, value any, created map[string]any) (op *jsonpatch.Operation, ok bool) {
	var cur ast.Value = obj
	ptr := ""
	for i, seg := range path {
		switch node := cur.(type) {
		case ast.Object:
			key, isKey := seg.(string)
			if !isKey {
				return nil, false
			}
			child := ptr + "/" + escapePointer(key)
			if v, isCreated := created[child]; isCreated {
				return nil, setCreated(v, child, path[i+1:], value, created)
			}
			if t := node.Get(ast.StringTerm(key)); t != nil && !isNull(t.Value) {
				cur, ptr = t.Value, child
				continue
			}
			// The first absent key: add it, with the objects the rest of the path needs.
			v, ok := nested(path[i+1:], value)
			if !ok {
				return nil, false
			}
			register(child, v, created)
			return &jsonpatch.Operation{Operation: "add", Path: child, Value: v}, true
		case *ast.Array:
			idx, isIndex := seg.(int)
			if !isIndex || idx < 0 || idx >= node.Len() {
				return nil, false // list elements are never created
			}
			cur, ptr = node.Elem(idx).Value, ptr+"/"+strconv.Itoa(idx)
		default:
			return nil, false // a scalar on the way: not a place a default can go
		}
	}
	return nil, false // the field is present
}

// setCreated writes value at rest inside v, a value an earlier operation adds at ptr.
func setCreated(v any, ptr string, rest FieldPath, value any, created map[string]any) bool {
	for i, seg := range rest {
		m, isObject := v.(map[string]any)
		key, isKey := seg.(string)
		if !isObject || !isKey {
			return false
		}
		ptr += "/" + escapePointer(key)
		next, exists := m[key]
		if !exists {
			add, ok := nested(rest[i+1:], value)
			if !ok {
				return false
			}
			m[key] = add
			register(ptr, add, created)
			return true
		}
		v = next
	}
	return false // the field is set already
}

// nested wraps value in one object per remaining key: nested([a b], v) = {"a": {"b": v}}.
func nested(rest FieldPath, value any) (any, bool) {
	for i := len(rest) - 1; i >= 0; i-- {
		key, isKey := rest[i].(string)
		if !isKey {
			return nil, false
		}
		value = map[string]any{key: value}
	}
	return value, true
}

// register records v, and the values inside it when it is an object, as added at ptr.
func register(ptr string, v any, created map[string]any) {
	created[ptr] = v
	if m, ok := v.(map[string]any); ok {
		for k, child := range m {
			register(ptr+"/"+escapePointer(k), child, created)
		}
	}
}

func isNull(v ast.Value) bool {
	_, null := v.(ast.Null)
	return null
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(key string) string { return pointerEscaper.Replace(key) }

// DescribeFix is how an applied default is reported: spec.ttlSecondsAfterFinished=86400.
func DescribeFix(f Finding) string {
	v := fmt.Sprint(f.Fix.Value)
	if _, isString := f.Fix.Value.(string); !isString {
		if b, err := json.Marshal(f.Fix.Value); err == nil {
			v = string(b)
		}
	}
	return f.Fix.Path.String() + "=" + v
}
