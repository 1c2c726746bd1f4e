// Package webhook serves jobguard's rules to the Kubernetes API server as admission webhooks.
//
// It is a thin adapter between controller-runtime's admission transport and the rule engine
// (package policies): it decodes the object of an AdmissionReview once into the engine's value
// type, evaluates it, and turns each finding into a response according to the finding's mode
// (config.Config.ModeFor):
//
//   - enforce: the request is denied (403) with every denying finding in the message, one per
//     line, as "[rule-id] message (field.path)";
//   - warn: the request is allowed with admission warnings "rule-id: message (field.path)",
//     which kubectl prints as "Warning: ...";
//   - audit: the finding is only logged and counted.
//
// On UPDATE, with webhook.updates: changes (the default), the old object is evaluated too, and a
// finding it had already (same rule, field path and value) never denies: it comes back as a
// warning that says so. A new Job whose controller is a CronJob is compared the same way with the
// Job the CronJob's jobTemplate makes (read through Options.Reader). rbac-insufficient asks the
// API server only about the kubectl requests the change introduces. See updates.go.
//
// The mutating webhook (/mutate) applies the fixes rules declare (spec.ttlSecondsAfterFinished on
// a standalone Job, and opt-in ones such as spec.concurrencyPolicy and
// spec.startingDeadlineSeconds on a CronJob) as a JSON patch of "add" operations, only on CREATE and only where the
// field is absent, and reports each as a warning. It evaluates only the rules that declare a fix
// (policies.FixRules): the validating webhook reports every finding.
//
// No rule logic lives here: which objects are checked, what is wrong with them, and which
// defaults fix them are all decided by the engine. Objects of kinds no rule checks, DELETE and
// CONNECT requests, subresource requests and objects in excluded namespaces are allowed
// unchanged. Dry-run requests are treated exactly like real ones: the webhooks have no side
// effects (sideEffects: None).
//
// [New] compiles the rules and returns a [Server] whose [Server.Validator] and [Server.Mutator]
// are admission.Handlers; [Server.Register] mounts them on any controller-runtime webhook.Server
// (a Manager's, or envtest's), and [Server.Start] runs jobguard's own servers: the TLS webhook
// server, a health server (/healthz, /readyz) and a Prometheus metrics server (/metrics, on a
// registry of its own). A [Reloader] swaps in a new configuration when its file changes and
// compiles; a bad one keeps the last good configuration.
//
// With a cluster connection, a [SubjectAccessReviewer] answers rbac-insufficient by asking the
// API server whether a Job's ServiceAccount may make the requests its kubectl commands make.
//
// What the package does not do: it does not generate or rotate certificates (package certs does)
// and holds no rule logic (package policies does).
package webhook
