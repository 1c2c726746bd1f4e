package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/jobguard/jobguard/audit"
	"github.com/jobguard/jobguard/lint/output"
	"github.com/jobguard/jobguard/policies"
)

type auditFlags struct {
	kubeconfig    string
	context       string
	namespace     string
	allNamespaces bool
	pageSize      int64
	bootstrapRBAC bool

	config      string
	outputs     []string
	failOn      string
	color       string
	kubeVersion policies.KubeVersion
	disable     []string
	policyDirs  []string
}

func newAuditCommand() *cobra.Command {
	f := auditFlags{kubeVersion: policies.DefaultKubeVersion}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the Jobs, CronJobs and RBAC already in a cluster",
		Long: `Check what is already in a cluster with the rules jobguard lint and the webhook use.

audit reads the kubeconfig as kubectl does (--kubeconfig, KUBECONFIG, ~/.kube/config; --context,
-n/--namespace, -A/--all-namespaces), lists Jobs, CronJobs, ServiceAccounts, Roles, RoleBindings,
ClusterRoles and ClusterRoleBindings page by page, and evaluates them together: rbac-insufficient
and rbac-overbroad are judged against the cluster's real RBAC, aggregated ClusterRoles included.
A Job that a CronJob controls is reported on its CronJob, once. The API server's own roles and
bindings (cluster-admin, system:*), which it restores on every start, judge the others but are
not reported unless --include-bootstrap-rbac.

Without -A, one namespace is audited (the context's, or -n's); the cluster-scoped RBAC is then
read to judge the namespace's objects but not reported itself. audit only reads: it needs get
and list on those kinds (deploy/audit/clusterrole.yaml).

Each finding names its object as namespace/Kind/name (Kind/name for cluster-scoped ones) where
lint names a file. Output formats, .jobguard.yaml, the jobguard.io/ignore annotation and the exit
codes are lint's:
  0  nothing at or above --fail-on was found
  1  findings at or above --fail-on
  2  usage error, or a kind that could not be listed (the others are still checked)`,
		Example: `  jobguard audit -A
  jobguard audit -n batch-jobs --fail-on warning
  jobguard audit --context prod -A -o json > audit.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAudit(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context to use (default: the current context)")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace to audit (default: the context's namespace, else default)")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "audit every namespace and the cluster-scoped RBAC")
	fl.BoolVar(&f.bootstrapRBAC, "include-bootstrap-rbac", false, "report the API server's own roles and bindings too (cluster-admin, system:*; labelled kubernetes.io/bootstrapping=rbac-defaults), which it restores on every start")
	fl.Int64Var(&f.pageSize, "page-size", audit.DefaultPageSize, "objects per list request")
	fl.StringArrayVarP(&f.outputs, "output", "o", []string{output.Text},
		"FORMAT, or FORMAT=PATH to write a file; repeat for several, at most one to standard output (formats: "+strings.Join(output.Names, ", ")+")")
	fl.StringVar(&f.failOn, "fail-on", string(policies.SeverityError), "exit 1 when a finding is at least this severe: error, warning, info, or none")
	fl.StringVar(&f.color, "color", "auto", "colour the text output: auto (on a terminal, unless NO_COLOR is set), always, never")
	fl.Var(kubeVersionFlag(&f.kubeVersion), "kube-version", "the Kubernetes version rules such as deprecated-api judge against (default: the configuration's, else the API server's)")
	fl.StringSliceVar(&f.disable, "disable", nil, "rule ids not to run (repeat or separate with commas)")
	fl.StringArrayVar(&f.policyDirs, "policy", nil, "directory of custom Rego rules to load beside the built-in ones (repeatable)")
	fl.StringVar(&f.config, "config", "", "configuration file (default: .jobguard.yaml in the current directory or the nearest parent)")
	return cmd
}

func runAudit(cmd *cobra.Command, f auditFlags) error {
	if f.allNamespaces && cmd.Flags().Changed("namespace") {
		return &exitError{exitUsage, fmt.Errorf("-n/--namespace and -A/--all-namespaces cannot be given together")}
	}
	cfg, threshold, color, err := reportSettings(cmd, f.config, f.failOn, f.color)
	if err != nil {
		return err
	}
	specs, err := output.ParseSpecs(f.outputs)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("-o: %w", err)}
	}

	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: f.context, Context: clientcmdapi.Context{Namespace: f.namespace}}
	kube := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	restConfig, err := kube.ClientConfig()
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("kubeconfig: %w", err)}
	}
	restConfig.QPS, restConfig.Burst = 50, 100 // a few list requests per kind; never a burst of writes
	restConfig.UserAgent = "jobguard-audit/" + buildVersion()
	namespace := ""
	if !f.allNamespaces {
		if namespace, _, err = kube.Namespace(); err != nil {
			return &exitError{exitUsage, fmt.Errorf("kubeconfig: %w", err)}
		}
	}

	extra, err := policyOptions(f.policyDirs)
	if err != nil {
		return err
	}
	extra = append(extra, policies.WithDisabled(f.disable...), policies.WithNamespace(namespace))
	switch {
	case cmd.Flags().Changed("kube-version"):
		extra = append(extra, policies.WithKubeVersion(f.kubeVersion))
	case cfg.KubeVersion == "":
		// Judge the cluster against its own release, as far as jobguard knows releases.
		if v, err := serverVersion(restConfig); err == nil {
			extra = append(extra, policies.WithKubeVersion(v))
		}
	}
	engine, err := cfg.NewEngine(extra...)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	client, err := dynamic.NewForConfig(restConfig)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("kubeconfig: %w", err)}
	}
	junit := slices.ContainsFunc(specs, func(s output.Spec) bool { return s.Format == output.JUnit })
	opts := []audit.Option{audit.WithPageSize(f.pageSize), audit.WithBootstrapRBAC(f.bootstrapRBAC), audit.WithCheckedObjects(junit), audit.WithCluster(clusterName(kube, f.context, restConfig))}
	if namespace != "" {
		opts = append(opts, audit.WithNamespace(namespace))
	}
	report, err := audit.New(engine, client, opts...).Audit(cmd.Context())
	if err != nil {
		return &exitError{exitUsage, err}
	}
	return writeReport(cmd, specs, report, output.Options{Color: color, Version: buildVersion()}, threshold)
}

// clusterName is how the report names the cluster: the context used, else the server's URL.
func clusterName(kube clientcmd.ClientConfig, context string, c *rest.Config) string {
	if context != "" {
		return context
	}
	if raw, err := kube.RawConfig(); err == nil && raw.CurrentContext != "" {
		return raw.CurrentContext
	}
	return c.Host
}
