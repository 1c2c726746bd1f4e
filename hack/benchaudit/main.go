// Command benchaudit measures `jobguard audit -A` as a user runs it, against a real API server:
// it starts kube-apiserver and etcd with envtest (from $KUBEBUILDER_ASSETS, which
// hack/envtest-binaries.sh prints), creates a generated cluster (internal/benchcorpus's Realistic
// mix: half of the objects Jobs and CronJobs, two fifths RBAC, a tenth ServiceAccounts, in 50
// namespaces), then runs the jobguard binary through a kubeconfig and prints the wall time, CPU
// time and peak RSS of each run, and the report's summary.
//
//	KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh) go run ./hack/benchaudit
//	KUBEBUILDER_ASSETS=... go run ./hack/benchaudit -objects 20000 -runs 5 -jobguard bin/jobguard
//
// Run it from the repository root. The API server and etcd run on the same machine as the audit,
// so they compete with it for CPU (in a real cluster they are elsewhere); the figures include
// every list request.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/jobguard/jobguard/internal/benchcorpus"
	"github.com/jobguard/jobguard/internal/procstat"
)

func main() {
	objects := flag.Int("objects", 10000, "objects to create (Realistic mix: 10,000 = 5,000 Jobs and CronJobs, 4,000 RBAC objects, 1,000 ServiceAccounts)")
	runs := flag.Int("runs", 3, "audits to run; each is printed, then the median by wall time")
	binary := flag.String("jobguard", "", "jobguard binary (default: build ./cmd/jobguard)")
	workers := flag.Int("create-workers", 16, "concurrent create requests while filling the cluster")
	flag.BoolVar(&showStderr, "stderr", false, "pass the audit's standard error through (with GODEBUG=gctrace=1: the heap after each collection)")
	flag.Parse()
	if err := run(*objects, *runs, *binary, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "benchaudit:", err)
		os.Exit(1)
	}
}

func run(objects, runs int, binary string, workers int) error {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return errors.New("KUBEBUILDER_ASSETS is not set: KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh) go run ./hack/benchaudit")
	}
	work, err := os.MkdirTemp("", "jobguard-benchaudit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if binary == "" {
		built := filepath.Join(work, "jobguard")
		cmd := exec.Command("go", "build", "-o", built, "./cmd/jobguard")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/jobguard (run from the repository root, or give -jobguard): %w", err)
		}
		binary = built
	}

	logf.SetLogger(logr.Discard()) // envtest's own logs
	env := &envtest.Environment{UseExistingCluster: ptr.To(false), BinaryAssetsDirectory: assets, ControlPlaneStartTimeout: time.Minute, ControlPlaneStopTimeout: time.Minute}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("starting envtest: %w", err)
	}
	defer env.Stop()
	cfg.QPS, cfg.Burst = 5000, 10000
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}

	corpus := filepath.Join(work, "corpus")
	if err := os.Mkdir(corpus, 0o755); err != nil {
		return err
	}
	stats, err := benchcorpus.Write(corpus, objects, benchcorpus.Realistic)
	if err != nil {
		return err
	}
	start := time.Now()
	created, err := fill(client, corpus, workers)
	if err != nil {
		return err
	}
	fmt.Printf("cluster: %d objects created in %s (%s)\n", created, time.Since(start).Round(time.Millisecond), stats.KindsString())

	user, err := env.AddUser(envtest.User{Name: "benchaudit", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "kubeconfig"), kubeconfig, 0o600); err != nil {
		return err
	}
	var results []result
	for i := range runs {
		r, err := audit(binary, work)
		if err != nil {
			return err
		}
		fmt.Printf("run %d: wall %s, cpu %s, peak RSS %.1f MiB, %s\n", i+1, r.wall.Round(time.Millisecond), r.cpu.Round(time.Millisecond), float64(r.maxRSS)/(1<<20), r.summary)
		results = append(results, r)
	}
	slices.SortFunc(results, func(a, b result) int { return int(a.wall - b.wall) })
	m := results[len(results)/2]
	fmt.Printf("median of %d: wall %s, cpu %s, peak RSS %.1f MiB (target: under 30s)\n", runs, m.wall.Round(time.Millisecond), m.cpu.Round(time.Millisecond), float64(m.maxRSS)/(1<<20))

	// The same objects as files: lint and audit run one engine, so the counts agree unless the
	// API server's defaults change a finding.
	lintSummary, err := lintCorpus(binary, work, corpus)
	if err != nil {
		return err
	}
	fmt.Printf("jobguard lint on the same objects as files: %s\n", lintSummary)
	return nil
}

// fill creates every object of the corpus files in dir, namespaces first.
func fill(client dynamic.Interface, dir string, workers int) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return 0, err
	}
	var objs []*unstructured.Unstructured
	namespaces := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return 0, fmt.Errorf("%s: %w", f, err)
			}
			if len(u.Object) == 0 {
				continue
			}
			objs = append(objs, u)
			if ns := u.GetNamespace(); ns != "" {
				namespaces[ns] = true
			}
		}
	}
	ctx := context.Background()
	nsResource := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	for ns := range namespaces {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
		if _, err := client.Resource(nsResource).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			return 0, err
		}
	}
	work := make(chan *unstructured.Unstructured)
	var created atomic.Int64
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for u := range work {
				gvr := resourceOf(u)
				var ri dynamic.ResourceInterface = client.Resource(gvr)
				if ns := u.GetNamespace(); ns != "" {
					ri = client.Resource(gvr).Namespace(ns)
				}
				if _, err := ri.Create(ctx, u, metav1.CreateOptions{}); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err))
					mu.Unlock()
					continue
				}
				created.Add(1)
			}
		})
	}
	for _, u := range objs {
		work <- u
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		return int(created.Load()), fmt.Errorf("%d objects not created, the first: %w", len(errs), errs[0])
	}
	return int(created.Load()), nil
}

// resourceOf maps the corpus's kinds to their resources.
func resourceOf(u *unstructured.Unstructured) schema.GroupVersionResource {
	gv, _ := schema.ParseGroupVersion(u.GetAPIVersion())
	return gv.WithResource(strings.ToLower(u.GetKind()) + "s")
}

// showStderr: -stderr.
var showStderr bool

type result struct {
	wall, cpu time.Duration
	maxRSS    int64
	summary   string
}

// audit runs `jobguard audit -A -o json` in dir (its kubeconfig; no .jobguard.yaml there) and
// keeps the report's summary.
func audit(binary, dir string) (result, error) {
	var r result
	cmd := exec.Command(binary, "audit", "--kubeconfig", "kubeconfig", "-A", "-o", "json", "--fail-on", "none")
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if showStderr {
		cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return r, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	var report struct {
		Summary json.RawMessage `json:"summary"`
	}
	decodeErr := json.NewDecoder(bufio.NewReaderSize(out, 1<<20)).Decode(&report)
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return r, fmt.Errorf("jobguard audit: %w: %s", err, stderr.String())
	}
	r.wall = time.Since(start)
	if decodeErr != nil {
		return r, fmt.Errorf("reading the JSON report: %w", decodeErr)
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, report.Summary)
	r.summary = compact.String()
	r.cpu, r.maxRSS = procstat.Usage(cmd.ProcessState)
	return r, nil
}

// lintCorpus runs `jobguard lint -o json` on the corpus and returns its summary.
func lintCorpus(binary, dir, corpus string) (string, error) {
	cmd := exec.Command(binary, "lint", "-o", "json", "--fail-on", "none", corpus)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("jobguard lint: %w", err)
	}
	var report struct {
		Summary json.RawMessage `json:"summary"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		return "", err
	}
	var compact bytes.Buffer
	err = json.Compact(&compact, report.Summary)
	return compact.String(), err
}
