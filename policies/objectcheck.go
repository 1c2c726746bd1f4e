package policies

// The API server's object checks that need Go: decoding an object into its k8s.io/api type the
// way the API server does (case-sensitive, strict about unknown fields), and the value checks
// of k8s.io/apimachinery's validation packages. Rules (invalid-field, unknown-field) word the
// findings; these builtins only find the facts, with the path of each field.

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kscheme "k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"

	"github.com/jobguard/jobguard/internal/astjson"
)

func builtinDecodeErrors(_ rego.BuiltinContext, obj *ast.Term) (*ast.Term, error) {
	o, ok := obj.Value.(ast.Object)
	if !ok {
		return ast.ArrayTerm(), nil
	}
	typ, ok := decodeType(schema.FromAPIVersionAndKind(StringAt(o, "apiVersion"), StringAt(o, "kind")))
	if !ok { // not a built-in kind, or not a served version of it
		return ast.ArrayTerm(), nil
	}
	// Most objects decode: a walk of the term along the type says so without decoding; for the
	// others the JSON is written straight from the term, and the Go value the field-by-field walk
	// needs is built only when the decoder rejects it.
	if surelyDecodes(o, typ) {
		return ast.ArrayTerm(), nil
	}
	data, err := astjson.Append(nil, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", decodeErrors.Name, err)
	}
	if decodes(data, typ) {
		return ast.ArrayTerm(), nil
	}
	value, err := ast.JSON(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", decodeErrors.Name, err)
	}
	problems := walkProblems(value, typ)
	terms := make([]*ast.Term, len(problems))
	for i, p := range problems {
		v, err := ast.InterfaceToValue(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", decodeErrors.Name, err)
		}
		terms[i] = ast.NewTerm(v)
	}
	return ast.ArrayTerm(terms...), nil
}

// surelyDecodes reports whether v decodes strictly into typ (what decodes reports of its JSON)
// by walking v along typ, without decoding. It is sure or says no: anything it does not model
// exactly (null where a type decodes it itself, ",string" fields, []byte, ambiguous embedded
// fields) answers false, and the caller decodes. Types that decode themselves (Quantity,
// IntOrString, Time) are decoded, alone, by the API server's decoder.
func surelyDecodes(v ast.Value, typ reflect.Type) bool {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if implements(typ, unmarshalerType) {
		if _, null := v.(ast.Null); null {
			return false
		}
		data, err := astjson.Append(nil, v)
		return err == nil && kjson.UnmarshalCaseSensitivePreserveInts(data, reflect.New(typ).Interface()) == nil
	}
	if _, null := v.(ast.Null); null {
		return true // the field stays unset
	}
	switch typ.Kind() {
	case reflect.Struct:
		obj, ok := v.(ast.Object)
		fields, exact := jsonFields(typ)
		if !ok || !exact {
			return false
		}
		sure := true
		obj.Until(func(k, el *ast.Term) bool {
			key, ok := k.Value.(ast.String)
			ft, known := fields[string(key)]
			sure = ok && known && surelyDecodes(el.Value, ft)
			return !sure
		})
		return sure
	case reflect.Map:
		obj, ok := v.(ast.Object)
		if !ok || typ.Key().Kind() != reflect.String || implements(typ.Key(), textUnmarshalerType) {
			return false
		}
		sure := true
		obj.Until(func(k, el *ast.Term) bool {
			_, ok := k.Value.(ast.String)
			sure = ok && surelyDecodes(el.Value, typ.Elem())
			return !sure
		})
		return sure
	case reflect.Slice:
		list, ok := v.(*ast.Array)
		if !ok || typ.Elem().Kind() == reflect.Uint8 {
			return false
		}
		for i := range list.Len() {
			if !surelyDecodes(list.Elem(i).Value, typ.Elem()) {
				return false
			}
		}
		return true
	case reflect.String:
		_, ok := v.(ast.String)
		return ok
	case reflect.Bool:
		_, ok := v.(ast.Boolean)
		return ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(ast.Number)
		if !ok {
			return false
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		return err == nil && !reflect.Zero(typ).OverflowInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(ast.Number)
		if !ok {
			return false
		}
		u, err := strconv.ParseUint(string(n), 10, 64)
		return err == nil && !reflect.Zero(typ).OverflowUint(u)
	case reflect.Float32, reflect.Float64:
		n, ok := v.(ast.Number)
		if !ok {
			return false
		}
		_, err := strconv.ParseFloat(string(n), typ.Bits())
		return err == nil
	case reflect.Interface:
		return typ.NumMethod() == 0 // any takes any JSON
	}
	return false
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// implementsCache holds implements' answers: asking reflect is half of surelyDecodes' time.
var implementsCache sync.Map // [2]reflect.Type{typ, iface} -> bool

// implements reports whether *typ implements iface: whether the decoder leaves values of typ
// to the type itself.
func implements(typ, iface reflect.Type) bool {
	key := [2]reflect.Type{typ, iface}
	if v, ok := implementsCache.Load(key); ok {
		return v.(bool)
	}
	ok := reflect.PointerTo(typ).Implements(iface)
	implementsCache.Store(key, ok)
	return ok
}

type jsonFieldSet struct {
	fields map[string]reflect.Type
	exact  bool
}

var jsonFieldCache sync.Map // reflect.Type -> jsonFieldSet

// jsonFields maps the JSON names of a struct's fields (those of embedded structs included, as
// encoding/json promotes them) to their types, and says whether that is exactly what
// encoding/json decodes: not with a ",string" option, an embedded non-struct, or a name two
// embedded structs both promote (encoding/json drops it).
func jsonFields(typ reflect.Type) (fields map[string]reflect.Type, exact bool) {
	if f, ok := jsonFieldCache.Load(typ); ok {
		set := f.(jsonFieldSet)
		return set.fields, set.exact
	}
	set := jsonFieldSet{fields: map[string]reflect.Type{}, exact: true}
	promoted := map[string]int{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "string") {
			set.exact = false
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if name == "" && f.Anonymous && ft.Kind() == reflect.Struct {
			inner, exact := jsonFields(ft)
			set.exact = set.exact && exact
			for k := range inner {
				promoted[k]++
			}
			continue
		}
		if name == "" && f.Anonymous {
			set.exact = false // an embedded non-struct: not modelled
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		set.fields[name] = f.Type
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if name != "" || !f.Anonymous || ft.Kind() != reflect.Struct {
			continue
		}
		inner, _ := jsonFields(ft)
		for k, t := range inner {
			if _, direct := set.fields[k]; direct {
				continue
			}
			if promoted[k] > 1 {
				set.exact = false
				continue
			}
			set.fields[k] = t
		}
	}
	jsonFieldCache.Store(typ, set)
	return set.fields, set.exact
}

// decodeTypes caches the Go type of each built-in kind by group, version and kind.
var decodeTypes sync.Map // schema.GroupVersionKind -> reflect.Type

func decodeType(gvk schema.GroupVersionKind) (reflect.Type, bool) {
	if t, ok := decodeTypes.Load(gvk); ok {
		return t.(reflect.Type), true
	}
	typed, err := kscheme.Scheme.New(gvk)
	if err != nil {
		return nil, false
	}
	t := reflect.TypeOf(typed).Elem()
	decodeTypes.Store(gvk, t)
	return t, true
}

func builtinSelectorMatches(_ rego.BuiltinContext, selector, set *ast.Term) (*ast.Term, error) {
	var sel metav1.LabelSelector
	var lbls map[string]string
	if err := termInto(selector, &sel); err != nil {
		return ast.InternedTerm(false), nil // a selector that does not decode selects nothing
	}
	if err := termInto(set, &lbls); err != nil {
		return nil, fmt.Errorf("%s: operand 2: %w", selectorMatches.Name, err)
	}
	s, err := metav1.LabelSelectorAsSelector(&sel)
	if err != nil {
		return ast.InternedTerm(false), nil // an invalid selector selects nothing
	}
	return ast.InternedTerm(s.Matches(labels.Set(lbls))), nil
}

func termInto(t *ast.Term, out any) error {
	v, err := ast.JSON(t.Value)
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return kjson.UnmarshalCaseSensitivePreserveInts(data, out)
}

// DecodeProblem is a field of an object that the API server cannot decode into its type, or
// does not know and drops.
type DecodeProblem struct {
	Path    []any  `json:"path"`
	Problem string `json:"problem"` // "wrong type" or "unknown field"
	Got     string `json:"got,omitempty"`
	Want    string `json:"want,omitempty"`
	Detail  string `json:"detail"`
	// Hint, for an unknown field: "case" names the field that differs only in case, "at" the
	// path of the nearest enclosing object whose type has a field of this name.
	Hint map[string]any `json:"hint,omitempty"`
}

// DecodeProblems decodes value (a JSON value: maps, slices, json.Number...) into a new value of
// typ with the API server's decoder and lists every field it rejects or drops. Decoding the whole
// object is the common, fast case; only an object that fails is walked field by field, so that
// each problem has its path (the decoder's own error names struct fields, not list indexes).
func DecodeProblems(value any, typ reflect.Type) []DecodeProblem {
	data, err := json.Marshal(value)
	if err != nil || decodes(data, typ) {
		return nil
	}
	return walkProblems(value, typ)
}

// decodes reports whether data decodes into a new value of typ, strictly: no wrong type, no
// unknown field.
func decodes(data []byte, typ reflect.Type) bool {
	strict, err := kjson.UnmarshalStrict(data, reflect.New(typ).Interface(), kjson.DisallowUnknownFields)
	return err == nil && len(strict) == 0
}

// walkProblems walks value field by field along typ and lists what the decoder rejects or drops.
func walkProblems(value any, typ reflect.Type) []DecodeProblem {
	w := decodeWalker{}
	w.walk(nil, value, typ, nil)
	return w.problems
}

type decodeWalker struct{ problems []DecodeProblem }

// enclosing is an object on the way to a field, for the hint of a misplaced one.
type enclosing struct {
	path   []any
	fields map[string]reflect.Type
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

func (w *decodeWalker) walk(path []any, value any, typ reflect.Type, outer []enclosing) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if value == nil { // null decodes into anything: the field stays unset
		return
	}
	if implements(typ, unmarshalerType) { // Quantity, IntOrString, Time...: the type decides
		w.leaf(path, value, typ)
		return
	}
	switch typ.Kind() {
	case reflect.Struct:
		obj, ok := value.(map[string]any)
		if !ok {
			w.leaf(path, value, typ)
			return
		}
		fields, _ := jsonFields(typ)
		outer = append(outer, enclosing{path: path, fields: fields})
		for _, key := range sortedKeys(obj) {
			child := append(slices.Clip(path), key)
			if ft, ok := fields[key]; ok {
				w.walk(child, obj[key], ft, outer)
				continue
			}
			w.problems = append(w.problems, DecodeProblem{
				Path: child, Problem: "unknown field", Detail: fmt.Sprintf("unknown field %q", key), Hint: unknownFieldHint(key, fields, outer),
			})
		}
	case reflect.Slice, reflect.Array:
		list, ok := value.([]any)
		if !ok || typ.Elem().Kind() == reflect.Uint8 { // []byte is a base64 string
			w.leaf(path, value, typ)
			return
		}
		for i, el := range list {
			w.walk(append(slices.Clip(path), i), el, typ.Elem(), outer)
		}
	case reflect.Map:
		obj, ok := value.(map[string]any)
		if !ok {
			w.leaf(path, value, typ)
			return
		}
		for _, key := range sortedKeys(obj) {
			w.walk(append(slices.Clip(path), key), obj[key], typ.Elem(), outer)
		}
	case reflect.Interface:
	default:
		w.leaf(path, value, typ)
	}
}

// leaf decodes one value into typ with the API server's decoder.
func (w *decodeWalker) leaf(path []any, value any, typ reflect.Type) {
	data, err := json.Marshal(value)
	if err != nil {
		return
	}
	err = kjson.UnmarshalCaseSensitivePreserveInts(data, reflect.New(typ).Interface())
	if err == nil {
		return
	}
	want := typ
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Type != nil {
		want = typeErr.Type
	}
	w.problems = append(w.problems, DecodeProblem{Path: path, Problem: "wrong type", Got: jsonTypeName(value), Want: typeName(want), Detail: err.Error()})
}

// typeName names a Go type for a person: the kind of a named basic type (RestartPolicy is a
// string), the name of anything else (resource.Quantity, []v1.Container).
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return t.Kind().String()
	}
	return t.String()
}

func unknownFieldHint(key string, fields map[string]reflect.Type, outer []enclosing) map[string]any {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return map[string]any{"case": name}
		}
	}
	for i := len(outer) - 2; i >= 0; i-- { // outer[len-1] is the object the field is in
		if _, ok := outer[i].fields[key]; ok {
			return map[string]any{"at": append(slices.Clip(outer[i].path), key)}
		}
	}
	return nil
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number, float64, int64, int:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// mapProblem is one rejected entry of a labels or annotations map: its key, whether the key or
// the value (or, "size", the whole map) is wrong, and the API server's reasons.
func mapProblem(key, part string, errs []string) *ast.Term {
	return ast.ObjectTerm(
		ast.Item(ast.InternedTerm("key"), ast.StringTerm(key)),
		ast.Item(ast.InternedTerm("part"), ast.StringTerm(part)),
		ast.Item(ast.InternedTerm("errors"), stringsTerm(errs)),
	)
}

// stringMap returns the entries of an object term whose values are strings, by sorted key.
func stringMap(t *ast.Term) (keys []string, values map[string]string) {
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return nil, nil
	}
	values = map[string]string{}
	obj.Foreach(func(k, v *ast.Term) {
		key, ok := k.Value.(ast.String)
		if !ok {
			return
		}
		keys = append(keys, string(key))
		if s, ok := v.Value.(ast.String); ok {
			values[string(key)] = string(s)
		}
	})
	slices.Sort(keys)
	return keys, values
}

func builtinLabelsErrors(_ rego.BuiltinContext, labels *ast.Term) (*ast.Term, error) {
	keys, values := stringMap(labels)
	var out []*ast.Term
	for _, k := range keys {
		if errs := content.IsLabelKey(k); len(errs) > 0 {
			out = append(out, mapProblem(k, "key", errs))
		}
		if v, ok := values[k]; ok {
			if errs := content.IsLabelValue(v); len(errs) > 0 {
				out = append(out, mapProblem(k, "value", errs))
			}
		}
	}
	return ast.ArrayTerm(out...), nil
}

func builtinAnnotationsErrors(_ rego.BuiltinContext, annotations *ast.Term) (*ast.Term, error) {
	keys, values := stringMap(annotations)
	var out []*ast.Term
	for _, k := range keys {
		if errs := content.IsLabelKey(strings.ToLower(k)); len(errs) > 0 {
			out = append(out, mapProblem(k, "key", errs))
		}
	}
	if err := apivalidation.ValidateAnnotationsSize(values); err != nil {
		out = append(out, mapProblem("", "size", []string{err.Error()}))
	}
	return ast.ArrayTerm(out...), nil
}
