package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
	"github.com/jobguard/jobguard/policies/kubectl"
	"github.com/jobguard/jobguard/policies/rbac"
	"github.com/jobguard/jobguard/policies/workload"
)

func newRBACCommand(stdin io.Reader) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Work out the RBAC that Jobs and CronJobs need",
	}
	var (
		namespace   string
		kubeVersion policies.KubeVersion
		configPath  string
	)
	suggest := &cobra.Command{
		Use:   "suggest [PATH|-]...",
		Short: "Print the smallest RBAC that lets each Job's and CronJob's kubectl commands run",
		Long: `For each Job and CronJob, find every kubectl command its containers run (sh -c scripts
included), work out the API requests they make, and print ready-to-apply RBAC: a ServiceAccount of
its own (never default), a Role and RoleBinding in each namespace the commands touch, resourceNames
wherever the target is named literally, and a comment per rule naming the command that needs it.

The requests are those of the kubectl version each container's image pins (bitnami/kubectl:1.31.0)
against the cluster version of --kube-version or .jobguard.yaml's kubeVersion; where either is
unknown (an image tagged latest, no --kube-version), those that work for every version. A comment
says which version a rule assumed and why ("# kubectl 1.31 lists before it watches").

Commands jobguard cannot understand (kubectl apply -f "$FILE") are listed as comments to handle by
hand. Apply the output and set serviceAccountName in the pod template as its first comment says. A
last comment names the Roles, ClusterRoles and bindings of the input that no Job or CronJob of the
input needs once the output is applied, with the commands that delete them.`,
		Example: `  jobguard rbac suggest testdata/seeds/000-restart-cronjob.yaml
  jobguard rbac suggest --kube-version 1.36 cronjob.yaml | kubectl apply -f -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			opts := workload.Options{Namespace: namespace}
			switch {
			case cmd.Flags().Changed("kube-version"):
				opts.Cluster = kubectl.Version{Major: kubeVersion.Major, Minor: kubeVersion.Minor}
			case cfg.KubeVersion != "":
				v, _ := policies.ParseKubeVersion(cfg.KubeVersion) // checked by config.Load
				opts.Cluster = kubectl.Version{Major: v.Major, Minor: v.Minor}
			}
			return runSuggest(cmd.OutOrStdout(), stdin, args, opts)
		},
	}
	suggest.Flags().StringVarP(&namespace, "namespace", "n", workload.DefaultNamespace, "namespace of Jobs and CronJobs that name none, as kubectl -n")
	suggest.Flags().Var(kubeVersionFlag(&kubeVersion), "kube-version", "the Kubernetes version of the cluster the Jobs run in (kubectl's requests depend on it); default: .jobguard.yaml's kubeVersion, else unknown")
	suggest.Flags().StringVar(&configPath, "config", "", "configuration file (default: .jobguard.yaml in this directory or the nearest parent)")
	cmd.AddCommand(suggest)
	return cmd
}

func runSuggest(w io.Writer, stdin io.Reader, paths []string, opts workload.Options) error {
	files, inputErrs := lint.Files(paths)
	inventory := rbac.NewInventory(opts.Namespace)
	first := true
	for _, f := range files {
		objects, errs := lint.Read(f, stdin, lint.RenderOptions{})
		inputErrs = append(inputErrs, errs...)
		for _, o := range objects {
			model, ok := workload.Of(o.Value, opts)
			if !ok {
				if err := inventory.Add(o.Value); err != nil {
					inputErrs = append(inputErrs, &lint.InputError{File: o.File, Line: o.Line, Message: err.Error()})
				}
				continue
			}
			inventory.AddWorkload(model)
			if !model.UsesAPI() {
				continue
			}
			if !first {
				fmt.Fprintln(w, "---")
			}
			first = false
			fmt.Fprint(w, rbac.Suggest(model))
		}
	}
	for _, e := range inputErrs {
		fmt.Fprintln(os.Stderr, "jobguard:", e)
	}
	if len(inputErrs) > 0 {
		return &exitError{code: exitUsage}
	}
	if first {
		fmt.Fprintln(w, "# no Job or CronJob in the input runs kubectl: no RBAC needed")
		return nil
	}
	fmt.Fprint(w, rbac.UnneededNote(inventory.Unneeded()))
	return nil
}
