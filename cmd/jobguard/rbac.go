package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies/rbac"
	"github.com/jobguard/jobguard/policies/workload"
)

func newRBACCommand(stdin io.Reader) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Work out the RBAC that Jobs and CronJobs need",
	}
	var namespace string
	suggest := &cobra.Command{
		Use:   "suggest [PATH|-]...",
		Short: "Print the smallest RBAC that lets each Job's and CronJob's kubectl commands run",
		Long: `For each Job and CronJob, find every kubectl command its containers run (sh -c scripts
included), work out the API requests they make, and print ready-to-apply RBAC: a ServiceAccount of
its own (never default), a Role and RoleBinding in each namespace the commands touch, resourceNames
wherever the target is named literally, and a comment per rule naming the command that needs it.

Commands jobguard cannot understand (kubectl apply -f "$FILE") are listed as comments to handle by
hand. Apply the output and set serviceAccountName in the pod template as its first comment says.`,
		Example: `  jobguard rbac suggest testdata/seeds/000-restart-cronjob.yaml
  jobguard rbac suggest cronjob.yaml | kubectl apply -f -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSuggest(cmd.OutOrStdout(), stdin, args, namespace)
		},
	}
	suggest.Flags().StringVarP(&namespace, "namespace", "n", workload.DefaultNamespace, "namespace of Jobs and CronJobs that name none, as kubectl -n")
	cmd.AddCommand(suggest)
	return cmd
}

func runSuggest(w io.Writer, stdin io.Reader, paths []string, namespace string) error {
	files, inputErrs := lint.Files(paths)
	first := true
	for _, f := range files {
		objects, errs := lint.Read(f, stdin, lint.RenderOptions{})
		inputErrs = append(inputErrs, errs...)
		for _, o := range objects {
			model, ok := workload.Of(o.Value, workload.Options{Namespace: namespace})
			if !ok || !model.UsesAPI() {
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
	}
	return nil
}
