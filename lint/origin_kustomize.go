package lint

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/resource"

	"github.com/jobguard/jobguard/policies"
)

// Where a field of a kustomize build was written. The object's origin annotation names the
// resource file it came from; its transformer annotations name every kustomization (base,
// component, overlay) whose transformers ran over it, in order. The field is looked for from the
// last of them back to the resource: in each kustomization, the JSON 6902 and strategic-merge
// patches (files or inline) that target the object, then what the kustomization itself writes
// (namespace:, commonLabels, labels, commonAnnotations, images); then in the resource file. A
// field that is absent (a finding about a missing field points at its nearest parent) or is not
// a plain value (a list, a mapping) goes to the resource file when it has it: that is where the
// object is written and where the missing field belongs.

// kustomizePositions caches the files read to place the findings of one build.
type kustomizePositions struct {
	dir   string
	mu    sync.Mutex              // findings are placed by several evaluators at once
	files map[string][]*yaml.Node // documents of each file read, nil when unreadable
}

func newKustomizePositions(dir string) *kustomizePositions {
	return &kustomizePositions{dir: dir, files: map[string][]*yaml.Node{}}
}

// documents parses a file into the root nodes of its documents.
func (k *kustomizePositions) documents(file string) []*yaml.Node {
	k.mu.Lock()
	defer k.mu.Unlock()
	if docs, ok := k.files[file]; ok {
		return docs
	}
	var docs []*yaml.Node
	if data, err := os.ReadFile(file); err == nil {
		docs = parseDocuments(data)
	}
	k.files[file] = docs
	return docs
}

func parseDocuments(data []byte) []*yaml.Node {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			break
		}
		if len(doc.Content) > 0 {
			docs = append(docs, doc.Content[0])
		}
	}
	return docs
}

// kustomizePlacer places the findings of one object of a build.
type kustomizePlacer struct {
	pos             *kustomizePositions
	node            *yaml.Node // the object as built
	ref             policies.ObjectRef
	origin          *resource.Origin
	transformations resource.Transformations
}

// originFile is the file the object came from, "" when unknown; a remote one as
// repo//path?ref=ref, a generated object the kustomization that generated it.
func (p *kustomizePlacer) originFile() string {
	o := p.origin
	switch {
	case o == nil:
		return ""
	case o.Repo != "":
		s := o.Repo + "//" + o.Path
		if o.Ref != "" {
			s += "?ref=" + o.Ref
		}
		return s
	case o.Path != "":
		return filepath.Join(p.pos.dir, filepath.FromSlash(o.Path))
	case o.ConfiguredIn != "":
		return filepath.Join(p.pos.dir, filepath.FromSlash(o.ConfiguredIn))
	}
	return ""
}

// at is a place in a file.
type at struct {
	file      string
	line, col int
}

func (a at) position() policies.Position {
	return policies.Position{File: a.file, Line: a.line, Column: a.col}
}

func (p *kustomizePlacer) place(path policies.FieldPath, rendered policies.Position, _ *yaml.Node) (policies.Position, []policies.RelatedLocation) {
	steps := walk(p.node, path)
	found := path[:len(steps)]
	plain := len(steps) == len(path) && len(steps) > 0 && steps[len(steps)-1].value.Kind == yaml.ScalarNode
	origin := p.originFile()
	withSource := func(a at) policies.Position {
		pos := a.position()
		if origin != "" && origin != a.file {
			pos.Source = origin
		}
		return pos
	}
	if !plain {
		if a, ok := p.inResource(found, true); ok {
			return withSource(a), nil
		}
	}
	var seen []string
	for i := len(p.transformations) - 1; i >= 0; i-- {
		t := p.transformations[i]
		if t == nil || t.Repo != "" || t.ConfiguredIn == "" {
			continue
		}
		file := filepath.Join(p.pos.dir, filepath.FromSlash(t.ConfiguredIn))
		if slices.Contains(seen, file) {
			continue
		}
		seen = append(seen, file)
		if a, ok := p.inKustomization(file, found, steps); ok {
			return withSource(a), nil
		}
	}
	if a, ok := p.inResource(found, false); ok {
		return withSource(a), nil
	}
	if origin != "" {
		return policies.Position{File: origin}, nil
	}
	return rendered, nil
}

// inResource finds path in the document of the origin file that the object came from; with
// exact, only when the whole path is there.
func (p *kustomizePlacer) inResource(path policies.FieldPath, exact bool) (at, bool) {
	if p.origin == nil || p.origin.Repo != "" || p.origin.Path == "" {
		return at{}, false
	}
	file := filepath.Join(p.pos.dir, filepath.FromSlash(p.origin.Path))
	doc := p.sameObject(p.pos.documents(file))
	if doc == nil {
		return at{}, false
	}
	steps := walkLike(doc, path, p.node)
	if exact && len(steps) < len(path) {
		return at{}, false
	}
	if len(steps) == 0 {
		return at{file, doc.Line, doc.Column}, true
	}
	last := steps[len(steps)-1].key
	return at{file, last.Line, last.Column}, true
}

// sameObject picks, among a file's documents, the one the object was built from: its kind, and
// the name that the built name contains (prefixes and suffixes are added on the way).
func (p *kustomizePlacer) sameObject(docs []*yaml.Node) *yaml.Node {
	var best *yaml.Node
	bestLen := -1
	for _, d := range docs {
		if valueNode(d, "kind").Value != p.ref.Kind {
			continue
		}
		name := valueNode(valueNode(d, "metadata"), "name").Value
		if name == p.ref.Name {
			return d
		}
		if strings.Contains(p.ref.Name, name) && len(name) > bestLen {
			best, bestLen = d, len(name)
		}
	}
	return best
}

// walkLike is walk for a patch or source document of the object: a list item is matched by its
// name when the object's items have names (strategic merge by name), else by index.
func walkLike(doc *yaml.Node, path policies.FieldPath, object *yaml.Node) []step {
	var steps []step
	n, o := doc, object
	for _, seg := range path {
		n, o = resolveAlias(n), resolveAlias(o)
		switch seg := seg.(type) {
		case string:
			k, v := entry(n, seg)
			if k == nil {
				return steps
			}
			steps = append(steps, step{seg: seg, key: k, value: resolveAlias(v)})
			n = v
			o = valueNode(o, seg)
		case int:
			if n.Kind != yaml.SequenceNode || o.Kind != yaml.SequenceNode || seg >= len(o.Content) {
				return steps
			}
			want := resolveAlias(o.Content[seg])
			idx := seg
			if name := valueNode(want, "name").Value; name != "" {
				idx = slices.IndexFunc(n.Content, func(item *yaml.Node) bool { return valueNode(item, "name").Value == name })
			} else if len(n.Content) != len(o.Content) {
				idx = -1
			}
			if idx < 0 || idx >= len(n.Content) {
				return steps
			}
			steps = append(steps, step{seg: seg, key: n.Content[idx], value: resolveAlias(n.Content[idx])})
			n, o = n.Content[idx], want
		default:
			return steps
		}
	}
	return steps
}

// inKustomization finds whether the kustomization in file set path, looking at its
// transformers from the last that kustomize runs to the first: replacements, images, patchesJson6902, commonAnnotations, labels and commonLabels, namespace,
// patches, patchesStrategicMerge.
func (p *kustomizePlacer) inKustomization(file string, path policies.FieldPath, steps []step) (at, bool) {
	docs := p.pos.documents(file)
	if len(docs) == 0 || docs[0].Kind != yaml.MappingNode {
		return at{}, false
	}
	k := docs[0]
	patched := func(key string, json6902 bool) (at, bool) {
		items := valueNode(k, key).Content
		for i := len(items) - 1; i >= 0; i-- {
			if src, ok := p.patchSource(file, items[i], json6902); ok {
				if a, ok := src.sets(path, p.node); ok {
					return a, true
				}
			}
		}
		return at{}, false
	}
	if a, ok := p.replacedBy(file, k, path); ok {
		return a, true
	}
	if a, ok := p.imageBy(file, k, path, steps); ok {
		return a, true
	}
	if a, ok := patched("patchesJson6902", true); ok {
		return a, true
	}
	if a, ok := p.metadataBy(file, k, path); ok {
		return a, true
	}
	if a, ok := patched("patches", false); ok {
		return a, true
	}
	return patched("patchesStrategicMerge", false)
}

// replacedBy finds the replacement (inline, or in a file its path: names) whose target field
// path is path in the object: the line of that fieldPaths entry.
func (p *kustomizePlacer) replacedBy(file string, k *yaml.Node, path policies.FieldPath) (at, bool) {
	items := valueNode(k, "replacements").Content
	for i := len(items) - 1; i >= 0; i-- {
		item := resolveAlias(items[i])
		where, replacements := file, []*yaml.Node{item}
		if rel := valueNode(item, "path").Value; rel != "" {
			where = filepath.Join(filepath.Dir(file), filepath.FromSlash(rel))
			replacements = nil
			for _, doc := range p.pos.documents(where) {
				if doc.Kind == yaml.SequenceNode {
					replacements = append(replacements, doc.Content...)
				} else {
					replacements = append(replacements, doc)
				}
			}
		}
		for j := len(replacements) - 1; j >= 0; j-- {
			for _, target := range valueNode(replacements[j], "targets").Content {
				if !p.targets(valueNode(target, "select")) {
					continue
				}
				for _, fp := range valueNode(target, "fieldPaths").Content {
					if p.fieldPathIs(fp.Value, path) {
						return at{where, fp.Line, fp.Column}, true
					}
				}
			}
		}
	}
	return at{}, false
}

// fieldPathIs reports whether a kustomize field path (spec.containers.[name=app].image,
// spec.args.0, a * for any) names path in the object.
func (p *kustomizePlacer) fieldPathIs(fieldPath string, path policies.FieldPath) bool {
	segs := strings.Split(fieldPath, ".")
	if fieldPath == "" || len(segs) != len(path) {
		return false
	}
	n := p.node
	for i, seg := range segs {
		n = resolveAlias(n)
		switch want := path[i].(type) {
		case string:
			if seg != want && seg != "*" {
				return false
			}
			n = valueNode(n, want)
		case int:
			if n.Kind != yaml.SequenceNode || want >= len(n.Content) {
				return false
			}
			item := resolveAlias(n.Content[want])
			switch {
			case seg == "*" || seg == strconv.Itoa(want):
			case strings.HasPrefix(seg, "[") && strings.HasSuffix(seg, "]"):
				key, value, ok := strings.Cut(seg[1:len(seg)-1], "=")
				if !ok || valueNode(item, key).Value != value {
					return false
				}
			default:
				return false
			}
			n = item
		}
	}
	return true
}

// metadataBy finds the namespace, label or annotation that a kustomization writes at path.
func (p *kustomizePlacer) metadataBy(file string, k *yaml.Node, path policies.FieldPath) (at, bool) {
	keyAt := func(n *yaml.Node) (at, bool) { return at{file, n.Line, n.Column}, true }
	if path.String() == "metadata.namespace" {
		if key, v := entry(k, "namespace"); key != nil && v.Value != "" {
			return keyAt(key)
		}
	}
	if len(path) < 2 {
		return at{}, false
	}
	last, _ := path[len(path)-1].(string)
	parent, _ := path[len(path)-2].(string)
	switch parent {
	case "labels", "matchLabels", "selector":
		if key, _ := entry(valueNode(k, "commonLabels"), last); key != nil {
			return keyAt(key)
		}
		for _, l := range valueNode(k, "labels").Content {
			if key, _ := entry(valueNode(l, "pairs"), last); key != nil {
				return keyAt(key)
			}
		}
	case "annotations":
		if key, _ := entry(valueNode(k, "commonAnnotations"), last); key != nil {
			return keyAt(key)
		}
	}
	return at{}, false
}

// imageBy finds the images: entry that set a container's image.
func (p *kustomizePlacer) imageBy(file string, k *yaml.Node, path policies.FieldPath, steps []step) (at, bool) {
	if len(path) == 0 || path[len(path)-1] != "image" || len(steps) != len(path) {
		return at{}, false
	}
	image := imageName(steps[len(steps)-1].value.Value)
	for _, img := range valueNode(k, "images").Content {
		name, newName := valueNode(img, "name").Value, valueNode(img, "newName").Value
		if name == "" || (image != name && image != newName) {
			continue
		}
		for _, field := range []string{"digest", "newTag", "newName"} {
			if key, _ := entry(img, field); key != nil {
				return at{file, key.Line, key.Column}, true
			}
		}
	}
	return at{}, false
}

// imageName is an image reference without its tag or digest.
func imageName(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

// patchSource is one patch of a kustomization, parsed: a file or an inline text (whose node
// positions are shifted to the kustomization's lines), with its target.
type patchSource struct {
	file     string
	docs     []*yaml.Node
	lineOff  int // an inline block patch: the line of its key
	json6902 bool
	target   *yaml.Node // the target selector, or nil
	placer   *kustomizePlacer
	inline   *yaml.Node // an inline patch's text in the kustomization
	quoted   bool       // inline but not a block: its fields are placed on the text's line
	// options.allowNameChange and allowKindChange of a patches entry: without them a
	// strategic-merge patch's name and kind only select the object.
	allowNameChange, allowKindChange bool
}

// patchSource reads one entry of patches (path or patch, target), of patchesStrategicMerge (a
// path or an inline patch) or of patchesJson6902.
func (p *kustomizePlacer) patchSource(kustomization string, item *yaml.Node, json6902 bool) (patchSource, bool) {
	dir := filepath.Dir(kustomization)
	item = resolveAlias(item)
	src := patchSource{placer: p, json6902: json6902}
	var inline *yaml.Node
	switch item.Kind {
	case yaml.ScalarNode: // patchesStrategicMerge: a file, or an inline patch
		if strings.Contains(item.Value, "\n") || strings.Contains(item.Value, ":") {
			inline = item
		} else {
			src.file = filepath.Join(dir, filepath.FromSlash(item.Value))
		}
	case yaml.MappingNode:
		if _, t := entry(item, "target"); t != nil {
			src.target = resolveAlias(t)
		}
		options := valueNode(item, "options")
		src.allowNameChange = valueNode(options, "allowNameChange").Value == "true"
		src.allowKindChange = valueNode(options, "allowKindChange").Value == "true"
		if path := valueNode(item, "path").Value; path != "" {
			src.file = filepath.Join(dir, filepath.FromSlash(path))
		} else if _, v := entry(item, "patch"); v != nil {
			inline = resolveAlias(v)
		}
	default:
		return patchSource{}, false
	}
	if inline != nil {
		src.file = kustomization
		src.docs = parseDocuments([]byte(inline.Value))
		src.inline = inline
		if inline.Style == yaml.LiteralStyle || inline.Style == yaml.FoldedStyle {
			src.lineOff = inline.Line
		} else {
			src.quoted = true
		}
	} else {
		src.docs = p.pos.documents(src.file)
	}
	if len(src.docs) > 0 && src.docs[0].Kind == yaml.SequenceNode {
		src.json6902 = true
	}
	return src, true
}

// sets finds whether the patch sets path in the object.
func (s patchSource) sets(path policies.FieldPath, object *yaml.Node) (at, bool) {
	if s.target != nil && !s.placer.targets(s.target) {
		return at{}, false
	}
	if s.json6902 {
		if len(s.docs) == 0 {
			return at{}, false
		}
		return s.jsonPatchSets(s.docs[0], path, object)
	}
	if s.selectsOnly(path) {
		return at{}, false
	}
	for _, doc := range s.docs {
		if s.target == nil && !s.placer.isPatchFor(doc) {
			continue
		}
		steps := walkLike(doc, path, object)
		if len(steps) == len(path) && len(steps) > 0 {
			return s.at(steps[len(steps)-1].key), true
		}
	}
	return at{}, false
}

// selectsOnly reports whether path is a field by which a strategic-merge patch names its object
// and that kustomize keeps from the object after merging (Resource.ApplySmPatch): the namespace
// always, the name and kind unless the patch's options allow them to change.
func (s patchSource) selectsOnly(path policies.FieldPath) bool {
	switch path.String() {
	case "metadata.namespace":
		return true
	case "metadata.name":
		return !s.allowNameChange
	case "kind":
		return !s.allowKindChange
	}
	return false
}

// at is where a node of the patch is in its file.
func (s patchSource) at(n *yaml.Node) at {
	if s.quoted {
		return at{s.file, s.inline.Line, s.inline.Column}
	}
	col := n.Column
	if s.lineOff > 0 {
		col += blockIndent(s.file, s.lineOff+1)
	}
	return at{s.file, n.Line + s.lineOff, col}
}

// blockIndent is the indentation of a block scalar's content, read from the file's line.
func blockIndent(file string, line int) int {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	lines := strings.Split(string(data), "\n")
	for i := line - 1; i < len(lines); i++ {
		if t := strings.TrimLeft(lines[i], " "); strings.TrimSpace(t) != "" {
			return len(lines[i]) - len(t)
		}
	}
	return 0
}

// jsonPatchSets finds the operation that writes path: one whose path is the field's, or a parent
// whose value holds it.
func (s patchSource) jsonPatchSets(ops *yaml.Node, path policies.FieldPath, object *yaml.Node) (at, bool) {
	pointer := jsonPointer(path)
	for i := len(ops.Content) - 1; i >= 0; i-- {
		op := resolveAlias(ops.Content[i])
		switch valueNode(op, "op").Value {
		case "add", "replace", "copy", "move":
		default:
			continue
		}
		opPath := valueNode(op, "path").Value
		valueKey, value := entry(op, "value")
		switch {
		case opPath == pointer:
			if valueKey != nil {
				return s.at(valueKey), true
			}
			if k, _ := entry(op, "from"); k != nil {
				return s.at(k), true
			}
		case value != nil && opPath != "" && strings.HasPrefix(pointer, opPath+"/"):
			below := path[len(strings.Split(strings.TrimPrefix(opPath, "/"), "/")):]
			parent := path[:len(path)-len(below)]
			objectBelow := object
			if st := walk(object, parent); len(st) == len(parent) && len(st) > 0 {
				objectBelow = st[len(st)-1].value
			}
			if steps := walkLike(resolveAlias(value), below, objectBelow); len(steps) == len(below) {
				return s.at(steps[len(steps)-1].key), true
			}
		}
	}
	return at{}, false
}

// isPatchFor reports whether a strategic-merge patch document names the object: its kind, and a
// name the built name contains.
func (p *kustomizePlacer) isPatchFor(doc *yaml.Node) bool {
	if valueNode(doc, "kind").Value != p.ref.Kind {
		return false
	}
	name := valueNode(valueNode(doc, "metadata"), "name").Value
	return name != "" && strings.Contains(p.ref.Name, name)
}

// targets reports whether a patch target selects the object, by kind and name (a regular
// expression, matched against the built name or a part of it).
func (p *kustomizePlacer) targets(t *yaml.Node) bool {
	if kind := valueNode(t, "kind").Value; kind != "" && kind != p.ref.Kind {
		return false
	}
	name := valueNode(t, "name").Value
	if name == "" {
		return true
	}
	re, err := regexp.Compile(name)
	return err == nil && re.MatchString(p.ref.Name)
}
