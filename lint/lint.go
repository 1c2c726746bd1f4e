package lint

import (
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

	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/policies/rbac"
)

// StdinName is the path that means standard input, and the file name findings from it carry.
const StdinName = "-"

// Report is the outcome of one lint run.
type Report struct {
	// Findings, sorted by file, line, column and rule.
	Findings []policies.Finding
	// InputErrors are sources that could not be read and documents that did not parse.
	InputErrors []*InputError
	Files       int
	Objects     int
	// Checked lists every object evaluated, findings or not, sorted by file and line.
	Checked []CheckedObject
	// Suppressed are findings that `# jobguard:ignore` comments exempted.
	Suppressed []Suppression
	// Rules is the metadata of every enabled rule, for formats that describe them (SARIF).
	Rules []*policies.Rule
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
}

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

// New returns a Linter that evaluates with engine.
func New(engine *policies.Engine, opts ...Option) *Linter {
	l := &Linter{engine: engine, workers: runtime.GOMAXPROCS(0), stdin: os.Stdin}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Files expands paths into the files to lint: files as given, directories recursively (.yaml,
// .yml and .json files, skipping hidden directories), and "-" for standard input. A path that
// does not exist is an InputError, and so is a pipe, device or broken link met in a directory. A directory holding a Helm chart (Chart.yaml) or a
// kustomization is returned itself, not walked: Linter.Lint renders it (see render.go).
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
	return files, errs
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
	for _, r := range l.engine.Rules() {
		if l.engine.Enabled(r.ID) {
			report.Rules = append(report.Rules, r)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objects := make(chan Object, 4*l.workers)
	var mu sync.Mutex
	var evalErr error
	// RBAC objects and Jobs that run kubectl are judged against each other: they wait until every
	// file is read. Everything else is evaluated as soon as it is decoded.
	inventory := rbac.NewInventory()
	var deferred []Object

	var evaluators sync.WaitGroup
	for range l.workers {
		evaluators.Go(func() {
			for obj := range objects {
				findings, suppressed, err := l.check(ctx, obj, inventory)
				mu.Lock()
				if err != nil && evalErr == nil {
					evalErr = err
					cancel()
				}
				report.Findings = append(report.Findings, findings...)
				report.Suppressed = append(report.Suppressed, suppressed...)
				report.Objects++
				report.Checked = append(report.Checked, CheckedObject{
					Object:   policies.ObjectRefOf(obj.Value),
					Position: policies.Position{File: obj.File, Line: obj.Line, Column: obj.Node.Column, Source: obj.Source},
				})
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
			objs, errs := l.read(f)
			objs = slices.DeleteFunc(objs, func(o Object) bool {
				later, err := addToInventory(inventory, o)
				if err != nil {
					errs = append(errs, err)
				}
				if later {
					mu.Lock()
					deferred = append(deferred, o)
					mu.Unlock()
				}
				return later
			})
			if len(errs) > 0 {
				mu.Lock()
				report.InputErrors = append(report.InputErrors, errs...)
				mu.Unlock()
			}
			for _, o := range objs {
				select {
				case objects <- o:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	readers.Wait()
	for _, o := range deferred {
		if ctx.Err() != nil {
			break
		}
		objects <- o
	}
	close(objects)
	evaluators.Wait()
	if evalErr != nil {
		return nil, evalErr
	}
	policies.SortFindings(report.Findings)
	slices.SortFunc(report.Checked, func(a, b CheckedObject) int {
		if c := strings.Compare(a.Position.File, b.Position.File); c != 0 {
			return c
		}
		return a.Position.Line - b.Position.Line
	})
	slices.SortFunc(report.InputErrors, func(a, b *InputError) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return report, nil
}

func (l *Linter) read(file string) ([]Object, []*InputError) {
	var data []byte
	var err error
	if file == StdinName {
		data, err = io.ReadAll(l.stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		if kind := renderKind(file); kind != "" && file != StdinName {
			return l.render.build(kind, file)
		}
		return nil, []*InputError{{File: file, Message: "cannot read: " + describeIOError(err)}}
	}
	return Decode(file, data)
}

// check evaluates one object, places its findings in the source and sets aside those that an
// ignore comment exempts.
func (l *Linter) check(ctx context.Context, obj Object, access policies.AccessChecker) ([]policies.Finding, []Suppression, error) {
	findings, err := l.engine.Evaluate(ctx, obj.Value, policies.WithAccessChecker(access))
	if err != nil {
		return nil, nil, fmt.Errorf("%s:%d: %w", obj.File, obj.Line, err)
	}
	kept := findings[:0]
	var suppressed []Suppression
	for _, f := range findings {
		line, col := Locate(obj.Node, f.Path)
		f.Position = policies.Position{File: obj.File, Line: line, Column: col, Source: obj.Source}
		if reason, at, ok := suppression(obj.Node, f.Path, f.Rule); ok {
			if reason != "" || !l.requireReasons {
				suppressed = append(suppressed, Suppression{Finding: f, Reason: reason, Line: at})
				continue
			}
			f.Message += fmt.Sprintf(" (the %s comment on line %d gives no reason, so it does not apply)", IgnoreDirective, at)
		}
		kept = append(kept, f)
	}
	return kept, suppressed, nil
}

// addToInventory records RBAC objects, ServiceAccounts and the Jobs that run kubectl, and says
// whether the object must wait for the whole inventory before it is evaluated.
func addToInventory(inv *rbac.Inventory, o Object) (later bool, _ *InputError) {
	ref := policies.ObjectRefOf(o.Value)
	if !rbac.Relevant(ref.APIVersion, ref.Kind) {
		return false, nil
	}
	workload := ref.Kind == "Job" || ref.Kind == "CronJob"
	if workload && !rbac.MentionsKubectl(o.Value) {
		return false, nil
	}
	if _, err := inv.Add(o.Value); err != nil {
		// The object does not decode as its kind; the rules still see it as it is.
		return false, &InputError{File: o.File, Line: o.Line, Message: fmt.Sprintf("%s %s: %v", ref.Kind, ref.Name, err)}
	}
	return ref.Kind != "ServiceAccount", nil
}
