package lint_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

// writeCorpus writes n objects (a third each Jobs, CronJobs and RBAC) of realistic size into
// files of 100 documents, some with mistakes, and returns the directory.
func writeCorpus(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	var doc strings.Builder
	flush := func(i int) {
		if doc.Len() == 0 {
			return
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%05d.yaml", i)), []byte(doc.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		doc.Reset()
	}
	for i := range n {
		doc.WriteString("---\n")
		switch i % 3 {
		case 0:
			fmt.Fprintf(&doc, benchCronJob, i, i%2 == 0, i%60)
		case 1:
			fmt.Fprintf(&doc, benchJob, i, i%4)
		case 2:
			fmt.Fprintf(&doc, benchRole, i)
		}
		if i%100 == 99 {
			flush(i)
		}
	}
	flush(n)
	return dir
}

const benchCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: restart-%d
  namespace: ops
  labels: {app.kubernetes.io/name: restart, app.kubernetes.io/part-of: platform}
spec:
  schedule: "0 */2 * * *"
  suspend: %t
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          serviceAccountName: restarter
          restartPolicy: Never
          containers:
            - name: scale-down
              image: bitnami/kubectl:1.36.3
              command: ["/bin/sh", "-c", "kubectl scale deployment web -n shop --replicas=0"]
              resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 64Mi}}
            - name: flush
              image: bitnami/kubectl:latest
              command: ["/bin/sh", "-c", "kubectl exec redis-%d -n redis -- redis-cli flushall"]
              env:
                - {name: LOG_LEVEL, value: info}
                - {name: REDIS_PASSWORD, valueFrom: {secretKeyRef: {name: redis, key: password}}}
`

const benchJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate-%d
  namespace: shop
spec:
  ttlSecondsAfterFinished: 86400
  completions: %d
  template:
    metadata:
      labels: {app: migrate}
    spec:
      restartPolicy: OnFailure
      containers:
        - name: migrate
          image: registry.example.com/shop/migrate:2.4.1
          args: ["--database", "postgres://db:5432/shop", "--steps", "all"]
          env:
            - {name: DB_PASSWORD, value: not-a-good-idea}
          resources: {requests: {cpu: 100m, memory: 128Mi}}
`

const benchRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: restarter-%d
  namespace: shop
rules:
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["get", "list"]
  - apiGroups: ["apps"]
    resources: ["deployments/scale"]
    resourceNames: ["web"]
    verbs: ["patch"]
  - apiGroups: [""]
    resources: ["pods/exec"]
    verbs: ["create"]
`

// BenchmarkLint lints a generated corpus with every built-in rule on, reading and parsing
// included, and reports objects per second.
func BenchmarkLint(b *testing.B) {
	for _, n := range []int{3000} {
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) {
			dir := writeCorpus(b, n)
			engine, err := policies.New()
			if err != nil {
				b.Fatal(err)
			}
			linter := lint.New(engine)
			defer debug.SetGCPercent(debug.SetGCPercent(400)) // as cmd/jobguard runs
			b.ResetTimer()
			for b.Loop() {
				report, err := linter.Lint(context.Background(), []string{dir})
				if err != nil {
					b.Fatal(err)
				}
				if report.Objects != n || len(report.InputErrors) > 0 {
					b.Fatalf("linted %d objects with %d input errors, want %d and none", report.Objects, len(report.InputErrors), n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// BenchmarkDecode and BenchmarkEvaluate split BenchmarkLint's time between reading and rules.
func BenchmarkDecode(b *testing.B) {
	data := []byte(fmt.Sprintf(benchCronJob, 1, false, 1))
	for b.Loop() {
		if _, errs := lint.Decode("f.yaml", data); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	engine, err := policies.New()
	if err != nil {
		b.Fatal(err)
	}
	for name, src := range map[string]string{
		"CronJob": fmt.Sprintf(benchCronJob, 1, false, 1),
		"Job":     fmt.Sprintf(benchJob, 1, 1),
		"Role":    fmt.Sprintf(benchRole, 1),
	} {
		objs, _ := lint.Decode("f.yaml", []byte(src))
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := engine.Evaluate(context.Background(), objs[0].Value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPreCommit is a pre-commit run on one file: compiling the rules included, as the
// CLI does on every start.
func BenchmarkPreCommit(b *testing.B) {
	file := filepath.Join("..", "testdata", "seeds", "000-restart-cronjob.yaml")
	for b.Loop() {
		engine, err := policies.New()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := lint.New(engine).Lint(context.Background(), []string{file}); err != nil {
			b.Fatal(err)
		}
	}
}
