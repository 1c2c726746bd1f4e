package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/jobguard/jobguard/webhook"
)

// A Job without restartPolicy or ttlSecondsAfterFinished, as the API server sends it.
const exampleJob = `{
  "apiVersion": "batch/v1", "kind": "Job",
  "metadata": {"name": "migrate", "namespace": "default"},
  "spec": {"template": {"spec": {"containers": [{"name": "migrate", "image": "migrate/migrate:v4.17.0"}]}}}
}`

// The validating handler denies what the API server would reject or what can never work, and
// returns warnings for the rest.
func Example() {
	srv, err := webhook.New(webhook.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	resp := srv.Validator().Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "example",
		Operation: admissionv1.Create,
		Namespace: "default",
		Object:    runtime.RawExtension{Raw: []byte(exampleJob)},
	}})
	fmt.Println("allowed:", resp.Allowed, resp.Result.Code)
	fmt.Println(resp.Result.Message)
	for _, w := range resp.Warnings {
		fmt.Println("Warning:", w)
	}
	// Output:
	// allowed: false 403
	// [job-restart-policy] restartPolicy is not set, so it defaults to Always, which a Job does not accept; valid values: "OnFailure", "Never" (spec.template.spec.restartPolicy)
	// Warning: job-missing-ttl: standalone Job has no ttlSecondsAfterFinished: once finished, it and its pods stay until deleted by hand (spec.ttlSecondsAfterFinished)
}

// The mutating handler adds the defaults rules declare, as a JSON patch, on CREATE.
func ExampleServer_Mutator() {
	srv, err := webhook.New(webhook.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	resp := srv.Mutator().Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "example",
		Operation: admissionv1.Create,
		Namespace: "default",
		Object:    runtime.RawExtension{Raw: []byte(exampleJob)},
	}})
	patch, _ := json.Marshal(resp.Patches)
	fmt.Println(string(patch))
	fmt.Println("Warning:", resp.Warnings[0])
	// Output:
	// [{"op":"add","path":"/spec/ttlSecondsAfterFinished","value":86400}]
	// Warning: jobguard set spec.ttlSecondsAfterFinished=86400 (job-missing-ttl)
}

// Serving: the webhooks over TLS on :9443, /healthz and /readyz on :8081, /metrics on :8080,
// reloading .jobguard.yaml when it changes, until SIGTERM.
func ExampleServer_Start() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv, err := webhook.New(webhook.Options{
		ConfigFile: ".jobguard.yaml",
		CertDir:    "/etc/jobguard/tls", // tls.crt and tls.key
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		log.Fatal(err)
	}
}
