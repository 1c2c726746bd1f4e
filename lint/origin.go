package lint

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
)

// A rendered object (a chart's template output, a kustomize build, a helm template stream) is
// linted as rendered, but a finding is reported where a person edits: the template line, the
// patch or resource file. A placer knows, for one rendered object, where its fields were written.
type placer interface {
	// place maps a finding's path to the place to report; rendered is where Locate put it in the
	// rendered text, object the object's YAML as linted. It may add related places (the values
	// file line that set a value).
	place(path policies.FieldPath, rendered policies.Position, object *yaml.Node) (policies.Position, []policies.RelatedLocation)
}

// objectKey names a rendered object by the file and line the Linter knows it by (Object.File,
// Object.Line), which summaries of Jobs keep too.
type objectKey struct {
	file string
	line int
}

// remember records the placers of rendered objects, for check.
func (l *Linter) remember(placers map[objectKey]placer) {
	for k, p := range placers {
		l.placers.Store(k, p)
	}
}

// place moves a finding located in a rendered object to where its field was written.
func (l *Linter) place(obj Object, f *policies.Finding) {
	p, ok := l.placers.Load(objectKey{obj.File, obj.Line})
	if !ok {
		return
	}
	f.Position, f.Related = p.(placer).place(f.Path, f.Position, obj.Node)
	f.Message += describeValues(f.Related)
}

// placeObject is where a rendered object starts for a person (its first key in the template, its
// resource file): for reports that list objects (JUnit).
func (l *Linter) placeObject(rendered policies.Position, node *yaml.Node) policies.Position {
	p, ok := l.placers.Load(objectKey{rendered.File, rendered.Line})
	if !ok {
		return rendered
	}
	at, _ := p.(placer).place(nil, rendered, node)
	return at
}

// step is one segment of a field path resolved in a YAML tree: the node of a mapping key (for a
// string segment) or of a list item (for an index), and the value under it.
type step struct {
	seg   any
	key   *yaml.Node
	value *yaml.Node
}

// walk resolves path in root as far as it exists (as Locate does) and returns one step per
// segment found; fewer steps than segments means the field is absent and the last step is its
// nearest existing parent.
func walk(root *yaml.Node, path policies.FieldPath) []step {
	var steps []step
	n := root
	for _, seg := range path {
		n = resolveAlias(n)
		switch seg := seg.(type) {
		case string:
			k, v := entry(n, seg)
			if k == nil {
				return steps
			}
			steps = append(steps, step{seg: seg, key: k, value: resolveAlias(v)})
			n = v
		case int:
			if n.Kind != yaml.SequenceNode || seg < 0 || seg >= len(n.Content) {
				return steps
			}
			item := resolveAlias(n.Content[seg])
			steps = append(steps, step{seg: seg, key: n.Content[seg], value: item})
			n = item
		default:
			return steps
		}
	}
	return steps
}

// keyColumn finds where the mapping key name is written on a source line (plain or quoted,
// followed by a colon) and returns its 1-based column in characters, or 0.
func keyColumn(line, name string) int {
	for _, form := range []string{name, `"` + name + `"`, `'` + name + `'`} {
		from := 0
		for {
			i := strings.Index(line[from:], form+":")
			if i < 0 {
				break
			}
			i += from
			end := i + len(form) + 1
			before := byte(' ')
			if i > 0 {
				before = line[i-1]
			}
			if (before == ' ' || before == '\t' || before == '-' || before == '{' || before == ',') &&
				(end == len(line) || line[end] == ' ' || line[end] == '\t' || line[end] == '\r') {
				return utf8.RuneCountInString(line[:i]) + 1
			}
			from = i + 1
		}
	}
	return 0
}

// itemColumn is the column of what follows the "- " of a list item line, or 0 when the line does
// not start an item.
func itemColumn(line string) int {
	trimmed := strings.TrimLeft(line, " ")
	if !strings.HasPrefix(trimmed, "- ") && trimmed != "-" {
		return 0
	}
	i := len(line) - len(trimmed)
	for i < len(line) && (line[i] == '-' || line[i] == ' ') {
		i++
	}
	return utf8.RuneCountInString(line[:i]) + 1
}

// jsonPointer is path as a JSON pointer (/spec/template/spec/containers/0/image).
func jsonPointer(path policies.FieldPath) string {
	var b strings.Builder
	for _, seg := range path {
		b.WriteByte('/')
		switch s := seg.(type) {
		case string:
			b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
		case int:
			b.WriteString(strconv.Itoa(s))
		}
	}
	return b.String()
}

// Unfixable says, for a chart or kustomization directory, where each default --fix would write
// belongs instead: rendered output is not edited, and the template, values or patch to change is
// a choice left to a person. apply chooses the fixes, as for Fix.
func (l *Linter) Unfixable(ctx context.Context, dir string, apply func(policies.Finding) bool) ([]string, error) {
	kind := renderKind(dir)
	if kind == "" {
		return nil, nil
	}
	report, err := l.Lint(ctx, []string{dir})
	if err != nil {
		return nil, err
	}
	defer report.Close()
	what := map[string]string{renderHelm: "a Helm chart", renderKustomize: "a kustomization"}[kind]
	var out []string
	err = report.EachFinding(func(f policies.Finding) error {
		if f.Fix == nil || !apply(f) {
			return nil
		}
		out = append(out, fmt.Sprintf("%s: not fixed: %s is %s, whose rendered output is not edited; set %s there (%s)",
			f.Position, dir, what, policies.DescribeFix(f), f.Rule))
		return nil
	})
	return out, err
}
