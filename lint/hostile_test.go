//go:build unix

package lint_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// The inputs of TestHostileInputs, and what a linted directory holding all of them reports.

// billionLaughs expands to 10^7 values: refused at maxNodesPerDocument (10^6).
const billionLaughs = `apiVersion: v1
kind: ConfigMap
metadata: {name: laughs}
a: &a [x,x,x,x,x,x,x,x,x,x]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
`

// deepAliases nests anchors 9,000 levels deep in one another: 45,000 levels once expanded, which
// yaml.v3 (10,000 levels when parsing) does not see, with only 135,000 values.
func deepAliases() string {
	var b strings.Builder
	b.WriteString("x0: &x0 leaf\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, "x%d: &x%d %s*x%d%s\n", i, i, strings.Repeat("[", 9000), i-1, strings.Repeat("]", 9000))
	}
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\n")
	return b.String()
}

const goodJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: %s
spec:
  template:
    spec:
      containers: [{name: a, image: "busybox:1.36"}]
`

type hostileCase struct {
	file string // relative to the linted directory
	// want are substrings of the one InputError for file; line is its line (0: none, -1: any).
	want []string
	line int
}

// TestHostileInputs lints one directory holding every kind of bad input next to good files:
// each bad input gives one clear error naming it (and the line, where there is one), the good
// files are still linted, and nothing hangs or runs out of memory.
func TestHostileInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	symlink := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}

	write("good.yaml", fmt.Sprintf(goodJob, "good"))
	write("alias-bomb.yaml", billionLaughs)
	write("deep-flow.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: "+
		strings.Repeat("[", 100_000)+strings.Repeat("]", 100_000)+"\n")
	write("deep-block.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n"+strings.Repeat("- ", 20_000)+"x\n")
	write("deep-aliases.yaml", deepAliases())
	// yaml.v3 counts block and flow nesting apart, 10,000 levels each: 12,000 levels in all.
	write("deep-mixed.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n"+
		strings.Repeat("- ", 6000)+strings.Repeat("[", 6000)+strings.Repeat("]", 6000)+"\n")
	// yaml.v3 accepts an anchor inside its own value: endless once expanded (the converter used to
	// recurse a million calls deep, 512 MB of stack, before the alias bomb bound stopped it).
	write("self-reference.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: self}\ndata: &m {a: [*m]}\n")
	write("self-merge.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: self}\ndata: &m {<<: *m}\n")
	write("binary.yaml", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
	// The document before the NUL is read and checked: a Role, a kind rules check (a ConfigMap
	// would be read too, but skipped, not listed in report.Checked).
	write("nul.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: \x00}\n")
	write("latin1.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  city: M\xfcnchen\n")
	write("tabs.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabs\n")
	write("duplicate.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: dup}\nkind: CronJob\n")
	// Good documents around a bad one are all read.
	write("mixed.yaml", fmt.Sprintf(goodJob, "before")+"---\nkind: [unclosed\n---\n"+fmt.Sprintf(goodJob, "after"))
	// A directory with a manifest's name is walked like any other.
	write("dir.yaml/inside.yaml", fmt.Sprintf(goodJob, "inside"))
	symlink("does-not-exist.yaml", "dangling.yaml")
	symlink("loop.yaml", "loop.yaml")
	symlink("dir.yaml", "linked-dir.yaml")
	symlink("good.yaml", "linked-good.yaml") // followed, as before
	// Reading a named pipe blocks until something writes to it: lint would hang.
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []hostileCase{
		{"alias-bomb.yaml", []string{"more than 1000000 values through YAML aliases", "alias bomb"}, -1},
		{"deep-flow.yaml", []string{"not valid YAML", "exceeded max depth of 10000", "nests lists or mappings too deeply"}, 4},
		{"deep-block.yaml", []string{"not valid YAML", "exceeded max depth of 10000"}, 4},
		{"deep-mixed.yaml", []string{"more than 10000 levels deep"}, 5},
		{"deep-aliases.yaml", []string{"more than 10000 levels deep, counting what YAML aliases expand to"}, 2},
		{"self-reference.yaml", []string{"more than 10000 levels deep", "an anchor used inside its own value?"}, 4},
		{"self-merge.yaml", []string{"more than 10000 levels deep", "an anchor used inside its own value?"}, 4},
		{"binary.yaml", []string{"not valid UTF-8", "a binary file?"}, 1},
		{"nul.yaml", []string{"not valid YAML (control characters are not allowed)", "a binary file?"}, 7},
		{"latin1.yaml", []string{"not valid UTF-8"}, 5},
		{"tabs.yaml", []string{"not valid YAML", "tabs for indentation"}, 4},
		{"duplicate.yaml", []string{`duplicate key "kind" (first at line 2)`, "--- document separator missing"}, 4},
		{"mixed.yaml", []string{"not valid YAML"}, -1},
		{"dangling.yaml", []string{"symbolic link whose target cannot be read: no such file or directory"}, 0},
		{"loop.yaml", []string{"symbolic link whose target cannot be read", "too many levels of symbolic links"}, 0},
		{"linked-dir.yaml", []string{"symbolic link to a directory, which is not followed"}, 0},
		{"fifo.yaml", []string{"is a named pipe (FIFO), not a regular file; skipped"}, 0},
	}
	// Without root, a file without read permission is one more bad input (root reads anything).
	if os.Geteuid() != 0 {
		write("unreadable.yaml", fmt.Sprintf(goodJob, "secret"))
		if err := os.Chmod(filepath.Join(dir, "unreadable.yaml"), 0); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, hostileCase{"unreadable.yaml", []string{"cannot read: permission denied"}, 0})
	}

	report := lintWithin(t, 20*time.Second, []string{dir})

	byFile := map[string][]*lint.InputError{}
	for _, e := range report.InputErrors {
		rel, _ := filepath.Rel(dir, e.File)
		byFile[rel] = append(byFile[rel], e)
	}
	for _, c := range cases {
		errs := byFile[c.file]
		delete(byFile, c.file)
		if len(errs) != 1 {
			t.Errorf("%s: %d input errors %v, want one", c.file, len(errs), errs)
			continue
		}
		e := errs[0]
		t.Logf("%s: %s", c.file, e.Message)
		for _, w := range c.want {
			if !strings.Contains(e.Message, w) {
				t.Errorf("%s: %q does not say %q", c.file, e.Message, w)
			}
		}
		if c.line >= 0 && e.Line != c.line || c.line < 0 && e.Line < 1 {
			t.Errorf("%s: the error is on line %d, want %d", c.file, e.Line, c.line)
		}
	}
	for file, errs := range byFile {
		t.Errorf("%s: unexpected input errors %v", file, errs)
	}

	var checked []string
	for _, c := range report.Checked {
		rel, _ := filepath.Rel(dir, c.Position.File)
		checked = append(checked, rel+":"+c.Object.Name)
	}
	want := "dir.yaml/inside.yaml:inside good.yaml:good linked-good.yaml:good mixed.yaml:before mixed.yaml:after nul.yaml:a"
	if got := strings.Join(checked, " "); got != want {
		t.Errorf("checked %s\nwant    %s", got, want)
	}
}

// TestNamedPipeOnCommandLine: a pipe named on the command line is read, as `jobguard lint <(helm
// template ...)` needs; only pipes met while walking a directory are skipped.
func TestNamedPipeOnCommandLine(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		fmt.Fprintf(f, goodJob, "piped")
	}()
	report := lintWithin(t, 20*time.Second, []string{fifo})
	if report.Objects != 1 || len(report.InputErrors) > 0 {
		t.Errorf("%d objects, input errors %v; want the piped Job", report.Objects, report.InputErrors)
	}
}

// lintWithin lints paths with every built-in rule, failing the test if it takes longer than d
// (a hang, as reading a FIFO would).
func lintWithin(t *testing.T, d time.Duration, paths []string) *lint.Report {
	t.Helper()
	engine := hostileEngine(t)
	type result struct {
		report *lint.Report
		err    error
	}
	done := make(chan result, 1)
	go func() {
		r, err := lint.New(engine, lint.WithCheckedObjects(true)).Lint(context.Background(), paths)
		done <- result{r, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.report
	case <-time.After(d):
		t.Fatalf("lint did not finish in %s", d)
		return nil
	}
}

var (
	engineOnce sync.Once
	engine     *policies.Engine
	engineErr  error
)

func hostileEngine(t *testing.T) *policies.Engine {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = policies.New() })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

// TestFiftyMegabyteFile lints one 50 MB file of small documents (about 1 KB, a small real
// manifest) and measures the heap.
//
// Memory does not grow with the file: documents are read, decoded and evaluated one at a time
// (a document's yaml.Node tree, kept for positions, and its OPA value are about 10 times its
// size), and what the run keeps per object is its findings (on disk past 20,000 with
// WithSpillDir, see TestRetainedMemoryDoesNotGrowWithTheInput). The heap in use peaked at about
// 16x the file's size when a file was decoded whole; streamed, at 0.7x while every object's
// Report.Checked entry was kept, and at 0.2x (9 MB) now that it is kept only on request. The
// bound checked is 2x; the figure is logged.
func TestFiftyMegabyteFile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and lints 50 MB")
	}
	const size = 50 << 20
	dir := t.TempDir()
	path := filepath.Join(dir, "big.yaml")
	var b strings.Builder
	b.Grow(size + 4096)
	data := strings.Repeat("x", 100)
	n := 0
	for ; b.Len() < size; n++ {
		if n%1000 == 0 { // a few objects that rules check, to place findings in a big file
			fmt.Fprintf(&b, "---\n"+goodJob, fmt.Sprintf("job-%d", n))
			continue
		}
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-%d\n  namespace: apps\n  labels: {app: web, tier: frontend}\ndata:\n", n)
		for k := range 8 {
			fmt.Fprintf(&b, "  key-%d: %s\n", k, data)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	fileSize := b.Len()
	b = strings.Builder{}
	engine := hostileEngine(t)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := sampleHeap()
	start := time.Now()
	report, err := lint.New(engine).Lint(context.Background(), []string{path})
	took := time.Since(start)
	maxHeap := peak()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if report.Objects+report.Skipped != n || len(report.InputErrors) != 0 {
		t.Fatalf("%d objects checked and %d skipped, input errors %v; want %d objects in all", report.Objects, report.Skipped, report.InputErrors, n)
	}
	jobs := (n + 999) / 1000
	if len(report.Findings) < jobs || report.Findings[len(report.Findings)-1].Position.Line < 50_000 {
		t.Errorf("%d findings, the last at %v; want findings on the %d Jobs down to the end of the file",
			len(report.Findings), report.Findings[len(report.Findings)-1].Position, jobs)
	}
	growth := float64(maxHeap-before.HeapInuse) / float64(fileSize)
	t.Logf("%.1f MB, %d documents, linted in %s: heap in use peaked %.0f MB above the %.0f MB before (%.1fx the file), %.0f MB allocated in all",
		float64(fileSize)/(1<<20), n, took.Round(time.Millisecond), float64(maxHeap-before.HeapInuse)/(1<<20),
		float64(before.HeapInuse)/(1<<20), growth, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
	if growth > 2 {
		t.Errorf("heap in use grew by %.1fx the file's size, want at most 2x", growth)
	}
}

// sampleHeap samples HeapInuse every few milliseconds until the returned function is called,
// which returns the largest value seen.
func sampleHeap() (stop func() uint64) {
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-result
	}
}
