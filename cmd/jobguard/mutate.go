package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/policies"
)

func newMutateCommand(stdin io.Reader) *cobra.Command {
	var (
		configPath  string
		kubeVersion = policies.DefaultKubeVersion
	)
	cmd := &cobra.Command{
		Use:   "mutate [PATH|-]...",
		Short: "Write manifests with the defaults the mutating webhook would inject, to standard output",
		Long: `Apply the patches jobguard's mutating webhook would make on CREATE (the same findings, the same
patches: spec.ttlSecondsAfterFinished on standalone Jobs; opt-in defaults such as
spec.startingDeadlineSeconds on CronJobs only when .jobguard.yaml lists them) and write the manifests to standard output,
for pipelines. Only new lines are added: comments and layout pass through. What was set is
reported on standard error. To edit files in place, use jobguard lint --fix.`,
		Example: `  jobguard mutate jobs/ > jobs-with-defaults.yaml
  helm template my-release ./chart | jobguard mutate - | kubectl apply -f -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			var extra []policies.Option
			if cmd.Flags().Changed("kube-version") {
				extra = append(extra, policies.WithKubeVersion(kubeVersion))
			}
			engine, err := cfg.NewEngine(extra...)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			linter := lint.New(engine)
			files, inputErrs := lint.Files(args)
			w := cmd.OutOrStdout()
			for i, file := range files {
				var src []byte
				if file == lint.StdinName {
					src, err = io.ReadAll(stdin)
				} else if info, statErr := os.Stat(file); statErr == nil && info.IsDir() {
					inputErrs = append(inputErrs, &lint.InputError{File: file, Message: "a chart or kustomization: render it first (helm template, kustomize build) and pipe it in"})
					continue
				} else {
					src, err = os.ReadFile(file)
				}
				if err != nil {
					inputErrs = append(inputErrs, &lint.InputError{File: file, Message: "cannot read: " + err.Error()})
					continue
				}
				out, changes, errs := linter.Fix(cmd.Context(), file, src, cfg.ApplyFix)
				for _, e := range errs {
					fmt.Fprintln(cmd.ErrOrStderr(), "jobguard:", e)
				}
				for _, c := range changes {
					fmt.Fprintln(cmd.ErrOrStderr(), "set:", c)
				}
				if i > 0 {
					fmt.Fprintln(w, "---")
				}
				w.Write(out)
				if len(out) > 0 && out[len(out)-1] != '\n' {
					fmt.Fprintln(w)
				}
			}
			for _, e := range inputErrs {
				fmt.Fprintln(cmd.ErrOrStderr(), "jobguard:", e)
			}
			if len(inputErrs) > 0 {
				return &exitError{code: exitUsage}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (default: .jobguard.yaml in the current directory or the nearest parent)")
	cmd.Flags().Var(kubeVersionFlag(&kubeVersion), "kube-version", "the Kubernetes version the manifests target")
	return cmd
}
