// Package benchcorpus writes generated corpora of Jobs, CronJobs and RBAC objects for lint
// benchmarks: lint's BenchmarkLint and hack/benchlint (make bench).
package benchcorpus

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Mix is the make-up of a corpus.
type Mix int

const (
	// Thirds is BenchmarkLint's corpus since it was written: a third each CronJobs (two
	// containers running kubectl through sh -c, env, resources; their ServiceAccount has no RBAC
	// in the corpus), Jobs and namespaced Roles (three rules). Every object has findings.
	Thirds Mix = iota
	// Realistic repeats a block of ten objects shaped after the real manifests of
	// ../shared/corpus (where half of the Jobs, CronJobs and RBAC objects are RBAC):
	//
	//   - two application CronJobs (report, backup; env, envFrom, volumes, resources,
	//     securityContext): the report one lacks its deadlines and concurrency policy and uses a
	//     latest tag in one block out of four; the backup one has a literal PGPASSWORD in one
	//     block out of four (which secret-in-env's name pattern does not catch);
	//   - one operations CronJob that runs kubectl through sh -c as its own ServiceAccount;
	//   - two Jobs (a migration with an init container, a seed Job), one clean;
	//   - the operations CronJob's ServiceAccount, Role and RoleBinding: the Role lacks the patch
	//     the script needs in every other block (rbac-insufficient), and grants more than it
	//     needs in all (rbac-overbroad);
	//   - a ClusterRole (read-only; pods/exec in one block out of four, secrets in another) and
	//     its ClusterRoleBinding to a monitoring ServiceAccount that no workload in the corpus uses.
	//
	// Documents are 200 to 1,400 bytes; about one object in three has findings (as in
	// ../shared/corpus): 1.15 findings per object, most of them rbac-overbroad warnings.
	Realistic
)

func (m Mix) String() string {
	if m == Realistic {
		return "realistic"
	}
	return "thirds"
}

// DocsPerFile is how many documents each file of a corpus holds.
const DocsPerFile = 100

// Stats describes a written corpus.
type Stats struct {
	Objects, Files int
	Bytes          int64
	// Largest is the size of the largest document, in bytes.
	Largest int
	// Kinds counts the objects of each kind.
	Kinds map[string]int
}

// KindsString lists the kinds and their counts, largest first.
func (s Stats) KindsString() string {
	kinds := make([]string, 0, len(s.Kinds))
	for k := range s.Kinds {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int {
		if s.Kinds[a] != s.Kinds[b] {
			return s.Kinds[b] - s.Kinds[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d", k, s.Kinds[k])
	}
	return strings.Join(parts, ", ")
}

// Write writes n objects of the mix into dir, in files of DocsPerFile documents
// (part-NNNNN.yaml).
func Write(dir string, n int, mix Mix) (Stats, error) {
	st := Stats{Kinds: map[string]int{}}
	var file strings.Builder
	flush := func(i int) error {
		if file.Len() == 0 {
			return nil
		}
		st.Files++
		st.Bytes += int64(file.Len())
		err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%05d.yaml", i)), []byte(file.String()), 0o644)
		file.Reset()
		return err
	}
	for i := range n {
		var kind, doc string
		if mix == Realistic {
			kind, doc = realistic(i)
		} else {
			kind, doc = thirds(i)
		}
		file.WriteString("---\n")
		file.WriteString(doc)
		st.Objects++
		st.Kinds[kind]++
		st.Largest = max(st.Largest, len(doc)+len("---\n"))
		if i%DocsPerFile == DocsPerFile-1 {
			if err := flush(i); err != nil {
				return st, err
			}
		}
	}
	return st, flush(n)
}

func thirds(i int) (kind, doc string) {
	switch i % 3 {
	case 0:
		return "CronJob", fmt.Sprintf(cronJob, i, i%2 == 0, i%60)
	case 1:
		return "Job", fmt.Sprintf(job, i, i%4)
	}
	return "Role", fmt.Sprintf(role, i)
}

// The documents of Thirds. CronJob, Job and Role are also what lint's BenchmarkDecode and
// BenchmarkEvaluate measure, one object at a time.
const (
	cronJob = `apiVersion: batch/v1
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

	job = `apiVersion: batch/v1
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

	role = `apiVersion: rbac.authorization.k8s.io/v1
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
)

// Sample returns one document of each kind of Thirds (CronJob, Job, Role), for benchmarks of a
// single object.
func Sample(kind string) string {
	switch kind {
	case "CronJob":
		return fmt.Sprintf(cronJob, 1, false, 1)
	case "Job":
		return fmt.Sprintf(job, 1, 1)
	case "Role":
		return fmt.Sprintf(role, 1)
	}
	return ""
}

// realistic returns object i of the Realistic mix: slot i%10 of block i/10.
func realistic(i int) (kind, doc string) {
	b := i / 10
	ns := fmt.Sprintf("team-%d", b%50)
	switch i % 10 {
	case 0:
		// A report CronJob: clean in three blocks out of four; otherwise no deadlines, no
		// concurrency policy and a latest tag.
		extra, tag := "\n  concurrencyPolicy: Forbid\n  startingDeadlineSeconds: 300", "4.2.1"
		deadline := "\n      activeDeadlineSeconds: 1800"
		if b%4 == 3 {
			extra, tag, deadline = "", "latest", ""
		}
		return "CronJob", fmt.Sprintf(reportCronJob, b, ns, b%60, extra, deadline, tag)
	case 1:
		// A backup CronJob: the database password as a literal in one block out of four
		// (secret-in-env does not flag PGPASSWORD: its pattern wants a separator before PASSWORD).
		password := "{name: PGPASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}"
		if b%4 == 1 {
			password = "{name: PGPASSWORD, value: s3cr3t-backup}"
		}
		return "CronJob", fmt.Sprintf(backupCronJob, b, ns, b%24, password)
	case 2:
		return "CronJob", fmt.Sprintf(opsCronJob, b, ns, b%60, b, b, b)
	case 3:
		// A migration Job: no ttlSecondsAfterFinished in every other block.
		ttl := "\n  ttlSecondsAfterFinished: 86400"
		if b%2 == 1 {
			ttl = ""
		}
		return "Job", fmt.Sprintf(migrateJob, b, ns, ttl)
	case 4:
		return "Job", fmt.Sprintf(seedJob, b, ns)
	case 5:
		return "ServiceAccount", fmt.Sprintf(serviceAccount, b, ns)
	case 6:
		verbs := `["get", "list", "patch"]`
		if b%2 == 1 {
			verbs = `["get", "list"]` // the rollout restart needs patch: rbac-insufficient
		}
		return "Role", fmt.Sprintf(opsRole, b, ns, verbs)
	case 7:
		return "RoleBinding", fmt.Sprintf(opsRoleBinding, b, ns, b, b, ns)
	case 8:
		extra := ""
		switch b % 4 {
		case 1:
			extra = "\n  - apiGroups: [\"\"]\n    resources: [\"pods/exec\"]\n    verbs: [\"create\"]"
		case 2:
			extra = "\n  - apiGroups: [\"\"]\n    resources: [\"secrets\"]\n    verbs: [\"get\", \"list\", \"watch\"]"
		}
		return "ClusterRole", fmt.Sprintf(readerClusterRole, b, extra)
	}
	return "ClusterRoleBinding", fmt.Sprintf(readerClusterRoleBinding, b, b)
}

// The documents of Realistic.
const (
	reportCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: report-%d
  namespace: %s
  labels:
    app.kubernetes.io/name: report
    app.kubernetes.io/component: batch
    app.kubernetes.io/part-of: analytics
spec:
  schedule: "%d 6 * * 1-5"
  timeZone: Europe/Berlin%s
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 5
  jobTemplate:
    spec:
      backoffLimit: 2%s
      template:
        metadata:
          labels: {app.kubernetes.io/name: report}
        spec:
          restartPolicy: OnFailure
          securityContext: {runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001}
          containers:
            - name: report
              image: registry.example.com/analytics/report:%s
              args: ["--period", "weekly", "--output", "/reports"]
              envFrom:
                - configMapRef: {name: report-settings}
              env:
                - {name: LOG_LEVEL, value: info}
                - {name: SMTP_HOST, value: smtp.example.com}
              resources:
                requests: {cpu: 200m, memory: 256Mi}
                limits: {memory: 512Mi}
              volumeMounts:
                - {name: reports, mountPath: /reports}
          volumes:
            - name: reports
              emptyDir: {sizeLimit: 1Gi}
`

	backupCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup-%d
  namespace: %s
  labels: {app.kubernetes.io/name: backup, app.kubernetes.io/part-of: data}
spec:
  schedule: "30 %d * * *"
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 600
  jobTemplate:
    spec:
      activeDeadlineSeconds: 3600
      backoffLimit: 1
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: pg-dump
              image: postgres:16.4
              command: ["/bin/sh", "-c"]
              args:
                - pg_dump --format=custom --file=/backup/db-$(date +%%F).dump && find /backup -mtime +7 -delete
              env:
                - {name: PGHOST, value: db}
                - {name: PGUSER, value: backup}
                - %s
              resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 1Gi}}
              volumeMounts: [{name: backup, mountPath: /backup}]
          volumes:
            - name: backup
              persistentVolumeClaim: {claimName: db-backup}
`

	opsCronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: restart-web-%d
  namespace: %s
  labels: {app.kubernetes.io/name: restart-web, app.kubernetes.io/part-of: platform}
  annotations: {owner: platform-team}
spec:
  schedule: "%d 3 * * *"
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 300
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      activeDeadlineSeconds: 900
      backoffLimit: 0
      template:
        spec:
          serviceAccountName: ops-%d
          restartPolicy: Never
          containers:
            - name: restart
              image: bitnami/kubectl:1.36.3
              command:
                - /bin/sh
                - -c
                - |
                  set -eu
                  kubectl rollout restart deployment/web-%d
                  kubectl rollout status deployment/web-%d --timeout=10m
              resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 64Mi}}
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
`

	migrateJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate-%d
  namespace: %s
  labels: {app.kubernetes.io/name: migrate, app.kubernetes.io/version: 2.4.1}
spec:%s
  activeDeadlineSeconds: 1200
  backoffLimit: 3
  template:
    metadata:
      labels: {app.kubernetes.io/name: migrate}
    spec:
      restartPolicy: OnFailure
      initContainers:
        - name: wait-for-db
          image: busybox:1.36
          command: ["sh", "-c", "until nc -z db 5432; do sleep 2; done"]
      containers:
        - name: migrate
          image: registry.example.com/shop/migrate:2.4.1
          args: ["--database", "postgres://db:5432/shop", "--steps", "all"]
          env:
            - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
`

	seedJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: seed-%d
  namespace: %s
spec:
  ttlSecondsAfterFinished: 3600
  activeDeadlineSeconds: 600
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: seed
          image: registry.example.com/shop/seed:1.0.3
          args: ["--fixtures", "/data/fixtures.sql"]
          resources: {requests: {cpu: 50m, memory: 64Mi}}
`

	serviceAccount = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ops-%d
  namespace: %s
  labels: {app.kubernetes.io/part-of: platform}
`

	opsRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ops-%d
  namespace: %s
  labels: {app.kubernetes.io/part-of: platform}
rules:
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: %s
  - apiGroups: ["apps"]
    resources: ["replicasets"]
    verbs: ["get", "list", "watch"]
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["get", "list", "watch"]
`

	opsRoleBinding = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ops-%d
  namespace: %s
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: ops-%d
subjects:
  - kind: ServiceAccount
    name: ops-%d
    namespace: %s
`

	readerClusterRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader-%d
  labels: {app.kubernetes.io/part-of: monitoring}
rules:
  - apiGroups: [""]
    resources: ["pods", "services", "endpoints", "configmaps", "nodes"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["apps"]
    resources: ["deployments", "statefulsets", "daemonsets", "replicasets"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["batch"]
    resources: ["jobs", "cronjobs"]
    verbs: ["get", "list", "watch"]
  - nonResourceURLs: ["/metrics", "/healthz"]
    verbs: ["get"]%s
`

	readerClusterRoleBinding = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: reader-%d
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: reader-%d
subjects:
  - kind: ServiceAccount
    name: monitor
    namespace: monitoring
`
)
