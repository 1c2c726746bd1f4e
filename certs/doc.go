/*
Package certs provides the TLS certificates of jobguard's admission webhook
server, in two modes.

Manual: Generate creates a self-signed ECDSA P-256 CA (10 years by default)
and a serving certificate signed by it (1 year by default) whose SANs are the
webhook Service's in-cluster DNS names (S, S.N, S.N.svc,
S.N.svc.cluster.local), localhost, 127.0.0.1 and ::1. Bundle.WriteDir writes
ca.crt, tls.crt and tls.key (and ca.key only on request), the names
controller-runtime's webhook server reads from its CertDir. The operator puts
ca.crt into the webhook configurations' caBundle and mounts tls.crt and
tls.key; NewCommand is the `jobguard certs generate` command that does this.

Self-managed: a Manager, run on every replica of the webhook server (a
controller-runtime Runnable without leader election), keeps a CA and a serving
certificate in one Secret of type kubernetes.io/tls (data keys ca.crt, ca.key,
tls.crt, tls.key), creating them when absent and reusing them while valid. It
writes tls.crt and tls.key into the webhook server's CertDir, where
controller-runtime's certwatcher reloads them without a restart, and patches
the CA bundle into clientConfig.caBundle of every webhook in a
ValidatingWebhookConfiguration and a MutatingWebhookConfiguration. It renews
the serving certificate once less than a third of its validity is left, and
rolls the CA over before it expires: the new CA joins the bundle first, the
serving certificate switches to it after a grace period, and the old CA leaves
the bundle after another. Replicas converge on one CA through optimistic
concurrency on the Secret: a replica whose write conflicts re-reads the Secret
and adopts what the winner wrote.

What it does not do: it is not cert-manager. It issues only the webhook's own
serving certificate from its own private CA; it does not use a public or
cluster CA, the CertificateSigningRequest API, ACME, client certificates or
RSA keys; it does not revoke certificates (nothing checks revocation for a
webhook); it does not create or own the Service or the webhook configurations
(it only patches caBundle into the ones it is given, leaving every other
field alone); and it does not restart the server: reloading the files is
certwatcher's job. A serving certificate provided by other means (such as
cert-manager's CA injector) needs neither mode.
*/
package certs
