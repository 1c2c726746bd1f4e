package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/strvals"

	"github.com/jobguard/jobguard/policies"
)

// How a chart's findings find their template lines: the chart is rendered a second time with a
// marker comment (" # jobguard-pos:N") at the end of every template line that writes a mapping
// key or a list item, in the chart's templates and helpers alike. A field of the rendered object
// is looked up in that second render; the marker on its line names the template line it came
// from, through include, nindent, range and if. A marker is believed only when that template
// line writes the field's key (an include whose output ends on the line carries the marker of
// the line that included it, not of the field). A field written by an action that emits a whole
// block (toYaml .Values.x | nindent 8) is placed on that action's line; anything else that
// cannot be placed with confidence goes to the object's kind: line, never to another field's.

// markerPrefix starts the comment that marks a template line in the positional render.
const markerPrefix = " # jobguard-pos:"

var markerPattern = regexp.MustCompile(`# jobguard-pos:(\d+)`)

// templateLine is one marked line of a chart's templates.
type templateLine struct {
	template string // the template's name: reports/templates/cronjob.yaml
	file     string // where it is on disk
	line     int
	text     string
}

// markedDoc is one object of the positional render.
type markedDoc struct {
	kind  string
	node  *yaml.Node
	lines []string // the template's positional output, line by line
}

// chartPositions places the findings of one rendered chart.
type chartPositions struct {
	dir       string // the chart's directory
	chartName string
	lines     []templateLine          // by marker number
	marked    map[string]map[int]bool // the marked lines of each template
	docs      map[string][]markedDoc  // by template name
	sources   map[string]string       // template source by name, before marking
	values    *valueSources
}

// newChartPositions renders chrt again, marked (chrt's templates are changed: render it first).
// A chart whose marked render fails still places findings on kind: lines.
func newChartPositions(dir string, chrt *chart.Chart, vals chartutil.Values, opts RenderOptions) *chartPositions {
	c := &chartPositions{dir: dir, chartName: chrt.Name(), docs: map[string][]markedDoc{}, sources: map[string]string{},
		marked: map[string]map[int]bool{}, values: newValueSources(dir, chrt.Name(), opts)}
	c.mark(chrt)
	rendered, err := engine.Render(chrt, vals)
	if err != nil {
		return c
	}
	for name, text := range rendered {
		objs, errs := Decode(name, []byte(text))
		if len(errs) > 0 {
			continue // the markers broke this template's YAML: kind: lines only
		}
		lines := strings.Split(text, "\n")
		for _, o := range objs {
			c.docs[name] = append(c.docs[name], markedDoc{kind: policies.ObjectRefOf(o.Value).Kind, node: o.Node, lines: lines})
		}
	}
	return c
}

// mark adds the markers to the templates of ch and its subcharts.
func (c *chartPositions) mark(ch *chart.Chart) {
	for _, t := range ch.Templates {
		name := ch.ChartFullPath() + "/" + t.Name
		c.sources[name] = string(t.Data)
		switch strings.ToLower(filepath.Ext(t.Name)) {
		case ".yaml", ".yml", ".tpl", ".json":
		default:
			continue
		}
		file := templateFile(c.dir, c.chartName, name)
		lines := strings.Split(string(t.Data), "\n")
		c.marked[name] = map[int]bool{}
		for i, ok := range markableLines(lines) {
			if !ok {
				continue
			}
			text := strings.TrimSuffix(lines[i], "\r")
			lines[i] = text + markerPrefix + strconv.Itoa(len(c.lines))
			c.lines = append(c.lines, templateLine{template: name, file: file, line: i + 1, text: text})
			c.marked[name][i+1] = true
		}
		t.Data = []byte(strings.Join(lines, "\n"))
	}
	for _, sub := range ch.Dependencies() {
		c.mark(sub)
	}
}

var (
	// keyLine and itemLine: a template line, its actions removed, that writes a mapping key or
	// starts a list item.
	keyLine  = regexp.MustCompile(`^\s*(?:-\s+)*(?:"[^"]*"|'[^']*'|[^\s#'"\[\]{}:,-][^#:]*|[^\s#'"\[\]{}:,][^#:]+)\s*:(?:\s|$)`)
	itemLine = regexp.MustCompile(`^\s*-(?:\s|$)`)
	// blockScalar: a key whose value is a literal or folded block (`script: |`).
	blockScalar = regexp.MustCompile(`:\s*[|>][-+0-9]*\s*$`)
)

// markableLines says which lines of a template get a marker: lines that write a key or start a
// list item, outside template actions and block scalars, whose end a marker comment can follow
// without changing what the line means.
func markableLines(lines []string) []bool {
	marks := make([]bool, len(lines))
	var lex actionLexer
	blockIndent := -1 // the indentation of a block scalar's key, while in its body
	for i, raw := range lines {
		startsInText := !lex.inAction()
		text := lex.strip(raw)
		endsInText := !lex.inAction()
		line := strings.TrimRight(raw, " \t\r")
		indent := len(text) - len(strings.TrimLeft(text, " "))
		if blockIndent >= 0 {
			if strings.TrimSpace(text) == "" || indent > blockIndent {
				continue
			}
			blockIndent = -1
		}
		if !startsInText || !endsInText || strings.HasSuffix(line, "-}}") {
			continue
		}
		if !keyLine.MatchString(text) && !itemLine.MatchString(text) {
			continue
		}
		if !balanced(text) {
			continue
		}
		if blockScalar.MatchString(strings.TrimRight(text, " \t\r")) {
			blockIndent = indent
		}
		marks[i] = true
	}
	return marks
}

// balanced reports whether a line's flow brackets and quotes close on it, so that a comment may
// follow it.
func balanced(s string) bool {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '"' && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			// A quote inside a plain scalar (it's) is text; one that starts a value opens a string.
			if i == 0 || strings.ContainsRune(" [{,:", rune(s[i-1])) {
				quote = c
			}
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		case c == '#' && (i == 0 || s[i-1] == ' '):
			return depth == 0
		}
	}
	return depth == 0 && quote == 0
}

// actionLexer follows Go template actions ({{ ... }}) across lines, with their strings and
// comments, so that a line's text outside actions is known.
type actionLexer struct {
	state byte // 0 text, 'a' action, '"' string, '`' raw string, '\'' char, '*' comment
}

func (l *actionLexer) inAction() bool { return l.state != 0 }

// strip returns line with the parts inside actions replaced by spaces (columns unchanged).
func (l *actionLexer) strip(line string) string {
	out := []byte(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch l.state {
		case 0:
			if strings.HasPrefix(line[i:], "{{") {
				l.state = 'a'
				out[i], out[i+1] = ' ', ' '
				i++
			}
			continue
		case 'a':
			switch {
			case strings.HasPrefix(line[i:], "}}"):
				l.state = 0
				out[i] = ' '
				i++
			case strings.HasPrefix(line[i:], "/*"):
				l.state = '*'
			case c == '"' || c == '`' || c == '\'':
				l.state = c
			}
		case '"', '\'':
			if c == '\\' && i+1 < len(line) {
				out[i] = ' '
				i++
			} else if c == l.state {
				l.state = 'a'
			}
		case '`':
			if c == '`' {
				l.state = 'a'
			}
		case '*':
			if strings.HasPrefix(line[i:], "*/") {
				l.state = 'a'
				out[i] = ' '
				i++
			}
		}
		out[i] = ' '
	}
	return string(out)
}

// chartPlacer places the findings of one object of a rendered chart.
type chartPlacer struct {
	pos      *chartPositions
	template string
	index    int // the object's index among its template's objects
	kind     string
}

func (p chartPlacer) place(path policies.FieldPath, rendered policies.Position, object *yaml.Node) (policies.Position, []policies.RelatedLocation) {
	at, related, ok := p.pos.locate(p.template, p.index, p.kind, path, object)
	if !ok {
		// Not even the kind: line is known: the template, without a line.
		return policies.Position{File: templateFile(p.pos.dir, p.pos.chartName, p.template), Source: rendered.Source}, nil
	}
	at.Source = rendered.Source
	return at, related
}

// locate finds where path of the index-th object of template was written: the template file and
// line (Source is left empty), with the values that set it. A values file is named only when
// its value appears in the field of object, the object as linted.
func (c *chartPositions) locate(template string, index int, kind string, path policies.FieldPath, object *yaml.Node) (policies.Position, []policies.RelatedLocation, bool) {
	linted := func(fallback *yaml.Node) *yaml.Node {
		if object == nil {
			return fallback
		}
		if st := walk(object, path); len(st) == len(path) && len(st) > 0 {
			return st[len(st)-1].value
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	docs := c.docs[template]
	if index < len(docs) && docs[index].kind == kind {
		d := docs[index]
		steps := walk(d.node, path)
		if len(steps) == 0 && len(d.node.Content) > 0 {
			// The object itself: its first key.
			first := d.node.Content[0]
			if tl, col, ok := c.verify(d, step{seg: first.Value, key: first}, nil); ok {
				return tl.position(col), nil, true
			}
		}
		for i := len(steps) - 1; i >= 0; i-- {
			var parent *step
			if i > 0 {
				parent = &steps[i-1]
			}
			tl, col, ok := c.verify(d, steps[i], parent)
			if !ok {
				continue
			}
			if i == len(steps)-1 {
				var related []policies.RelatedLocation
				if len(steps) == len(path) && steps[i].value.Kind == yaml.ScalarNode {
					with := c.iteration(d, steps, tl, index)
					related = c.values.of(template, valueRefs(tl.text, with), nil, linted(steps[i].value))
				}
				return tl.position(col), related, true
			}
			// The field is under this line but was not written on a line of its own: by an
			// action that emits the block, when there is exactly one.
			if act, actCol, values, ok := c.emittingAction(tl); ok {
				var related []policies.RelatedLocation
				if values != "" {
					below := slices.Clone(path[i+1 : len(steps)])
					if k, isIndex := below[0].(int); isIndex {
						// Items the template writes itself come before the action's in the list.
						below[0] = k - c.templateItems(d, steps[i], k)
					}
					related = c.values.of(template, []string{inIteration(values, index)}, below, linted(steps[len(steps)-1].value))
				}
				return act.position(actCol), related, true
			}
			break
		}
		if steps := walk(d.node, policies.FieldPath{"kind"}); len(steps) == 1 {
			if tl, col, ok := c.verify(d, steps[0], nil); ok {
				return tl.position(col), nil, true
			}
		}
	}
	return c.kindLine(template, index, kind)
}

// templateItems counts the items before the k-th of the list under st that template lines wrote.
func (c *chartPositions) templateItems(d markedDoc, st step, k int) int {
	n := 0
	if st.value.Kind != yaml.SequenceNode {
		return 0
	}
	for j := 0; j < k && j < len(st.value.Content); j++ {
		item := step{seg: j, key: st.value.Content[j], value: resolveAlias(st.value.Content[j])}
		if _, _, ok := c.verify(d, item, &st); ok {
			n++
		}
	}
	return n
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (tl templateLine) position(col int) policies.Position {
	return policies.Position{File: tl.file, Line: tl.line, Column: col}
}

// verify reads the markers on the line of st in the positional render and returns the template
// line that writes st's key (or starts st's list item). A line may carry several markers: an
// include's last line carries its own and then the including line's; the first that writes the
// key is the one.
func (c *chartPositions) verify(d markedDoc, st step, parent *step) (templateLine, int, bool) {
	line := st.key.Line
	if line < 1 || line > len(d.lines) {
		return templateLine{}, 0, false
	}
	for _, m := range markerPattern.FindAllStringSubmatch(d.lines[line-1], -1) {
		n, _ := strconv.Atoi(m[1])
		if n >= len(c.lines) {
			continue
		}
		if col, ok := writes(c.lines[n].text, st, parent, line); ok {
			return c.lines[n], col, true
		}
	}
	return templateLine{}, 0, false
}

// writes reports whether the template line text writes st's key or starts st's list item, and
// at which column.
func writes(text string, st step, parent *step, line int) (int, bool) {
	switch seg := st.seg.(type) {
	case string:
		col := keyColumn(text, seg)
		return col, col > 0
	case int:
		if st.value.Kind == yaml.MappingNode && len(st.value.Content) > 0 && st.value.Content[0].Line == line {
			col := keyColumn(text, st.value.Content[0].Value)
			return col, col > 0 && itemColumn(text) > 0
		}
		if col := itemColumn(text); col > 0 {
			return col, true
		}
		// An item of a flow list ([a, b]) is on its key's line.
		if parent != nil && parent.key.Line == line {
			if s, ok := parent.seg.(string); ok {
				col := keyColumn(text, s)
				return col, col > 0
			}
		}
	}
	return 0, false
}

var (
	controlAction = regexp.MustCompile(`^\{\{-?\s*(?:if|else|end|range|with|define|break|continue|/\*|\$[\w]*\s*:?=)`)
	actionOnly    = regexp.MustCompile(`^\s*\{\{.*\}\}\s*$`)
	// toYamlValues finds the values an action writes whole: toYaml .Values.x, .Values.x | toYaml.
	toYamlValues = regexp.MustCompile(`toYaml\s+\(?\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)|\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*\|\s*toYaml`)
	valuesRef    = regexp.MustCompile(`\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`)
)

// emittingAction finds the one template line under tl's key that is an action writing text
// (include, toYaml, template), not a key and not control flow, and the values it writes whole
// (toYaml .Values.x, or toYaml . inside with .Values.x), "" when none.
func (c *chartPositions) emittingAction(tl templateLine) (templateLine, int, string, bool) {
	src := strings.Split(c.sources[tl.template], "\n")
	indent := indentOf(tl.text)
	var found []templateLine
	for i := tl.line; i < len(src); i++ {
		text := strings.TrimRight(src[i], " \t\r")
		trimmed := strings.TrimLeft(text, " ")
		if trimmed == "" {
			continue
		}
		action := actionOnly.MatchString(text)
		if action && controlAction.MatchString(trimmed) {
			continue
		}
		if indentOf(text) <= indent {
			break
		}
		if ownerLine(src, i) != tl.line {
			continue // under a child of tl's key
		}
		if !action && !c.marked[tl.template][i+1] {
			return templateLine{}, 0, "", false // a child no marker follows may be the field
		}
		if action {
			found = append(found, templateLine{template: tl.template, file: tl.file, line: i + 1, text: text})
		}
	}
	if len(found) != 1 {
		return templateLine{}, 0, "", false
	}
	act := found[0]
	values := ""
	if ref := toYamlValues.FindStringSubmatch(act.text); ref != nil {
		values = strings.TrimPrefix(firstNonEmpty(ref[1], ref[2]), ".")
	} else if toYamlDot.MatchString(act.text) {
		values = withValues(src, act.line)
	}
	return act, indentOf(act.text) + 1, values, true
}

// ownerLine is the 1-based line of the key or item whose block the action on src[i] writes
// into: the nearest line above that is not an action and is less indented.
func ownerLine(src []string, i int) int {
	indent := indentOf(src[i])
	for j := i - 1; j >= 0; j-- {
		text := strings.TrimRight(src[j], " \t\r")
		if strings.TrimSpace(text) == "" || actionOnly.MatchString(text) {
			continue
		}
		if indentOf(text) < indent {
			return j + 1
		}
	}
	return 0
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

var (
	toYamlDot = regexp.MustCompile(`toYaml\s+\.(?:\s|\)|$)`)
	actionRE  = regexp.MustCompile(`\{\{-?\s*(.*?)\s*-?\}\}`)
	rangeRE   = regexp.MustCompile(`^range\s+\(?\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\)?$`)
	withRE    = regexp.MustCompile(`^with\s+\(?\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\)?$`)
	// dotRef is a field of the dot inside an action: {{ .schedule }}.
	dotRef = regexp.MustCompile(`(?:^|[\s(|])\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)`)
)

// withValues finds the values the dot is on the 1-based line of a template source: "x.y" inside
// {{ with .Values.x.y }}, "x[]" inside {{ range .Values.x }} (an item of x), "" inside define, a
// with or range of anything else, or at the top.
func withValues(src []string, line int) string {
	with, _ := enclosingBlock(src, line)
	return with
}

// enclosingBlock is withValues with the 1-based line of the with or range action (0 when "").
func enclosingBlock(src []string, line int) (string, int) {
	depth := 0
	for i := line - 2; i >= 0; i-- {
		actions := actionRE.FindAllStringSubmatch(src[i], -1)
		for j := len(actions) - 1; j >= 0; j-- {
			a := strings.TrimSpace(actions[j][1])
			word, _, _ := strings.Cut(a, " ")
			switch word {
			case "end":
				depth++
			case "if", "with", "range", "define", "block":
				if depth > 0 {
					depth--
					continue
				}
				switch word {
				case "if":
					continue
				case "with":
					if m := withRE.FindStringSubmatch(a); m != nil {
						return strings.TrimPrefix(m[1], "."), i + 1
					}
				case "range":
					if m := rangeRE.FindStringSubmatch(a); m != nil {
						return strings.TrimPrefix(m[1], ".") + "[]", i + 1
					}
				}
				return "", 0
			}
		}
	}
	return "", 0
}

// iteration is withValues at tl, the line that wrote the field at steps, with the item of a range
// ("jobs[]") made the one that wrote it: the index-th when the range writes whole objects; when it
// writes items of a list inside the object (after its kind: line), the count of the list's items
// before the field's that the same template line wrote.
func (c *chartPositions) iteration(d markedDoc, steps []step, tl templateLine, index int) string {
	src := strings.Split(c.sources[tl.template], "\n")
	with, rangeLine := enclosingBlock(src, tl.line)
	if !strings.HasSuffix(with, "[]") {
		return with
	}
	kind := walk(d.node, policies.FieldPath{"kind"})
	if len(kind) != 1 {
		return inIteration(with, index)
	}
	kl, _, ok := c.verify(d, kind[0], nil)
	if !ok || kl.template != tl.template || kl.line > rangeLine {
		return inIteration(with, index)
	}
	// The range is inside the object: find the list item it wrote.
	for j := range steps {
		if _, isItem := steps[j].seg.(int); !isItem || j == 0 {
			continue
		}
		parent := &steps[j-1]
		il, _, ok := c.verify(d, steps[j], parent)
		if !ok || il.template != tl.template || il.line <= rangeLine {
			continue
		}
		n := 0
		for k := 0; k < steps[j].seg.(int); k++ {
			sibling := step{seg: k, key: parent.value.Content[k], value: resolveAlias(parent.value.Content[k])}
			if sl, _, ok := c.verify(d, sibling, parent); ok && sl.template == il.template && sl.line == il.line {
				n++
			}
		}
		return inIteration(with, n)
	}
	return "" // not known: only the line's own .Values are named
}

// kindLine finds the object's kind: line in its template's source, when only one line (or one
// per object of that kind) can be it.
func (c *chartPositions) kindLine(template string, index int, kind string) (policies.Position, []policies.RelatedLocation, bool) {
	src, ok := c.sources[template]
	if !ok {
		return policies.Position{}, nil, false
	}
	pattern := regexp.MustCompile(`^\s*kind:\s*["']?` + regexp.QuoteMeta(kind) + `["']?\s*(?:#.*)?$`)
	var lines []int
	for i, l := range strings.Split(src, "\n") {
		if pattern.MatchString(strings.TrimRight(l, "\r")) {
			lines = append(lines, i+1)
		}
	}
	same := 0 // objects of this kind in the template before this one
	for i, d := range c.docs[template] {
		if i < index && d.kind == kind {
			same++
		}
	}
	line := 0
	switch {
	case len(lines) == 1:
		line = lines[0]
	case len(lines) > 1 && len(c.docs[template]) > index && same < len(lines):
		line = lines[same]
	default:
		return policies.Position{}, nil, false
	}
	text := strings.Split(src, "\n")[line-1]
	return policies.Position{File: templateFile(c.dir, c.chartName, template), Line: line, Column: keyColumn(text, "kind")}, nil, true
}

// inIteration makes the item of a range ("jobs[]") the index-th one: a template whose range
// writes one object per item makes its index-th object from the index-th item.
func inIteration(with string, index int) string {
	if strings.HasSuffix(with, "[]") {
		return strings.TrimSuffix(with, "[]") + "[" + strconv.Itoa(index) + "]"
	}
	return with
}

// valueRefs lists the values a template line reads (.Values.a.b as "a.b"; .b inside
// {{ with .Values.a }} as "a.b" too), in order, once each.
func valueRefs(line, with string) []string {
	var refs []string
	add := func(ref string) {
		if !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	for _, action := range actionRE.FindAllStringSubmatch(line, -1) {
		for _, m := range valuesRef.FindAllStringSubmatch(action[1], -1) {
			add(strings.TrimPrefix(m[1], "."))
		}
		if with == "" {
			continue
		}
		for _, m := range dotRef.FindAllStringSubmatch(action[1], -1) {
			first, _, _ := strings.Cut(m[1], ".")
			switch first {
			case "Values", "Release", "Chart", "Capabilities", "Template", "Files", "Subcharts":
				continue
			}
			add(with + "." + m[1])
		}
	}
	return refs
}

// valueSources finds which values file (or --set) set a value, as helm merges them: --set over
// -f files (the last first) over the chart's values.yaml, a parent chart's values over its
// subchart's.
type valueSources struct {
	dir, chartName string
	opts           RenderOptions
	mu             sync.Mutex            // findings are placed by several evaluators at once
	files          map[string]*yaml.Node // parsed values files; nil when unreadable
}

func newValueSources(dir, chartName string, opts RenderOptions) *valueSources {
	return &valueSources{dir: dir, chartName: chartName, opts: opts, files: map[string]*yaml.Node{}}
}

func (v *valueSources) root(file string) *yaml.Node {
	v.mu.Lock()
	defer v.mu.Unlock()
	if n, ok := v.files[file]; ok {
		return n
	}
	var doc yaml.Node
	var root *yaml.Node
	if data, err := os.ReadFile(file); err == nil && yaml.Unmarshal(data, &doc) == nil && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	v.files[file] = root
	return root
}

// of finds where each value (dotted, relative to the template's chart) and the path below it
// were set, for a template of the chart or of a subchart. A value that is a scalar in the values
// file must appear in the rendered field (a scalar): else the file did not set it, or the
// template changed it beyond recognition, and it is not named.
func (v *valueSources) of(template string, refs []string, below policies.FieldPath, rendered *yaml.Node) []policies.RelatedLocation {
	// reports/charts/worker/templates/job.yaml: the subchart scope is [worker].
	parts := strings.Split(template, "/")
	var scope []string
	var chartDirs []string // from the top chart down to the template's
	dir := v.dir
	chartDirs = append(chartDirs, dir)
	for i := 1; i+1 < len(parts) && parts[i] == "charts"; i += 2 {
		scope = append(scope, parts[i+1])
		dir = filepath.Join(dir, "charts", parts[i+1])
		chartDirs = append(chartDirs, dir)
	}
	var related []policies.RelatedLocation
	for _, ref := range refs {
		key := refPath(ref)
		name := ".Values." + key.String() + pathSuffix(below)
		if s, ok := v.setBy(append(scopePath(scope), key...)); ok {
			related = append(related, policies.RelatedLocation{Role: policies.RoleValues, Message: name + " from --set " + s})
			continue
		}
		type candidate struct {
			file  string
			scope []string
		}
		var candidates []candidate
		for i := len(v.opts.ValuesFiles) - 1; i >= 0; i-- {
			candidates = append(candidates, candidate{v.opts.ValuesFiles[i], scope})
		}
		for i, d := range chartDirs {
			candidates = append(candidates, candidate{filepath.Join(d, chartutil.ValuesfileName), scope[i:]})
		}
		for _, cand := range candidates {
			root := v.root(cand.file)
			if root == nil {
				continue
			}
			path := append(append(scopePath(cand.scope), key...), below...)
			steps := walk(root, path)
			if len(steps) != len(path) || steps[len(steps)-1].value.Tag == "!!null" {
				continue
			}
			if set := steps[len(steps)-1].value; set.Kind == yaml.ScalarNode && rendered.Kind == yaml.ScalarNode && !strings.Contains(rendered.Value, set.Value) {
				break
			}
			last := steps[len(steps)-1].key
			related = append(related, policies.RelatedLocation{
				Position: policies.Position{File: cand.file, Line: last.Line, Column: last.Column},
				Role:     policies.RoleValues,
				Message:  name,
			})
			break
		}
	}
	return related
}

// refPath turns "a.b[2].c" into a field path.
func refPath(ref string) policies.FieldPath {
	var path policies.FieldPath
	for _, part := range strings.Split(ref, ".") {
		name, index, isItem := strings.Cut(part, "[")
		path = append(path, name)
		if isItem {
			if i, err := strconv.Atoi(strings.TrimSuffix(index, "]")); err == nil {
				path = append(path, i)
			}
		}
	}
	return path
}

func scopePath(scope []string) policies.FieldPath {
	path := make(policies.FieldPath, 0, len(scope))
	for _, s := range scope {
		path = append(path, s)
	}
	return path
}

// setBy returns the --set that sets the value at path, the last one that does.
func (v *valueSources) setBy(path policies.FieldPath) (string, bool) {
	for i := len(v.opts.Set) - 1; i >= 0; i-- {
		m, err := strvals.Parse(v.opts.Set[i])
		if err != nil {
			continue
		}
		var cur any = m
		found := true
		for _, seg := range path {
			switch k := seg.(type) {
			case string:
				mm, ok := cur.(map[string]any)
				if !ok {
					found = false
					break
				}
				if cur, ok = mm[k]; !ok {
					found = false
				}
			case int:
				list, ok := cur.([]any)
				if !ok || k >= len(list) {
					found = false
					break
				}
				cur = list[k]
			}
			if !found {
				break
			}
		}
		if found {
			return v.opts.Set[i], true
		}
	}
	return "", false
}

// describeValues is what a finding's message says of the values that set its field.
func describeValues(related []policies.RelatedLocation) string {
	var parts []string
	for _, r := range related {
		if r.Role != policies.RoleValues {
			continue
		}
		if r.File == "" {
			parts = append(parts, r.Message)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s from %s", r.Message, r.Position))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// pathSuffix is path written after a parent's: ".a.b", "[0].image", or "".
func pathSuffix(path policies.FieldPath) string {
	if len(path) == 0 {
		return ""
	}
	if s := path.String(); strings.HasPrefix(s, "[") {
		return s
	} else {
		return "." + s
	}
}
