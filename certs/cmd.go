package certs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// NewCommand returns the `certs` command with its `generate` subcommand, for
// jobguard's root command.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "certs",
		Short: "Create TLS certificates for the admission webhook",
		Long: `Create TLS certificates for the admission webhook server.

jobguard serve can also manage its certificates itself (a CA and serving certificate kept in a
Secret, renewed and injected into the webhook configurations); certs generate is the manual
alternative, for clusters where the operator provides the certificate.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newGenerateCommand())
	return cmd
}

type generateFlags struct {
	service       string
	namespace     string
	out           string
	clusterDomain string
	daysValid     int
	caDaysValid   int
	caKey         bool
	force         bool
}

func newGenerateCommand() *cobra.Command {
	var f generateFlags
	cmd := &cobra.Command{
		Use:   "generate --service NAME --namespace NS --out DIR",
		Short: "Write a CA and a serving certificate for the webhook Service",
		Long: `Write a new self-signed CA (ECDSA P-256) and a serving certificate signed by it into DIR:

  ca.crt   the CA certificate: the webhook configurations' caBundle is its base64
  tls.crt  the serving certificate, for SERVICE, SERVICE.NS, SERVICE.NS.svc,
           SERVICE.NS.svc.cluster.local, localhost, 127.0.0.1 and ::1
  tls.key  its private key (mode 0600)
  ca.key   the CA's private key, only with --ca-key (mode 0600)

tls.crt and tls.key are the file names the webhook server reads from its certificate directory.
DIR is created (mode 0700) if missing; existing files are kept unless --force is given.`,
		Example: `  jobguard certs generate --service jobguard-webhook --namespace jobguard --out ./certs
  base64 -w0 ./certs/ca.crt    # the caBundle`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(cmd.OutOrStdout(), f, time.Now)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.service, "service", "", "name of the webhook's Service (required)")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace of the webhook's Service (required)")
	fl.StringVar(&f.out, "out", "", "directory to write the files into (required)")
	fl.IntVar(&f.daysValid, "days-valid", int(DefaultCertValidity/(24*time.Hour)), "days the serving certificate is valid")
	fl.IntVar(&f.caDaysValid, "ca-days-valid", int(DefaultCAValidity/(24*time.Hour)), "days the CA is valid")
	fl.StringVar(&f.clusterDomain, "cluster-domain", DefaultClusterDomain, "the cluster's DNS domain")
	fl.BoolVar(&f.caKey, "ca-key", false, "also write the CA's private key to ca.key")
	fl.BoolVar(&f.force, "force", false, "overwrite existing files")
	for _, name := range []string{"service", "namespace", "out"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func runGenerate(w io.Writer, f generateFlags, now func() time.Time) error {
	if f.daysValid <= 0 || f.caDaysValid <= 0 {
		return errors.New("--days-valid and --ca-days-valid must be positive")
	}
	var opts []WriteOption
	if f.caKey {
		opts = append(opts, WithCAKey())
	}
	b, err := Generate(GenerateOptions{
		ServiceName:   f.service,
		Namespace:     f.namespace,
		ClusterDomain: f.clusterDomain,
		CAValidity:    time.Duration(f.caDaysValid) * 24 * time.Hour,
		CertValidity:  time.Duration(f.daysValid) * 24 * time.Hour,
		Now:           now,
	})
	if err != nil {
		return err
	}
	if !f.force {
		for _, p := range b.Files(f.out, opts...) {
			if _, err := os.Lstat(p); err == nil {
				return fmt.Errorf("%s exists: pass --force to overwrite it", p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	if err := b.WriteDir(f.out, opts...); err != nil {
		return err
	}

	caCerts, _, err := parseCerts(b.CACert)
	if err != nil {
		return err
	}
	srv, _, err := parseCerts(b.Cert)
	if err != nil {
		return err
	}
	date := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	dir := f.out
	fmt.Fprintf(w, "Wrote certificates for Service %s in namespace %s:\n", f.service, f.namespace)
	rows := [][2]string{
		{filepath.Join(dir, CACertName), "CA certificate, valid until " + date(caCerts[0].NotAfter)},
		{filepath.Join(dir, CertName), fmt.Sprintf("serving certificate for %s, localhost, 127.0.0.1, ::1; valid until %s",
			strings.Join(DNSNames(f.service, f.namespace, f.clusterDomain), ", "), date(srv[0].NotAfter))},
		{filepath.Join(dir, KeyName), "serving key (mode 0600)"},
	}
	if f.caKey {
		rows = append(rows, [2]string{filepath.Join(dir, CAKeyName), "CA key (mode 0600): keep it secret, or delete it if no further certificate is to be signed"})
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], r[1])
	}
	ca := shellQuote(filepath.Join(dir, CACertName))
	fmt.Fprintf(w, `
Next:
  1. Give the webhook server tls.crt and tls.key in its certificate directory, e.g. from a Secret:
       kubectl -n %[1]s create secret tls %[2]s-tls --cert=%[3]s --key=%[4]s
  2. Set clientConfig.caBundle of every webhook in the ValidatingWebhookConfiguration and the
     MutatingWebhookConfiguration to the base64 of ca.crt (on macOS: base64 -i %[5]s):
       base64 -w0 %[5]s
     e.g. for the first webhook of a configuration NAME:
       kubectl patch validatingwebhookconfiguration NAME --type=json \
         -p '[{"op":"add","path":"/webhooks/0/clientConfig/caBundle","value":"'"$(base64 -w0 %[5]s)"'"}]'
`, f.namespace, f.service, shellQuote(filepath.Join(dir, CertName)), shellQuote(filepath.Join(dir, KeyName)), ca)
	return nil
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe
// characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
