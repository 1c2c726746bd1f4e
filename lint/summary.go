package lint

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
)

// A Job or CronJob that runs kubectl is checked in two passes (see Linter.Lint): every rule but
// the inventory ones (custom.inventory, today rbac-insufficient) as soon as it is read, and the
// inventory rules once every file is read, on a summary: the object pruned to what those rules
// read, with a YAML node tree pruned the same way so that Locate and ignore comments still place
// their findings. Paths into the summary are paths into the object: lists keep their indexes.
//
// What the summary keeps is the contract with the inventory rules: a rule marked
// `inventory: true` that applies to Jobs or CronJobs must read nothing else
// (TestSummaryMatchesObject checks it on testdata/).

// shape says what to keep of a value: the keys of a mapping, the shape of every item of a list,
// or (nil) the whole value.
type shape struct {
	fields map[string]*shape
	items  *shape
}

var whole *shape // keep the value as it is

func fields(kv ...any) *shape {
	s := &shape{fields: map[string]*shape{}}
	for i := 0; i < len(kv); i += 2 {
		s.fields[kv[i].(string)], _ = kv[i+1].(*shape)
	}
	return s
}

var (
	containerShape = fields("name", whole, "command", whole, "args", whole)
	podSpecShape   = fields(
		"serviceAccountName", whole,
		"serviceAccount", whole, // the deprecated alias; cheap to keep
		"containers", &shape{items: containerShape},
		"initContainers", &shape{items: containerShape},
	)
	metadataShape = fields(
		"name", whole, "generateName", whole, "namespace", whole,
		// The annotation that exempts a whole object (policies.IgnoreAnnotation) is all ignore
		// handling reads; ignore comments are kept on the nodes.
		"annotations", fields(policies.IgnoreAnnotation, whole),
	)
	summaryShapes = map[string]*shape{
		"Job": fields("apiVersion", whole, "kind", whole, "metadata", metadataShape,
			"spec", fields("template", fields("spec", podSpecShape))),
		"CronJob": fields("apiVersion", whole, "kind", whole, "metadata", metadataShape,
			"spec", fields("jobTemplate", fields("spec", fields("template", fields("spec", podSpecShape))))),
	}
)

// summary is what waits of a Job or CronJob for the inventory pass, compactly: the pruned value
// as JSON and the pruned node tree as positions (a third of the memory of ast values and
// yaml.Nodes). object turns it back into an Object.
type summary struct {
	file, source string
	line         int
	value        []byte
	node         posNode
}

// posNode is what Locate and suppression read of a yaml.Node.
type posNode struct {
	kids         []posNode
	key          string // a mapping key's text
	comment      string // the head comment, where ignore comments are
	line, column int32
	kind         yaml.Kind
}

// summarize returns the summary of a Job or CronJob for the inventory pass, or false for other kinds.
func summarize(o Object) (*summary, bool) {
	s := summaryShapes[policies.ObjectRefOf(o.Value).Kind]
	if s == nil {
		return nil, false
	}
	value, err := ast.JSON(pruneValue(o.Value, s))
	if err != nil {
		return nil, false
	}
	data, err := json.Marshal(value)
	if err != nil {
		return nil, false
	}
	return &summary{file: o.File, source: o.Source, line: o.Line, value: data, node: pruneNode(o.Node, s)}, true
}

// object is the summary as an Object: pruned, with paths and positions of the original.
func (s *summary) object() (Object, error) {
	v, err := ast.ValueFromReader(bytes.NewReader(s.value))
	if err != nil {
		return Object{}, fmt.Errorf("%s:%d: reading the summary back: %w", s.file, s.line, err)
	}
	obj, _ := v.(ast.Object)
	return Object{Value: obj, Node: s.node.yaml(), File: s.file, Line: s.line, Source: s.source}, nil
}

func (p *posNode) yaml() *yaml.Node {
	n := &yaml.Node{Kind: p.kind, Value: p.key, HeadComment: p.comment, Line: int(p.line), Column: int(p.column)}
	if len(p.kids) > 0 {
		n.Content = make([]*yaml.Node, len(p.kids))
		for i := range p.kids {
			n.Content[i] = p.kids[i].yaml()
		}
	}
	return n
}

func pruneValue(v ast.Value, s *shape) ast.Value {
	if s == nil {
		return v
	}
	switch v := v.(type) {
	case ast.Object:
		if s.fields == nil {
			return v
		}
		out := ast.NewObjectWithCapacity(len(s.fields))
		v.Foreach(func(k, t *ast.Term) {
			key, ok := k.Value.(ast.String)
			if sub, keep := s.fields[string(key)]; ok && keep {
				out.Insert(k, ast.NewTerm(pruneValue(t.Value, sub)))
			}
		})
		return out
	case *ast.Array:
		if s.items == nil {
			return v
		}
		items := make([]*ast.Term, v.Len())
		for i := range items {
			items[i] = ast.NewTerm(pruneValue(v.Elem(i).Value, s.items))
		}
		return ast.NewArray(items...)
	}
	return v // not what the shape expects: the rules see it as it is
}

// pruneNode keeps what Locate and suppression read of n along the kept paths: for every node,
// its position and the comment above it; for mapping keys, their text. Aliases and merge keys are
// resolved on the way, so the copy has neither; a node reached through an alias keeps the alias's
// own position and comment, as Locate and suppression see it. A value kept whole keeps its items'
// positions (a path may end in a list index: containers[0].command[2]) but nothing deeper.
func pruneNode(n *yaml.Node, s *shape) posNode {
	out := positionOf(n)
	r := resolveAlias(n)
	switch {
	case s == nil:
		if r.Kind == yaml.SequenceNode || r.Kind == yaml.MappingNode {
			out.kind = r.Kind
			out.kids = make([]posNode, len(r.Content))
			for i, c := range r.Content {
				out.kids[i] = positionOf(c)
				if r.Kind == yaml.MappingNode && i%2 == 0 {
					out.kids[i].key = resolveAlias(c).Value
				}
			}
		}
	case r.Kind == yaml.MappingNode && s.fields != nil:
		out.kind = yaml.MappingNode
		type pair struct{ k, v *yaml.Node }
		found := make(map[string]pair, len(s.fields))
		for key := range s.fields {
			if k, v := entry(r, key); k != nil {
				found[key] = pair{k, v}
			}
		}
		out.kids = make([]posNode, 0, 2*len(found))
		for key, p := range found {
			kc := positionOf(p.k)
			kc.key = key
			out.kids = append(out.kids, kc, pruneNode(p.v, s.fields[key]))
		}
	case r.Kind == yaml.SequenceNode && s.items != nil:
		out.kind = yaml.SequenceNode
		out.kids = make([]posNode, len(r.Content))
		for i, c := range r.Content {
			out.kids[i] = pruneNode(c, s.items)
		}
	}
	return out
}

// positionOf is a scalar with n's position and head comment.
func positionOf(n *yaml.Node) posNode {
	return posNode{kind: yaml.ScalarNode, line: int32(n.Line), column: int32(n.Column), comment: n.HeadComment}
}
