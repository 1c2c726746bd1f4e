package certs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runCommand(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestGenerateCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out dir")
	out, err := runCommand(t, "generate", "--service", "jobguard-webhook", "--namespace", "jobguard", "--out", dir, "--days-valid", "30")
	if err != nil {
		t.Fatalf("generate: %v\n%s", err, out)
	}
	for _, want := range []string{
		filepath.Join(dir, "ca.crt"),
		filepath.Join(dir, "tls.crt"),
		filepath.Join(dir, "tls.key"),
		"jobguard-webhook.jobguard.svc.cluster.local",
		"base64 -w0 '" + filepath.Join(dir, "ca.crt") + "'",
		"kubectl -n jobguard create secret tls jobguard-webhook-tls",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.key")); !os.IsNotExist(err) {
		t.Error("ca.key written without --ca-key")
	}
	certPEM := readFile(t, filepath.Join(dir, "tls.crt"))
	cert := mustParseCert(t, certPEM)
	ca := mustParseCert(t, readFile(t, filepath.Join(dir, "ca.crt")))
	if d := cert.NotAfter.Sub(cert.NotBefore) - backdate; d != 30*24*time.Hour {
		t.Errorf("--days-valid 30 gave a validity of %v", d)
	}
	if err := cert.CheckSignatureFrom(ca); err != nil {
		t.Errorf("tls.crt not signed by ca.crt: %v", err)
	}

	// Existing files are kept without --force.
	if out, err := runCommand(t, "generate", "--service", "s", "--namespace", "n", "--out", dir); err == nil || !strings.Contains(err.Error(), "pass --force") {
		t.Errorf("second generate: %v\n%s", err, out)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, "tls.crt")), certPEM) {
		t.Error("tls.crt changed without --force")
	}
	if out, err := runCommand(t, "generate", "--service", "s", "--namespace", "n", "--out", dir, "--force", "--ca-key"); err != nil {
		t.Fatalf("generate --force: %v\n%s", err, out)
	}
	if m := fileMode(t, filepath.Join(dir, "ca.key")); m != 0o600 {
		t.Errorf("ca.key mode %o, want 600", m)
	}
}

func TestGenerateCommandErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--namespace", "n", "--out", t.TempDir()}, `required flag(s) "service" not set`},
		{[]string{"generate", "--service", "s", "--namespace", "n", "--out", t.TempDir(), "--days-valid", "0"}, "must be positive"},
		{[]string{"generate", "--service", "S", "--namespace", "n", "--out", t.TempDir()}, "invalid Service name"},
	} {
		if _, err := runCommand(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
