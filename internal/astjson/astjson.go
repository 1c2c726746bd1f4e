// Package astjson writes OPA values as JSON without building Go values first: the Kubernetes
// decoders jobguard feeds objects to (strict decoding, the RBAC inventory) read JSON, and
// ast.JSON plus json.Marshal cost more than the decoding.
package astjson

import (
	"fmt"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Append appends the JSON encoding of v to buf, as json.Marshal(ast.JSON(v)) would but for
// the escaping of <, > and &, which decodes the same.
func Append(buf []byte, v ast.Value) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case ast.Null:
		return append(buf, "null"...), nil
	case ast.Boolean:
		return strconv.AppendBool(buf, bool(v)), nil
	case ast.Number:
		return append(buf, v...), nil
	case ast.String:
		return appendString(buf, string(v)), nil
	case *ast.Array:
		buf = append(buf, '[')
		for i := range v.Len() {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = Append(buf, v.Elem(i).Value); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case ast.Set:
		buf = append(buf, '[')
		for i, t := range v.Slice() {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = Append(buf, t.Value); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case ast.Object:
		buf = append(buf, '{')
		first := true
		err = v.Iter(func(k, el *ast.Term) error {
			key, ok := k.Value.(ast.String)
			if !ok {
				return fmt.Errorf("object key %v is not a string", k)
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = append(appendString(buf, string(key)), ':')
			buf, err = Append(buf, el.Value)
			return err
		})
		if err != nil {
			return nil, err
		}
		return append(buf, '}'), nil
	}
	return nil, fmt.Errorf("%s is not JSON", ast.ValueName(v))
}

// appendString appends s as a JSON string: quotes, backslashes and control characters
// escaped, everything else as it is (a decoder reads invalid UTF-8 as U+FFFD, as json.Marshal writes it).
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\r':
			buf = append(buf, '\\', 'r')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	return append(append(buf, s[start:]...), '"')
}
