package lint

import (
	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
)

// Locate returns where path is in an object's YAML: the key of the field, or of its nearest
// existing parent when the field is absent (a missing ttlSecondsAfterFinished points at spec).
func Locate(root *yaml.Node, path policies.FieldPath) (line, column int) {
	n := root
	line, column = root.Line, root.Column
	for _, seg := range path {
		n = resolveAlias(n)
		switch seg := seg.(type) {
		case string:
			key, value := entry(n, seg)
			if key == nil {
				return line, column
			}
			line, column, n = key.Line, key.Column, value
		case int:
			if n.Kind != yaml.SequenceNode || seg < 0 || seg >= len(n.Content) {
				return line, column
			}
			n = n.Content[seg]
			line, column = n.Line, n.Column
		}
	}
	return line, column
}

// entry finds key in a mapping, following merge keys (<<: *anchor).
func entry(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i].Tag != "!!merge" {
			return n.Content[i], n.Content[i+1]
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Tag != "!!merge" {
			continue
		}
		sources := []*yaml.Node{n.Content[i+1]}
		if s := resolveAlias(n.Content[i+1]); s.Kind == yaml.SequenceNode {
			sources = s.Content
		}
		for _, src := range sources {
			if k, v := entry(resolveAlias(src), key); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

// valueNode returns the value of key in a mapping, or an empty node.
func valueNode(n *yaml.Node, key string) *yaml.Node {
	if _, v := entry(resolveAlias(n), key); v != nil {
		return resolveAlias(v)
	}
	return &yaml.Node{}
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
