package lint

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"

	"github.com/jobguard/jobguard/policies"
)

// StdinName is the path that means standard input, and the file name findings from it carry.
const StdinName = "-"

// Report is the outcome of one lint run.
type Report struct {
	// Findings, sorted by file, line, column and rule. Nil when the Linter kept them on disk
	// (WithSpillDir) because there were many: EachFinding reads them either way.
	Findings []policies.Finding
	// spilled holds the findings kept on disk; Close removes them.
	spilled *findingStore
	// InputErrors are sources that could not be read and documents that did not parse.
	InputErrors []*InputError
	Files       int
	// Objects counts the objects of kinds an enabled rule checks; Skipped the other documents and
	// objects (ConfigMaps, a values file, a List's items of other kinds), which nothing checked.
	Objects int
	Skipped int
	// Checked lists the objects Objects counts, findings or not, sorted by file and line; only with
	// WithCheckedObjects (it grows with the input).
	Checked []CheckedObject
	// Suppressed are findings that `# jobguard:ignore` comments exempted, sorted as Findings.
	Suppressed []Suppression
	// Rules is the metadata of every enabled rule, for formats that describe them (SARIF).
	Rules []*policies.Rule
	// Cluster, set by jobguard audit, names the cluster the objects were listed from; findings
	// then name their object (namespace/Kind/name) where a file would be, and Files is 0.
	Cluster string
}

// EachFinding calls fn with every finding, in order, whether the report holds them (Findings) or
// the Linter kept them on disk. It stops at fn's first error and returns it.
func (r *Report) EachFinding(fn func(policies.Finding) error) error {
	if r.spilled != nil {
		return r.spilled.each(fn)
	}
	for _, f := range r.Findings {
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// Count counts the findings by severity.
func (r *Report) Count() FindingCounts {
	if r.spilled != nil {
		return r.spilled.counts
	}
	var c FindingCounts
	for _, f := range r.Findings {
		c.add(f)
	}
	return c
}

// Close removes the findings the Linter kept on disk, if any. The report's findings are gone
// afterwards.
func (r *Report) Close() error {
	if r.spilled == nil {
		return nil
	}
	err := r.spilled.close()
	r.spilled = nil
	return err
}

// CheckedObject is an object that was evaluated, and where it starts.
type CheckedObject struct {
	Object   policies.ObjectRef `json:"object"`
	Position policies.Position  `json:"position"`
}

// Linter checks manifests with an engine. It is a thin adapter: reading, splitting, positions.
type Linter struct {
	engine  *policies.Engine
	workers int
	stdin   io.Reader
	skip    func(path string) bool
	// requireReasons refuses ignore comments without a reason.
	requireReasons bool
	// render says how chart directories and kustomizations are rendered (render.go).
	render RenderOptions
	// spillDir and spillAfter: WithSpillDir.
	spillDir   string
	spillAfter int
	// checked: WithCheckedObjects.
	checked bool
	// placers: where the findings of rendered objects go (origin.go), by objectKey.
	placers sync.Map
	// progress: WithProgress.
	progress *Progress
}

// Progress counts what a running Lint has done, for a progress line; read it from any goroutine.
type Progress struct {
	// Files is how many files (or charts, kustomizations) there are to read, once known.
	Files atomic.Int64
	// FilesRead and Evaluated grow as the lint goes.
	FilesRead, Evaluated atomic.Int64
}

// WithProgress has the Linter count its progress in p.
func WithProgress(p *Progress) Option { return func(l *Linter) { l.progress = p } }

// Option configures a Linter.
type Option func(*Linter)

// WithWorkers sets how many objects are evaluated at once. Default: GOMAXPROCS.
func WithWorkers(n int) Option { return func(l *Linter) { l.workers = max(1, n) } }

// WithStdin sets what the path "-" reads. Default: os.Stdin.
func WithStdin(r io.Reader) Option { return func(l *Linter) { l.stdin = r } }

// WithSkip leaves out files for which skip returns true (configured ignore paths).
func WithSkip(skip func(path string) bool) Option { return func(l *Linter) { l.skip = skip } }

// WithRequireReasons makes `# jobguard:ignore` comments without a reason exempt nothing; the
// finding is reported with a note saying so.
func WithRequireReasons(require bool) Option { return func(l *Linter) { l.requireReasons = require } }

// WithSpillDir lets the Linter keep findings in a temporary file in dir once there are more
// than 20,000 of them, instead of holding every finding of a large input in memory until the
// end (about 550 bytes each): Report.EachFinding reads them back in order, and Report.Close
// closes the file, which has no name in dir (except on Windows, where Close removes it).
// Report.Findings is then nil.
func WithSpillDir(dir string) Option { return func(l *Linter) { l.spillDir = dir } }

// WithCheckedObjects fills Report.Checked (every object evaluated, for reports that list them,
// such as JUnit's), which grows with the input.
func WithCheckedObjects(checked bool) Option { return func(l *Linter) { l.checked = checked } }

// New returns a Linter that evaluates with engine.
func New(engine *policies.Engine, opts ...Option) *Linter {
	l := &Linter{engine: engine, workers: runtime.GOMAXPROCS(0), stdin: os.Stdin, spillAfter: defaultSpillAfter}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Files expands paths into the files to lint: files as given, directories recursively (.yaml,
// .yml and .json files, skipping hidden directories), and "-" for standard input. A path that
// does not exist is an InputError, and so is a pipe, device or broken link met in a directory. A directory holding a Helm chart (Chart.yaml) or a
// kustomization is returned itself, not walked: Linter.Lint renders it (see render.go); files a
// kustomization lists as patches are left out (withoutPatches).
func Files(paths []string) ([]string, []*InputError) {
	var files []string
	var errs []*InputError
	for _, p := range paths {
		if p == StdinName {
			files = append(files, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			errs = append(errs, &InputError{File: p, Message: describeIOError(err)})
			continue
		}
		if !info.IsDir() || renderKind(p) != "" {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, &InputError{File: path, Message: describeIOError(err)})
				return nil
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				if path != p && renderKind(path) != "" {
					files = append(files, path) // a chart or kustomization: rendered whole
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if msg := notRegular(path, d); msg != "" {
					errs = append(errs, &InputError{File: path, Message: msg})
					return nil
				}
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, &InputError{File: p, Message: describeIOError(err)})
		}
	}
	return withoutPatches(files), errs
}

// notRegular says why a file found in a directory is not read, or "" for a regular file or a
// symbolic link to one. Reading a named pipe would block until something writes to it, and a
// device may never end; a file named on the command line is read whatever it is (<(...) is a pipe).
func notRegular(path string, d fs.DirEntry) string {
	if d.Type().IsRegular() {
		return ""
	}
	what := "is a " + fileType(d.Type())
	if d.Type()&fs.ModeSymlink != 0 {
		info, err := os.Stat(path)
		if err != nil {
			return "is a symbolic link whose target cannot be read: " + describeIOError(err)
		}
		if info.Mode().IsRegular() {
			return ""
		}
		if info.IsDir() {
			return "is a symbolic link to a directory, which is not followed; name the directory itself to lint it"
		}
		what = "is a symbolic link to a " + fileType(info.Mode().Type())
	}
	return what + ", not a regular file; skipped (name it on the command line to read it anyway)"
}

func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

func describeIOError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied; check the file's permissions"
	}
	return err.Error()
}

// Lint reads the paths (see Files), evaluates every object and returns the report. Problems with
// one source never stop the others; only a failing engine returns an error.
func (l *Linter) Lint(ctx context.Context, paths []string) (*Report, error) {
	files, inputErrs := Files(paths)
	if l.skip != nil {
		files = slices.DeleteFunc(files, func(f string) bool { return f != StdinName && l.skip(f) })
	}
	report := &Report{InputErrors: inputErrs, Files: len(files)}
	progress := l.progress
	if progress == nil {
		progress = &Progress{}
	}
	progress.Files.Store(int64(len(files)))
	store := &findingStore{dir: l.spillDir, spillAfter: l.spillAfter}
	defer func() {
		if report.spilled != store {
			store.close() // an error or a cancellation
		}
	}()
	report.Rules = l.engine.EnabledRules()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tasks := make(chan task, 4*l.workers)
	var mu sync.Mutex
	var evalErr error
	// RBAC objects are judged against the Jobs that use them, and Jobs that run kubectl against
	// the RBAC: the engine's batch evaluates every rule but these inventory rules at once and
	// keeps the object's identity until every file is read. Lint keeps where the waiting object
	// is (keepWhileWaiting). Everything else is evaluated as soon as it is decoded, one document
	// at a time: memory grows with the largest document, and with what waits, not with the rest
	// of the input.
	batch := policies.NewBatch[*placement](l.engine)

	var evaluators sync.WaitGroup
	for range l.workers {
		evaluators.Go(func() {
			for t := range tasks {
				found, suppressed, ruleErrs, err := l.check(ctx, t.eval, t.place)
				if t.count {
					progress.Evaluated.Add(1)
				}
				mu.Lock()
				if err == nil {
					err = store.add(found)
				}
				if err != nil && evalErr == nil {
					evalErr = err
					cancel()
				}
				report.Suppressed = append(report.Suppressed, suppressed...)
				report.InputErrors = append(report.InputErrors, ruleErrs...)
				if t.count {
					// Objects of kinds no rule checks are evaluated (to nothing) but not checked:
					// Checked lists what report.Objects counts, so that JUnit has no testcase
					// for a Secret or a Pod.
					if ref := policies.ObjectRefOf(t.eval.Object()); l.checked && l.engine.Checks(ref.APIVersion, ref.Kind) {
						report.Checked = append(report.Checked, CheckedObject{
							Object:   ref,
							Position: l.placeObject(policies.Position{File: t.place.file, Line: t.place.line, Column: t.place.node().Column, Source: t.place.source}, t.place.node()),
						})
					}
				}
				mu.Unlock()
			}
		})
	}

	// Read and decode files a few at a time; evaluation is the expensive part.
	sem := make(chan struct{}, l.workers)
	var readers sync.WaitGroup
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		readers.Go(func() {
			defer func() { <-sem }()
			var errs []*InputError
			var last *heldDocument
			var objects, skipped int
			fileErrs, skippedDocs := l.each(f, func(o Object, from origin) bool {
				if ref := policies.ObjectRefOf(o.Value); l.engine.Checks(ref.APIVersion, ref.Kind) {
					objects++
				} else {
					skipped++
				}
				place := &placement{file: o.File, line: o.Line, source: o.Source, yamlNode: o.Node}
				now, waits, err := batch.Add(o.Value, place)
				if err != nil {
					errs = append(errs, &InputError{File: o.File, Line: o.Line, Message: err.Error()})
				}
				placeNow := place
				if waits {
					// Evaluated now on its nodes; its inventory rules later, on what it keeps.
					whole := *place
					placeNow = &whole
					last = place.keepWhileWaiting(o, from, last)
				}
				select {
				case tasks <- task{eval: now, place: placeNow, count: true}:
					return true
				case <-ctx.Done():
					return false
				}
			})
			errs = append(errs, fileErrs...)
			progress.FilesRead.Add(1)
			mu.Lock()
			report.InputErrors = append(report.InputErrors, errs...)
			report.Objects += objects
			report.Skipped += skipped + skippedDocs
			mu.Unlock()
		})
	}
	readers.Wait()
	for place, eval := range batch.Remaining() {
		if ctx.Err() != nil {
			break
		}
		tasks <- task{eval: eval, place: place} // counted when it was read
	}
	close(tasks)
	evaluators.Wait()
	if evalErr != nil {
		return nil, evalErr
	}
	var err error
	if report.Findings, err = store.finish(); err != nil {
		return nil, err
	}
	if report.Findings == nil && len(store.runs) > 0 {
		report.spilled = store
	}
	sortSuppressions(report.Suppressed)
	slices.SortFunc(report.Checked, CompareChecked)
	slices.SortFunc(report.InputErrors, CompareInputErrors)
	return report, nil
}

// CompareChecked is the order of Report.Checked: by where the objects are, then by name (the
// objects of several kustomizations rendered from one file are at one position, and evaluated
// in any order).
func CompareChecked(a, b CheckedObject) int {
	return cmp.Or(
		cmp.Compare(a.Position.File, b.Position.File),
		cmp.Compare(a.Position.Line, b.Position.Line),
		cmp.Compare(a.Position.Column, b.Position.Column),
		cmp.Compare(a.Object.String(), b.Object.String()),
		cmp.Compare(a.Object.APIVersion, b.Object.APIVersion),
	)
}

// CompareInputErrors is the order of Report.InputErrors: by where they are, then by message.
func CompareInputErrors(a, b *InputError) int {
	return cmp.Or(
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		cmp.Compare(a.Message, b.Message),
	)
}

// placement is where an object is, for its findings: its node tree, or while it waits for the
// inventory, what keepWhileWaiting keeps.
type placement struct {
	file, source string
	line         int
	yamlNode     *yaml.Node
	// waiting: a Job's positions, pruned (waiting.go).
	waiting *posNode
	// held and item: an object that waits as its document's text, and its index among the
	// document's objects (a List's items).
	held *heldDocument
	item int
}

func (p *placement) node() *yaml.Node {
	switch {
	case p.yamlNode != nil:
	case p.waiting != nil:
		p.yamlNode = p.waiting.yaml()
	case p.held != nil:
		p.yamlNode = p.held.node(p.item)
	}
	return p.yamlNode
}

// keepWhileWaiting trims p to what the findings of its object's inventory rules need while the
// object waits for them: a Job's or CronJob's positions, pruned (waiting.go); another object's
// document text (held, shared by the objects of one document, given as last), decoded again
// only if a finding is to be placed; a rendered object, which has no text, keeps its nodes.
// It returns the held document.
func (p *placement) keepWhileWaiting(o Object, from origin, last *heldDocument) *heldDocument {
	if positions := waitingPositions(o); positions != nil {
		p.yamlNode, p.waiting = nil, positions
		return last
	}
	if from.doc.text == nil {
		return last
	}
	if last == nil || last.file != o.File || last.line != from.doc.line {
		last = &heldDocument{file: o.File, line: from.doc.line, text: slices.Clone(from.doc.text)}
	}
	p.yamlNode, p.held, p.item = nil, last, from.item
	return last
}

// heldDocument is the text of a document whose RBAC objects wait for the inventory. Most of
// them have no finding from the inventory rules, so the text is decoded again only for one that
// has, and once for all of a List's items.
type heldDocument struct {
	file string
	line int

	mu    sync.Mutex
	text  []byte
	nodes []*yaml.Node // by item, once decoded
}

// node is the node tree of item i of the document, decoded as it was the first time.
func (h *heldDocument) node(i int) *yaml.Node {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.text != nil {
		objs, _ := decodeDocument(h.file, document{text: h.text, line: h.line})
		h.nodes = make([]*yaml.Node, len(objs))
		for j, o := range objs {
			h.nodes[j] = o.Node
		}
		h.text = nil
	}
	if i < len(h.nodes) {
		return h.nodes[i]
	}
	return nil
}

// task is one evaluation and where its object is; count is false for the second evaluation of an
// object that waited, counted when it was read.
type task struct {
	eval  *policies.Evaluation
	place *placement
	count bool
}

// each hands every object of one entry of Files to yield, in order, as it is decoded (chart and
// kustomization renders are decoded whole), and returns the input errors and how many documents
// were not Kubernetes objects.
func (l *Linter) each(file string, yield func(Object, origin) bool) ([]*InputError, int) {
	var r io.Reader = l.stdin
	if file != StdinName {
		f, err := os.Open(file)
		if err == nil {
			defer f.Close()
			if info, statErr := f.Stat(); statErr == nil && info.IsDir() {
				err = errors.New("is a directory")
			}
		}
		if err != nil {
			if kind := renderKind(file); kind != "" {
				objs, placers, errs := l.render.build(kind, file)
				l.remember(placers)
				for i, o := range objs {
					if !yield(o, origin{item: i}) {
						break
					}
				}
				return errs, 0
			}
			return []*InputError{{File: file, Message: "cannot read: " + describeIOError(err)}}, 0
		}
		r = f
	} else {
		yield = l.placeStream(yield)
	}
	return decodeStream(file, r, yield)
}

func (l *Linter) read(file string) ([]Object, []*InputError) {
	var objs []Object
	errs, _ := l.each(file, func(o Object, _ origin) bool {
		objs = append(objs, o)
		return true
	})
	return objs, errs
}

// check runs one evaluation, places its findings in the source and sets aside those that an
// ignore comment exempts.
// A rule that fails on the object (policies.RuleErrors) is an input error at the object; the
// other rules' findings are kept.
func (l *Linter) check(ctx context.Context, eval *policies.Evaluation, place *placement) ([]policies.Finding, []Suppression, []*InputError, error) {
	findings, err := eval.Run(ctx)
	var inputErrs []*InputError
	if ruleErrs, ok := errors.AsType[*policies.RuleErrors](err); ok {
		for _, re := range ruleErrs.Errors {
			inputErrs = append(inputErrs, &InputError{File: place.file, Line: place.line,
				Message: fmt.Sprintf("rule %s failed on %s, which it could not check: %v; the other rules checked it (fix the rule, or --disable %s)", re.Rule, ruleErrs.Object, re.Err, re.Rule)})
		}
		err = nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s:%d: %w", place.file, place.line, err)
	}
	if len(findings) == 0 {
		return nil, nil, inputErrs, nil // a waiting object's document is not decoded again
	}
	node := place.node()
	kept := findings[:0]
	var suppressed []Suppression
	for _, f := range findings {
		line, col := Locate(node, f.Path)
		f.Position = policies.Position{File: place.file, Line: line, Column: col, Source: place.source}
		l.place(Object{File: place.file, Line: place.line, Node: node}, &f)
		if reason, at, ok := suppression(node, f.Path, f.Rule); ok {
			if reason != "" || !l.requireReasons {
				suppressed = append(suppressed, Suppression{Finding: f, Reason: reason, Line: at})
				continue
			}
			f.Message += fmt.Sprintf(" (the %s comment on line %d gives no reason, so it does not apply)", IgnoreDirective, at)
		}
		kept = append(kept, f)
	}
	return kept, suppressed, inputErrs, nil
}

// ValuesNote is what lint appended to a finding's message about the Helm values its field came
// from (" (.Values.image.tag from values.yaml:4:3)"), or "": reports that shorten messages keep it.
func ValuesNote(f policies.Finding) string { return describeValues(f.Related) }
