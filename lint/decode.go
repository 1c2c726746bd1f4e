package lint

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
	"github.com/open-policy-agent/opa/v1/ast"
	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
)

// maxNodesPerDocument bounds how far aliases may expand one document (a "billion laughs" file
// would otherwise take all memory); real manifests are far below it.
const maxNodesPerDocument = 1_000_000

// maxDepth bounds how deeply lists and mappings nest in one document. yaml.v3 refuses more than
// 10,000 levels of block and of flow nesting, each, when parsing; aliases nested in aliases reach
// far deeper (a chain of anchors each 9,000 levels deep makes 100,000 levels in 200 KB), and an
// anchor used inside its own value, which yaml.v3 accepts (x: &m {a: [*m]}), endlessly. The
// converter and what reads its values (the RBAC inventory's encoding/json, capped at 10,000) recurse.
const maxDepth = 10_000

// Object is one Kubernetes object read from a source, with what is needed to place findings in it.
type Object struct {
	Value ast.Object
	// Node is the object's YAML mapping; positions of fields are read from it.
	Node *yaml.Node
	File string
	// Line is where the object starts (1-based, counted in the whole file).
	Line int
	// Source is the template the object was rendered from: the document's `# Source:` comment
	// (helm template writes one), or what a chart or kustomization render says (see render.go).
	Source string
}

// InputError is a source that could not be read or a document that could not be parsed.
type InputError struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Message says what is wrong and, where it can, what to do.
	Message string `json:"message"`
}

func (e *InputError) Error() string { return e.Position().String() + ": " + e.Message }

// Position is where the problem is, as precisely as known.
func (e *InputError) Position() policies.Position {
	return policies.Position{File: e.File, Line: e.Line, Column: e.Column}
}

// Decode reads every Kubernetes object in a YAML or JSON stream: several documents, `kind: List`
// (and other *List kinds with items), empty documents. Documents without apiVersion and kind are
// skipped. A document that does not parse is reported and the others are still read; text that
// is not UTF-8 (a binary file?) is reported and ends the stream.
func Decode(file string, data []byte) ([]Object, []*InputError) {
	var objects []Object
	errs, _ := decodeDocuments(file, &documentReader{data: data}, func(o Object, _ origin) bool {
		objects = append(objects, o)
		return true
	})
	return objects, errs
}

// origin is where a decoded object comes from: its document, whose text is valid only while
// yield runs, and its index among the document's objects (several for a List). Objects of
// rendered charts and kustomizations have none (nil text).
type origin struct {
	doc  document
	item int
}

// decodeStream reads r one document at a time, as Decode does, and hands each object to yield as
// soon as its document is decoded, so that only one document's nodes and values are held at a
// time: memory grows with the largest document, not with the stream. It stops early when yield
// returns false. Text that is not valid UTF-8 (a binary file?) ends the stream with an error at
// its line; the documents before it have been handed over. skipped counts the documents that are
// not Kubernetes objects (a values file, a list at the top).
func decodeStream(file string, r io.Reader, yield func(Object, origin) bool) (errs []*InputError, skipped int) {
	docs, release := newDocumentReader(r)
	defer release()
	return decodeDocuments(file, docs, yield)
}

func decodeDocuments(file string, docs *documentReader, yield func(Object, origin) bool) (errs []*InputError, skipped int) {
	for {
		doc, ok := docs.next()
		if !ok {
			break
		}
		objs, err := decodeDocument(file, doc)
		switch {
		case err == errNotAnObject:
			skipped++
			continue
		case err != nil:
			errs = append(errs, err)
			continue
		}
		for i, o := range objs {
			if !yield(o, origin{doc, i}) {
				return errs, skipped
			}
		}
	}
	switch {
	case docs.invalidLine > 0:
		errs = append(errs, &InputError{File: file, Line: docs.invalidLine, Message: "not valid UTF-8 text (a binary file?); YAML manifests must be UTF-8"})
	case docs.err != nil:
		errs = append(errs, &InputError{File: file, Line: docs.line, Message: "cannot read: " + describeIOError(docs.err)})
	}
	return errs, skipped
}

// errNotAnObject is decodeDocument's answer for a document that is not empty but holds no
// Kubernetes object: not an error to report, a document to count as skipped.
var errNotAnObject = &InputError{Message: "not a Kubernetes object"}

// decodeDocument parses one document into its objects (several for a List, none for an empty
// document); a document that is not a Kubernetes object returns errNotAnObject, and one that
// looks like a kind jobguard checks but is not (kind: job, a Job without apiVersion) an error.
func decodeDocument(file string, doc document) ([]Object, *InputError) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc.text, &root); err != nil {
		return nil, parseError(file, doc, err)
	}
	if len(root.Content) == 0 || root.Content[0].ShortTag() == "!!null" {
		return nil, nil // empty, or only comments
	}
	if doc.line > 1 {
		shiftLines(&root, doc.line-1)
	}
	c := converter{file: file}
	value, err := c.convert(root.Content[0])
	if err != nil {
		return nil, err
	}
	obj, ok := value.(ast.Object)
	if !ok {
		return nil, errNotAnObject // a scalar or a list at the top
	}
	// Every object of the document carries its `# Source:` comment (sourceComment, source.go).
	objs, err := expandList(file, root.Content[0], obj)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 && !isObject(obj) {
		return nil, errNotAnObject
	}
	if src := sourceComment(doc.text); src != "" {
		for i := range objs {
			objs[i].Source = src
		}
	}
	return objs, nil
}

// expandList returns the items of a List, or the object itself; an item or object that looks
// like a checked kind but is not (misspeltKind) is an error.
func expandList(file string, node *yaml.Node, obj ast.Object) ([]Object, *InputError) {
	if err := misspeltKind(file, node, obj); err != nil {
		return nil, err
	}
	if isObject(obj) {
		kind, _ := obj.Get(ast.InternedTerm("kind")).Value.(ast.String)
		var items *ast.Array
		if t := obj.Get(ast.InternedTerm("items")); t != nil {
			items, _ = t.Value.(*ast.Array)
		}
		if items != nil && strings.HasSuffix(string(kind), "List") {
			itemsNode := valueNode(node, "items")
			var out []Object
			for i := range items.Len() {
				item, ok := items.Elem(i).Value.(ast.Object)
				if !ok || i >= len(itemsNode.Content) {
					continue
				}
				if err := misspeltKind(file, itemsNode.Content[i], item); err != nil {
					return nil, err
				}
				if !isObject(item) {
					continue
				}
				out = append(out, Object{Value: item, Node: itemsNode.Content[i], File: file, Line: itemsNode.Content[i].Line})
			}
			return out, nil
		}
		return []Object{{Value: obj, Node: node, File: file, Line: node.Line}}, nil
	}
	return nil, nil
}

// builtinKinds are the kinds the built-in rules check, by name, with their API group.
var builtinKinds = policies.BuiltinKinds()

// misspeltKind reports a mapping that means to be a Job, CronJob or RBAC object but that
// kubectl and the API server would not take as one, so no rule would check it: a kind in the
// wrong case or plural (kind: job, kind: CronJobs; kinds are case-sensitive and singular), a
// near miss in a group that has the kind (batch/v1 Jbo), one of these kinds without apiVersion,
// or apiVersion batch/... or rbac.authorization.k8s.io/... without kind. An unknown version of a
// known kind (batch/v2 Job) is left to the deprecated-api rule.
func misspeltKind(file string, node *yaml.Node, obj ast.Object) *InputError {
	apiVersion, hasVersion := stringField(obj, "apiVersion")
	kind, hasKind := stringField(obj, "kind")
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = "" // the core group: "v1"
	}
	at := func(key string) (int, int) {
		if n := valueNode(node, key); n.Line > 0 {
			return n.Line, n.Column
		}
		return node.Line, node.Column
	}
	if !hasKind {
		if hasVersion && (group == "batch" || group == "rbac.authorization.k8s.io") {
			line, col := at("apiVersion")
			return &InputError{File: file, Line: line, Column: col, Message: fmt.Sprintf("apiVersion %s without kind, so no rule checks it and kubectl rejects it (Object 'Kind' is missing); add the kind (Job, CronJob, Role...)", apiVersion)}
		}
		return nil
	}
	if wantGroup, known := builtinKinds[kind]; known {
		if hasVersion {
			return nil
		}
		line, col := at("kind")
		return &InputError{File: file, Line: line, Column: col, Message: fmt.Sprintf("%s without apiVersion, so no rule checks it and kubectl rejects it (Object 'apiVersion' is missing); add apiVersion: %s/v1", kind, wantGroup)}
	}
	meant, wantGroup := closestKind(kind, group, hasVersion)
	if meant == "" {
		return nil
	}
	line, col := at("kind")
	if !hasVersion {
		return &InputError{File: file, Line: line, Column: col, Message: fmt.Sprintf("kind %q without apiVersion is not a Kubernetes object; did you mean kind: %s with apiVersion: %s/v1?", kind, meant, wantGroup)}
	}
	return &InputError{File: file, Line: line, Column: col, Message: fmt.Sprintf("kind %q is not a kind of %s, so no rule checks it and kubectl rejects it (no matches for kind %q); kinds are case-sensitive and singular: did you mean %s?", kind, apiVersion, kind, meant)}
}

// closestKind returns the built-in kind that kind misspells, and its group, or "". A different
// case or a plural counts in any group; in the kind's own group (or without apiVersion), an edit
// away counts too, for kinds long enough that one edit does not reach another real kind.
func closestKind(kind, group string, hasVersion bool) (string, string) {
	lower := strings.ToLower(kind)
	for _, k := range slices.Sorted(maps.Keys(builtinKinds)) {
		want := strings.ToLower(k)
		if lower == want || lower == want+"s" {
			return k, builtinKinds[k]
		}
	}
	for _, k := range slices.Sorted(maps.Keys(builtinKinds)) {
		if (!hasVersion || group == builtinKinds[k]) && len(k) >= 6 && levenshtein.ComputeDistance(lower, strings.ToLower(k)) <= 1 {
			return k, builtinKinds[k]
		}
	}
	return "", ""
}

// stringField returns a top-level string field and whether it is set and not empty.
func stringField(obj ast.Object, key string) (string, bool) {
	t := obj.Get(ast.InternedTerm(key))
	if t == nil {
		return "", false
	}
	s, ok := t.Value.(ast.String)
	return string(s), ok && s != ""
}

// isObject reports whether a mapping has the apiVersion and kind of a Kubernetes object.
func isObject(obj ast.Object) bool {
	for _, key := range []string{"apiVersion", "kind"} {
		t := obj.Get(ast.InternedTerm(key))
		if t == nil {
			return false
		}
		if s, ok := t.Value.(ast.String); !ok || s == "" {
			return false
		}
	}
	return true
}

type document struct {
	text []byte
	line int // first line of text in the whole stream, 1-based
}

// documentReader cuts a stream at "---" lines, like kubectl's YAML reader, so that one broken
// document does not hide the others. Each piece keeps its separator line, so that line numbers
// stay right and "--- {flow: mapping}" still parses. It reads a line at a time and holds one
// document; over bytes already in memory (Decode) it holds nothing and copies nothing.
type documentReader struct {
	r *bufio.Reader // nil: data
	// data and pos are the bytes and where the next document starts, when reading from memory.
	data    []byte
	pos     int
	text    []byte // the document being read, from r; reused
	pending []byte // the separator line that starts the next document, read from r
	long    []byte // a line longer than r's buffer, put together
	line    int    // lines read
	done    bool
	// invalidLine is the line of the first byte that is not UTF-8, which ends the stream; err is
	// a read error, which ends it too.
	invalidLine int
	err         error
}

var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}

// newDocumentReader reads r; release returns its buffer.
func newDocumentReader(r io.Reader) (d *documentReader, release func()) {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return &documentReader{r: br}, func() {
		br.Reset(nil)
		readers.Put(br)
	}
}

// next returns the next document; its text is valid until the following call. The last
// document is returned even when empty, as a stream always has one.
func (d *documentReader) next() (document, bool) {
	if d.done {
		return document{}, false
	}
	if d.r == nil {
		return d.nextInMemory()
	}
	d.text = append(d.text[:0], d.pending...)
	doc := document{line: d.line + 1}
	if len(d.pending) > 0 {
		doc.line = d.line // the separator line was counted when it was read
		if !utf8.Valid(d.pending) {
			d.invalidLine, d.done = d.line, true
			return document{}, false
		}
	}
	d.pending = d.pending[:0]
	for {
		line, err := d.readLine()
		if len(line) > 0 {
			d.line++
			if len(d.text) > 0 && isSeparator(line) {
				d.pending = append(d.pending, line...)
				doc.text = d.text
				return doc, true
			}
			if !utf8.Valid(line) {
				d.invalidLine, d.done = d.line, true
				return document{}, false
			}
			d.text = append(d.text, line...)
		}
		if err != nil {
			d.done = true
			if err != io.EOF {
				d.err = err
				return document{}, false
			}
			doc.text = d.text
			return doc, true
		}
	}
}

func (d *documentReader) nextInMemory() (document, bool) {
	start := d.pos
	doc := document{line: d.line + 1}
	for i := start; ; {
		if i >= len(d.data) {
			d.done = true
			doc.text = d.data[start:]
			return doc, true
		}
		next := len(d.data)
		if end := bytes.IndexByte(d.data[i:], '\n'); end >= 0 {
			next = i + end + 1
		}
		line := d.data[i:next]
		if i > start && isSeparator(line) {
			d.pos = i
			doc.text = d.data[start:i]
			return doc, true
		}
		d.line++
		if !utf8.Valid(line) {
			d.invalidLine, d.done = d.line, true
			return document{}, false
		}
		i = next
	}
}

// readLine returns the next line with its "\n" (none at the end of the stream), valid until the
// next call.
func (d *documentReader) readLine() ([]byte, error) {
	line, err := d.r.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	d.long = append(d.long[:0], line...)
	for err == bufio.ErrBufferFull {
		line, err = d.r.ReadSlice('\n')
		d.long = append(d.long, line...)
	}
	return d.long, err
}

func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := line[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// parseError turns a yaml.v3 error into an InputError with the line counted in the whole file.
func parseError(file string, doc document, err error) *InputError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, hadLine := doc.line, false
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if l, convErr := strconv.Atoi(n); convErr == nil {
				line, msg, hadLine = doc.line+l-1, tail, true
			}
		}
	}
	if isParserError(msg) {
		if hadLine {
			line++
		}
		// yaml.v3 gives the 0-based line where the enclosing mapping or list starts, which can
		// be far above the bad line: name the first line at which the text fails this way.
		if len(doc.text) <= maxBisectBytes {
			if k := firstFailingLine(doc.text, msg); k > 0 {
				line = doc.line + k - 1
			}
		}
	}
	column := 0
	hint := "check the indentation and quoting"
	switch {
	case strings.Contains(msg, "control characters"):
		// yaml.v3 gives no line for these: point at the first one.
		if i := firstControlChar(doc.text); i >= 0 {
			line = doc.line + bytes.Count(doc.text[:i], []byte("\n"))
		}
		hint = "a binary file? YAML manifests are text"
	case strings.Contains(msg, "exceeded max depth"):
		hint = "the document nests lists or mappings too deeply to be a manifest"
	case strings.Contains(msg, "tab") || bytes.Contains(lineAt(doc.text, line-doc.line+1), []byte("\t")):
		hint = "YAML does not allow tabs for indentation; indent with spaces"
		// yaml.v3 names the line where the value before the tab starts: point at the tab.
		if at, col := firstIndentTab(doc.text, line-doc.line+1); at > 0 {
			line, column = doc.line+at-1, col
		}
	}
	return &InputError{File: file, Line: line, Column: column, Message: fmt.Sprintf("not valid YAML (%s); %s", msg, hint)}
}

// parserProblems are the messages of yaml.v3's parser (parserc.go), whose line it gives 0-based;
// every other message is its scanner's, whose line is 1-based.
var parserProblems = []string{
	"did not find expected <stream-start>", "did not find expected <document start>", "found undefined tag handle",
	"did not find expected node content", "did not find expected '-' indicator", "did not find expected key",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "found duplicate %YAML directive",
	"found incompatible YAML document", "found duplicate %TAG directive",
}

func isParserError(msg string) bool {
	return slices.Contains(parserProblems, msg)
}

// maxBisectBytes bounds the documents firstFailingLine parses again (a dozen times for a
// thousand lines); a larger broken document keeps yaml.v3's line.
const maxBisectBytes = 1 << 20

// firstFailingLine returns the smallest k such that the first k lines of text fail to parse
// with msg, by bisection (a prefix that fails stays failing as lines are added, for the
// parser's errors), or 0 when the whole text does not fail so.
func firstFailingLine(text []byte, msg string) int {
	var ends []int // ends[k-1]: the length of the first k lines
	for i, b := range text {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(text) {
		ends = append(ends, len(text))
	}
	fails := func(k int) bool {
		var n yaml.Node
		err := yaml.Unmarshal(text[:ends[k-1]], &n)
		return err != nil && strings.HasSuffix(err.Error(), msg)
	}
	if !fails(len(ends)) {
		return 0
	}
	lo, hi := 1, len(ends)
	for lo < hi {
		if mid := (lo + hi) / 2; fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// firstIndentTab finds the first tab in the indentation of a line, from line from (1-based, in
// text) on, and returns its line and 1-based column; 0, 0 when there is none.
func firstIndentTab(text []byte, from int) (int, int) {
	for n, line := 1, text; len(line) > 0; n++ {
		next := []byte(nil)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, next = line[:i], line[i+1:]
		}
		if n >= from {
			indent := len(line) - len(bytes.TrimLeft(line, " \t"))
			if i := bytes.IndexByte(line[:indent], '\t'); i >= 0 {
				return n, i + 1
			}
		}
		line = next
	}
	return 0, 0
}

func lineAt(text []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(text, '\n')
		if j < 0 {
			return nil
		}
		text = text[j+1:]
	}
	if j := bytes.IndexByte(text, '\n'); j >= 0 {
		return text[:j]
	}
	return text
}

// firstControlChar returns the index of the first byte YAML does not allow (C0 controls other
// than tab, line feed and carriage return, and DEL), or -1.
func firstControlChar(data []byte) int {
	return bytes.IndexFunc(data, func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
	})
}

// converter turns YAML nodes into OPA values directly, without an intermediate map[string]any.
type converter struct {
	file  string
	nodes int
	depth int // lists and mappings being converted, outermost first
}

func (c *converter) errorf(n *yaml.Node, format string, args ...any) *InputError {
	return &InputError{File: c.file, Line: n.Line, Column: n.Column, Message: fmt.Sprintf(format, args...)}
}

func (c *converter) convert(n *yaml.Node) (ast.Value, *InputError) {
	if c.nodes++; c.nodes > maxNodesPerDocument {
		return nil, c.errorf(n, "document expands to more than %d values through YAML aliases; refusing to read it (an alias bomb?)", maxNodesPerDocument)
	}
	if n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode {
		if c.depth++; c.depth > maxDepth {
			return nil, c.errorf(n, "document nests lists and mappings more than %d levels deep, counting what YAML aliases expand to (an anchor used inside its own value?); refusing to read it", maxDepth)
		}
		defer func() { c.depth-- }()
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.convert(n.Alias)
	case yaml.DocumentNode:
		return c.convert(n.Content[0])
	case yaml.SequenceNode:
		terms := make([]*ast.Term, len(n.Content))
		for i, item := range n.Content {
			v, err := c.convert(item)
			if err != nil {
				return nil, err
			}
			terms[i] = ast.NewTerm(v)
		}
		return ast.NewArray(terms...), nil
	case yaml.MappingNode:
		return c.mapping(n)
	}
	return c.scalar(n)
}

func (c *converter) mapping(n *yaml.Node) (ast.Value, *InputError) {
	obj := ast.NewObjectWithCapacity(len(n.Content) / 2)
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, c.errorf(k, "a mapping key must be a plain value, not a %s", kindName(k))
		}
		if k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			hint := "tools disagree on which value wins; keep one"
			if k.Value == "apiVersion" || k.Value == "kind" {
				hint = "is a --- document separator missing above it?"
			}
			return nil, c.errorf(k, "duplicate key %q (first at line %d): %s", k.Value, first.Line, hint)
		}
		seen[k.Value] = k
		val, err := c.convert(v)
		if err != nil {
			return nil, err
		}
		obj.Insert(ast.StringTerm(k.Value), ast.NewTerm(val))
	}
	// Merge keys (<<: *anchor) add the keys the mapping does not set itself.
	for _, m := range merges {
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			v, err := c.convert(src)
			if err != nil {
				return nil, err
			}
			merged, ok := v.(ast.Object)
			if !ok {
				return nil, c.errorf(src, "a merge key (<<) needs a mapping or a list of mappings")
			}
			merged.Foreach(func(k, v *ast.Term) {
				if obj.Get(k) == nil {
					obj.Insert(k, v)
				}
			})
		}
	}
	return obj, nil
}

func (c *converter) scalar(n *yaml.Node) (ast.Value, *InputError) {
	switch n.ShortTag() {
	case "!!null":
		return ast.NullValue, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.errorf(n, "%v", err)
		}
		return ast.Boolean(b), nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return ast.Number(strconv.FormatInt(i, 10)), nil
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			return ast.Number(strconv.FormatUint(u, 10)), nil
		}
		return ast.String(n.Value), nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return ast.String(n.Value), nil // JSON has no .inf or .nan; the API server would see a string
		}
		return ast.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	return ast.String(n.Value), nil // strings, timestamps, binary and custom tags
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}
