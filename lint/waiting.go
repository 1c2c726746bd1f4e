package lint

import (
	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
)

// A Job or CronJob that runs kubectl is checked in two passes (policies.Batch): every rule but
// the inventory ones (custom.inventory, rbac-insufficient for these kinds) as soon as it is read,
// and the inventory rules once every file is read, on the engine's model of the workload. What
// lint keeps meanwhile is where things are: a node tree pruned to the fields the inventory rules
// report on, so that Locate and ignore comments still place their findings (most of these
// workloads have a finding, and the pruned tree is smaller than the document's text that RBAC
// objects wait as). Paths into the pruned tree are paths into the object: lists keep their
// indexes.
//
// What the tree keeps is the contract with the inventory rules: a rule marked
// `inventory: true` that applies to Jobs or CronJobs reports on nothing else
// (TestWaitingPositionsMatchObject checks it on testdata/).

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
		"serviceAccount", whole, // the deprecated alias
		"automountServiceAccountToken", whole,
		"containers", &shape{items: containerShape},
		"initContainers", &shape{items: containerShape},
	)
	metadataShape = fields("name", whole, "generateName", whole, "namespace", whole)
	waitingShapes = map[string]*shape{
		"Job": fields("apiVersion", whole, "kind", whole, "metadata", metadataShape,
			"spec", fields("template", fields("spec", podSpecShape))),
		"CronJob": fields("apiVersion", whole, "kind", whole, "metadata", metadataShape,
			"spec", fields("jobTemplate", fields("spec", fields("template", fields("spec", podSpecShape))))),
	}
)

// waitingPositions is the node tree of a Job or CronJob that waits for the inventory, pruned to
// what the inventory rules report on; nil for other kinds.
func waitingPositions(o Object) *posNode {
	s := waitingShapes[policies.ObjectRefOf(o.Value).Kind]
	if s == nil {
		return nil
	}
	n := pruneNode(o.Node, s)
	return &n
}

// posNode is what Locate and suppression read of a yaml.Node.
type posNode struct {
	kids         []posNode
	key          string // a mapping key's text
	comment      string // the head comment, where ignore comments are
	line, column int32
	kind         yaml.Kind
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
