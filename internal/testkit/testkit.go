// Package testkit holds what jobguard's tests and test tools share: serving certificates for a
// webhook on loopback, free loopback addresses, manifests read as JSON documents, and objects
// the envtest tests create.
package testkit

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/jobguard/jobguard/certs"
)

// ServingCert writes a serving certificate for the jobguard-webhook Service and 127.0.0.1
// (certs.Generate with opts; ServiceName and Namespace default to jobguard-webhook and jobguard)
// as tls.crt and tls.key in dir, and returns a pool that trusts its CA.
func ServingCert(t testing.TB, dir string, opts certs.GenerateOptions) *x509.CertPool {
	t.Helper()
	if opts.ServiceName == "" {
		opts.ServiceName, opts.Namespace = "jobguard-webhook", "jobguard"
	}
	b, err := certs.Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b.CACert)
	return pool
}

// FreeAddr returns a loopback address whose port was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// JSONDocuments splits a YAML stream at its "---" separators, as kubectl does, and returns each
// document as JSON; empty documents are "null". At the first document that does not parse it
// returns the documents before it and an error naming it (counted from 0):
// tests of real manifests still use those.
func JSONDocuments(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, fmt.Errorf("document %d: %w", len(docs), err)
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return docs, fmt.Errorf("document %d: %w", len(docs), err)
		}
		docs = append(docs, j)
	}
}

// NeverFiresCronJob is a CronJob scheduled on February 30th and otherwise clean: the one finding
// jobguard reports on it is cron-schedule-never-runs (an error), which audits look for.
func NeverFiresCronJob(namespace, name string) *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: batchv1.CronJobSpec{
			Schedule: "0 0 30 2 *", ConcurrencyPolicy: batchv1.ForbidConcurrent, StartingDeadlineSeconds: ptr.To[int64](100),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				ActiveDeadlineSeconds: ptr.To[int64](60),
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "c", Image: "busybox:1.36"}},
				}},
			}},
		},
	}
}

// SyncBuffer is a bytes.Buffer that goroutines may write at once: a server's log in a test.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
