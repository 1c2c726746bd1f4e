package lint

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
)

// Change is one default written into a source.
type Change struct {
	File string
	// Line is where the new field was written (1-based, in the file after the change).
	Line    int
	Finding policies.Finding
}

func (c Change) String() string {
	return fmt.Sprintf("%s:%d: set %s (%s)", c.File, c.Line, policies.DescribeFix(c.Finding), c.Finding.Rule)
}

// Fix evaluates every object of a source and writes the rules' declared defaults into its text,
// as the mutating webhook would patch the object on CREATE: the same findings, the same
// policies.Patch. Only new lines are added; comments, key order, quoting and indentation of
// everything else stay byte for byte. apply chooses which fixes to make (opt-in ones only when
// configured). A default that cannot be written as a new line (its parent is a flow mapping such
// as `spec: {}`) is returned as an error naming the place, and the others are still made.
func (l *Linter) Fix(ctx context.Context, file string, src []byte, apply func(policies.Finding) bool) ([]byte, []Change, []error) {
	objects, inputErrs := Decode(file, src)
	var errs []error
	for _, e := range inputErrs {
		errs = append(errs, e)
	}
	var edits []edit
	var changes []Change
	for _, obj := range objects {
		findings, err := l.engine.Evaluate(ctx, obj.Value)
		if err != nil {
			return nil, nil, append(errs, err)
		}
		findings = slices.DeleteFunc(findings, func(f policies.Finding) bool { return f.Fix == nil || !apply(f) })
		ops, applied := policies.Patch(obj.Value, findings)
		for i, op := range ops {
			e, err := insertion(obj.Node, op)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: cannot write %s (%s): %w", file, obj.Line, policies.DescribeFix(applied[i]), applied[i].Rule, err))
				continue
			}
			edits = append(edits, e)
			changes = append(changes, Change{File: file, Finding: applied[i], Line: e.line})
		}
	}
	out, lines := applyEdits(src, edits)
	for i := range changes {
		changes[i].Line = lines[i]
	}
	return out, changes, errs
}

// edit inserts text before a line (1-based; len(lines)+1 appends).
type edit struct {
	line int
	text string
}

// insertion works out where op's new field goes: as the first entry of its parent mapping, at
// the indentation of the parent's existing entries, above their comments.
func insertion(root *yaml.Node, op jsonpatch.Operation) (edit, error) {
	if op.Operation != "add" {
		return edit{}, fmt.Errorf("only add operations are written, not %s", op.Operation)
	}
	tokens := strings.Split(strings.TrimPrefix(op.Path, "/"), "/")
	for i, t := range tokens {
		tokens[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(t)
	}
	parent := resolveAlias(root)
	for _, t := range tokens[:len(tokens)-1] {
		switch parent.Kind {
		case yaml.MappingNode:
			_, v := entry(parent, t)
			if v == nil {
				return edit{}, fmt.Errorf("%s is missing", t)
			}
			parent = resolveAlias(v)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(parent.Content) {
				return edit{}, fmt.Errorf("no list element %s", t)
			}
			parent = resolveAlias(parent.Content[i])
		default:
			return edit{}, fmt.Errorf("%s is not a mapping", t)
		}
	}
	if parent.Kind != yaml.MappingNode || len(parent.Content) == 0 || parent.Style&yaml.FlowStyle != 0 {
		return edit{}, fmt.Errorf("line %d is a flow-style or empty mapping; add the field there by hand", parent.Line)
	}
	first := parent.Content[0]
	text, err := renderField(tokens[len(tokens)-1], op.Value, first.Column-1)
	if err != nil {
		return edit{}, err
	}
	line := first.Line - commentLines(first.HeadComment)
	if line <= parent.Line && parent.Line != first.Line {
		line = parent.Line + 1
	}
	if parent.Line == first.Line && parent.Column != first.Column {
		// The mapping starts on its parent's line ("- name: x" in a list): go below that entry.
		if parent.Content[1].Kind != yaml.ScalarNode || parent.Content[1].Line != first.Line {
			return edit{}, fmt.Errorf("line %d: the first entry of this mapping spans several lines; add the field by hand", first.Line)
		}
		line = first.Line + 1
	}
	return edit{line: line, text: text}, nil
}

func commentLines(c string) int {
	if c == "" {
		return 0
	}
	return strings.Count(c, "\n") + 1
}

// renderField writes key: value in block style at the given indentation.
func renderField(key string, value any, indent int) (string, error) {
	data, err := yaml.Marshal(map[string]any{key: value})
	if err != nil {
		return "", err
	}
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	for l := range strings.SplitSeq(strings.TrimRight(string(data), "\n"), "\n") {
		b.WriteString(pad + strings.ReplaceAll(l, "    ", "  ") + "\n")
	}
	return b.String(), nil
}

// applyEdits inserts every edit's text and returns the new source and, for each edit in the
// order given, the line its text starts on.
func applyEdits(src []byte, edits []edit) ([]byte, []int) {
	order := make([]int, len(edits))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return edits[a].line - edits[b].line })
	lines := bytes.SplitAfter(src, []byte("\n"))
	var out bytes.Buffer
	at := make([]int, len(edits))
	next, written := 0, 0
	for n := 1; n <= len(lines)+1; n++ {
		for next < len(order) && edits[order[next]].line == n {
			at[order[next]] = written + 1
			out.WriteString(edits[order[next]].text)
			written += strings.Count(edits[order[next]].text, "\n")
			next++
		}
		if n <= len(lines) {
			out.Write(lines[n-1])
			written++
		}
	}
	return out.Bytes(), at
}
