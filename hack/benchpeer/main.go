// Command benchpeer times `jobguard lint` against `kube-linter lint` on the same inputs, as whole
// processes, run in turn (jobguard, kube-linter, jobguard, ...) so that both see the same machine:
// a pre-commit run on one file, ../shared/corpus, and a generated corpus (internal/benchcorpus).
// It prints each tool's median wall time, CPU time and peak RSS, and the ratio jobguard/kube-linter
// of the medians (issue 15's targets are ratios of wall time).
//
//	make bench-peer                       # builds both (hack/kube-linter-binary.sh), 10 runs each
//	go run ./hack/benchpeer -jobguard bin/jobguard -kube-linter PATH -runs 20
//
// With -baseline, the peer is another jobguard binary instead, an older commit's, for a speed-up
// measured side by side (BENCHMARKS.md: objects per second against the code before issue 15):
//
//	git worktree add /tmp/old a588d66 && (cd /tmp/old && go build -trimpath -ldflags='-s -w' -o /tmp/jobguard-old ./cmd/jobguard)
//	go run ./hack/benchpeer -baseline /tmp/jobguard-old -precommit '' -corpus '' -generated 30000 -runs 5
//
// Both run with their defaults: every jobguard rule, kube-linter's default checks, text output
// (read and thrown away). Run it from the repository root, with nothing else running.
package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jobguard/jobguard/internal/benchcorpus"
	"github.com/jobguard/jobguard/internal/procstat"
)

func main() {
	jobguard := flag.String("jobguard", "", "jobguard binary (default: build ./cmd/jobguard as `make build` does)")
	kubeLinter := flag.String("kube-linter", "", "kube-linter binary (required unless -baseline; hack/kube-linter-binary.sh builds one)")
	baseline := flag.String("baseline", "", "another jobguard binary (an older commit's) to run in kube-linter's place, with its defaults")
	runs := flag.Int("runs", 10, "counted runs of each tool on each input, after one warm-up run each")
	precommit := flag.String("precommit", "testdata/seeds/000-restart-cronjob.yaml", "file for the pre-commit run; empty to skip")
	corpus := flag.String("corpus", "../shared/corpus", "directory of real manifests; empty to skip")
	generated := flag.Int("generated", 3000, "objects in the generated corpus (benchcorpus.Realistic); 0 to skip")
	flag.Parse()
	peer := tool{name: "kube-linter", binary: *kubeLinter}
	if *baseline != "" {
		peer = tool{name: "baseline", binary: *baseline}
	}
	if err := run(*jobguard, peer, *runs, *precommit, *corpus, *generated); err != nil {
		fmt.Fprintln(os.Stderr, "benchpeer:", err)
		os.Exit(1)
	}
}

// tool is the program jobguard is measured against.
type tool struct{ name, binary string }

func run(jobguard string, peer tool, runs int, precommit, corpus string, generated int) error {
	if peer.binary == "" {
		return errors.New("-kube-linter or -baseline is required (hack/kube-linter-binary.sh prints the path of a kube-linter)")
	}
	if runs < 1 {
		return fmt.Errorf("-runs %d: want at least 1", runs)
	}
	work, err := os.MkdirTemp("", "benchpeer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if jobguard == "" {
		jobguard = filepath.Join(work, "jobguard")
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", jobguard, "./cmd/jobguard")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/jobguard (run benchpeer from the repository root, or give -jobguard): %w", err)
		}
	}
	described := peer.binary
	if peer.name == "kube-linter" {
		version, err := exec.Command(peer.binary, "version").Output()
		if err != nil {
			return fmt.Errorf("%s version: %w", peer.binary, err)
		}
		described += " (" + strings.TrimSpace(string(version)) + ")"
	}
	fmt.Printf("jobguard %s\n%s %s\nmachine: %d CPUs, %s/%s, %s; %d runs each, in turn, after one warm-up\n\n",
		jobguard, peer.name, described, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), runs)

	var inputs [][2]string // name, path
	if precommit != "" {
		inputs = append(inputs, [2]string{"pre-commit: one file", precommit})
	}
	if corpus != "" {
		inputs = append(inputs, [2]string{"real manifests: " + corpus, corpus})
	}
	if generated > 0 {
		dir := filepath.Join(work, "generated")
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		st, err := benchcorpus.Write(dir, generated, benchcorpus.Realistic)
		if err != nil {
			return err
		}
		inputs = append(inputs, [2]string{fmt.Sprintf("generated: %d objects, %d files", st.Objects, st.Files), dir})
	}

	fmt.Printf("%-44s %-11s %9s %9s %11s %5s   %s\n", "input", "tool", "wall", "CPU", "peak RSS", "exit", "load avg before")
	for _, in := range inputs {
		path, err := filepath.Abs(in[1])
		if err != nil {
			return err
		}
		if _, err := os.Stat(path); err != nil {
			return err
		}
		load := procstat.LoadAverage()
		var jg, other []usage
		for i := range runs + 1 {
			a, err := measure(jobguard, "lint", path)
			if err != nil {
				return err
			}
			b, err := measure(peer.binary, "lint", path)
			if err != nil {
				return err
			}
			if i > 0 { // the first pair warms the page cache
				jg, other = append(jg, a), append(other, b)
			}
		}
		a, b := median(jg), median(other)
		fmt.Printf("%-44s %-11s %9s %9s %7.0f MiB %5d   %s\n", in[0], "jobguard", a.wall.Round(time.Millisecond), a.cpu.Round(time.Millisecond), a.rssMiB, a.exit, load)
		fmt.Printf("%-44s %-11s %9s %9s %7.0f MiB %5d\n", "", peer.name, b.wall.Round(time.Millisecond), b.cpu.Round(time.Millisecond), b.rssMiB, b.exit)
		fmt.Printf("%-44s %-11s %9.2f %9.2f %11.2f\n", "", "ratio", a.wall.Seconds()/b.wall.Seconds(), a.cpu.Seconds()/b.cpu.Seconds(), a.rssMiB/b.rssMiB)
	}
	return nil
}

type usage struct {
	wall, cpu time.Duration
	rssMiB    float64
	exit      int
}

// measure runs one command to its end, its output read and thrown away, and returns its usage.
// Any exit code is a finished run (findings, or input errors in a corpus: its summary is printed
// with the figures); a signal or a failure to start is not.
func measure(binary string, args ...string) (usage, error) {
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	err := cmd.Run()
	u := usage{wall: time.Since(start)}
	var exitErr *exec.ExitError
	if err != nil && (!errors.As(err, &exitErr) || exitErr.ExitCode() < 0) {
		return u, fmt.Errorf("%s %s: %w", filepath.Base(binary), strings.Join(args, " "), err)
	}
	u.exit = cmd.ProcessState.ExitCode()
	var peak int64
	u.cpu, peak = procstat.Usage(cmd.ProcessState)
	u.rssMiB = float64(peak) / (1 << 20)
	return u, nil
}

// median takes each figure's median on its own.
func median(us []usage) usage {
	mid := func(f func(usage) float64) float64 {
		xs := make([]float64, len(us))
		for i, u := range us {
			xs[i] = f(u)
		}
		slices.SortFunc(xs, cmp.Compare)
		return xs[len(xs)/2]
	}
	return usage{
		exit:   us[0].exit,
		wall:   time.Duration(mid(func(u usage) float64 { return float64(u.wall) })),
		cpu:    time.Duration(mid(func(u usage) float64 { return float64(u.cpu) })),
		rssMiB: mid(func(u usage) float64 { return u.rssMiB }),
	}
}
