// Command benchlint measures `jobguard lint` as a user runs it: it writes generated corpora of
// Jobs, CronJobs and RBAC objects (internal/benchcorpus) into a temporary directory, runs the
// jobguard binary on each as a child process, and prints objects per second, wall time, CPU time
// and peak RSS per corpus, and the wall time of a pre-commit run on one file.
//
//	go run ./hack/benchlint                                  # builds ./cmd/jobguard; 3,000, 30,000 and 300,000 objects
//	go run ./hack/benchlint -jobguard bin/jobguard -sizes 3000,30000 -runs 3
//
// Run it from the repository root. The child gets the environment as it is: without GOGC the CLI
// runs with GOGC 400.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jobguard/jobguard/internal/benchcorpus"
	"github.com/jobguard/jobguard/internal/procstat"
)

func main() {
	binary := flag.String("jobguard", "", "jobguard binary to run (default: build ./cmd/jobguard into the temporary directory)")
	sizes := flag.String("sizes", "3000,30000,300000", "corpus sizes, in objects, comma-separated")
	mixName := flag.String("mix", "realistic", "corpus make-up: realistic, or thirds (BenchmarkLint's)")
	runs := flag.Int("runs", 1, "runs per corpus; the median by wall time is reported")
	precommit := flag.String("precommit", "testdata/seeds/000-restart-cronjob.yaml", "file for the pre-commit measurement (5 runs); empty to skip")
	tmp := flag.String("tmp", "", "where to write the corpora (default: the system's temporary directory)")
	keep := flag.Bool("keep", false, "keep the corpora and the built binary")
	flag.Parse()

	if err := run(*binary, *sizes, *mixName, *runs, *precommit, *tmp, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "benchlint:", err)
		os.Exit(1)
	}
}

func run(binary, sizeList, mixName string, runs int, precommit, tmp string, keep bool) error {
	var mix benchcorpus.Mix
	switch mixName {
	case "realistic":
		mix = benchcorpus.Realistic
	case "thirds":
		mix = benchcorpus.Thirds
	default:
		return fmt.Errorf("-mix %q: want realistic or thirds", mixName)
	}
	var sizes []int
	for s := range strings.SplitSeq(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(s, "_", "")))
		if err != nil || n < 1 {
			return fmt.Errorf("-sizes: %q is not a number of objects", s)
		}
		sizes = append(sizes, n)
	}
	work, err := os.MkdirTemp(tmp, "benchlint-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Printf("corpora and binary kept in %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	if binary == "" {
		if binary, err = build(work); err != nil {
			return err
		}
	}
	if binary, err = filepath.Abs(binary); err != nil {
		return err
	}

	fmt.Printf("jobguard: %s\nmachine: %d CPUs, %s/%s, %s; GOGC=%q GOMEMLIMIT=%q (the CLI sets GOGC 400 when GOGC is empty)\n",
		binary, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"))
	if precommit != "" {
		if err := measurePreCommit(binary, precommit); err != nil {
			return err
		}
	}

	fmt.Printf("\n%-9s %-6s %-9s %-11s %-9s %-10s %-9s %-10s %-9s %s\n",
		"objects", "files", "MB", "largest doc", "wall", "objects/s", "CPU", "CPU/object", "peak RSS", "load avg")
	for _, n := range sizes {
		dir := filepath.Join(work, fmt.Sprintf("corpus-%d", n))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		st, err := benchcorpus.Write(dir, n, mix)
		if err != nil {
			return err
		}
		var results []result
		for range runs {
			r, err := lint(binary, work, dir)
			if err != nil {
				return fmt.Errorf("%d objects: %w", n, err)
			}
			results = append(results, r)
		}
		slices.SortFunc(results, func(a, b result) int { return cmp.Compare(a.wall, b.wall) })
		r := results[len(results)/2]
		fmt.Printf("%-9d %-6d %-9.1f %-11s %-9s %-10.0f %-9s %-10s %-9s %s\n",
			n, st.Files, float64(st.Bytes)/1e6, fmt.Sprintf("%d B", st.Largest), r.wall.Round(time.Millisecond),
			float64(n)/r.wall.Seconds(), r.cpu.Round(time.Millisecond), (r.cpu / time.Duration(n)).Round(time.Microsecond),
			fmt.Sprintf("%.0f MiB", float64(r.maxRSS)/(1<<20)), r.load)
		if len(results) > 1 {
			var walls []string
			for _, x := range results {
				walls = append(walls, fmt.Sprintf("%s/%.0f MiB", x.wall.Round(time.Millisecond), float64(x.maxRSS)/(1<<20)))
			}
			fmt.Printf("          runs: %s\n", strings.Join(walls, ", "))
		}
		fmt.Printf("          %s; exit %d; JSON report %.1f MB, summary %s\n", st.KindsString(), r.exit, float64(r.outBytes)/1e6, r.summary)
		if !keep {
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// build compiles ./cmd/jobguard and copies the result: a freshly linked file is mapped in larger
// page-cache folios and shows about 20 MiB more RSS than a copy (BENCHMARKS.md, Webhook, RSS).
func build(work string) (string, error) {
	built := filepath.Join(work, "jobguard.build")
	cmd := exec.Command("go", "build", "-o", built, "./cmd/jobguard")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/jobguard (run benchlint from the repository root, or give -jobguard): %w", err)
	}
	data, err := os.ReadFile(built)
	if err != nil {
		return "", err
	}
	binary := filepath.Join(work, "jobguard")
	if err := os.WriteFile(binary, data, 0o755); err != nil {
		return "", err
	}
	return binary, os.Remove(built)
}

type result struct {
	wall, cpu time.Duration
	maxRSS    int64 // bytes
	exit      int
	outBytes  int64
	summary   string
	load      string
}

// lint runs `jobguard lint -o json dir` in cwd (no .jobguard.yaml there or above) and reads the
// report as it comes, keeping only its summary.
func lint(binary, cwd, dir string) (result, error) {
	r := result{load: procstat.LoadAverage()}
	cmd := exec.Command(binary, "lint", "-o", "json", dir)
	cmd.Dir = cwd
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return r, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	counted := &counter{r: out}
	summary, parseErr := readSummary(bufio.NewReaderSize(counted, 1<<20))
	_, _ = io.Copy(io.Discard, counted)
	err = cmd.Wait()
	r.wall = time.Since(start)
	r.outBytes = counted.n
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return r, err
	}
	r.exit = cmd.ProcessState.ExitCode()
	if r.exit != 0 && r.exit != 1 { // 1: findings at or above --fail-on
		return r, fmt.Errorf("jobguard lint exited %d: %s", r.exit, lastLines(stderr.String(), 5))
	}
	if parseErr != nil {
		return r, fmt.Errorf("reading the JSON report: %w", parseErr)
	}
	r.summary = summary
	r.cpu, r.maxRSS = procstat.Usage(cmd.ProcessState)
	return r, nil
}

// readSummary reads the report's top-level keys up to "summary" and returns it, compact.
func readSummary(r io.Reader) (string, error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", fmt.Errorf("want an object, got %v (%v)", tok, err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "", err
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return "", err
		}
		if key == "summary" {
			var compact bytes.Buffer
			if err := json.Compact(&compact, value); err != nil {
				return "", err
			}
			return compact.String(), nil
		}
	}
	return "", errors.New("no summary")
}

type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// measurePreCommit lints one file 5 times, as a pre-commit hook does (the process starts, compiles
// the rules and lints), and prints the median and slowest wall time and the peak RSS.
func measurePreCommit(binary, file string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("-precommit: %w", err)
	}
	var walls []time.Duration
	var rss int64
	for range 5 {
		cmd := exec.Command(binary, "lint", abs)
		cmd.Dir = filepath.Dir(abs)
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		var exitErr *exec.ExitError
		if err != nil && (!errors.As(err, &exitErr) || exitErr.ExitCode() > 1) {
			return fmt.Errorf("pre-commit run on %s: %w", file, err)
		}
		walls = append(walls, wall)
		_, peak := procstat.Usage(cmd.ProcessState)
		rss = max(rss, peak)
	}
	slices.Sort(walls)
	fmt.Printf("pre-commit run on one file (%s), 5 runs: median %s, slowest %s, peak RSS %.0f MiB; load avg %s\n",
		file, walls[2].Round(time.Millisecond), walls[4].Round(time.Millisecond), float64(rss)/(1<<20), procstat.LoadAverage())
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
