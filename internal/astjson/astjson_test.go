package astjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// FuzzAppend checks that Append says what encoding/json says of the same
// value, strings with control characters, quotes and invalid UTF-8 included.
func FuzzAppend(f *testing.F) {
	for _, seed := range []string{
		`{"a": [1, 2.5e3, -0, true, false, null], "b": {"c": "d"}}`,
		`"tab\tnewline\nquote\"backslash\\ bell\u0007 nul\u0000 del\u007f <>& é 🙂 \u2028"`,
		"\"\xff\xfe invalid\"",
		`{"": {}, "x": [], "y": [[{}]]}`,
		`12345678901234567890123`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ast.ValueFromReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		got, err := Append(nil, v)
		if err != nil {
			t.Fatalf("Append(%s): %v", data, err)
		}
		plain, err := ast.JSON(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := decodeAny(t, got), decodeAny(t, want); !reflect.DeepEqual(g, w) {
			t.Fatalf("Append wrote %s, which decodes to %#v; encoding/json %s, %#v", got, g, want, w)
		}
	})
}

func decodeAny(t *testing.T, data []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s is not JSON: %v", data, err)
	}
	return v
}

func TestAppendRejectsNonStringKeys(t *testing.T) {
	obj := ast.NewObject(ast.Item(ast.IntNumberTerm(1), ast.StringTerm("x")))
	if _, err := Append(nil, obj); err == nil {
		t.Error("an object with a number key was written as JSON")
	}
}
