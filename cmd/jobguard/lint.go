package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/jobguard/jobguard/config"
	"github.com/jobguard/jobguard/lint"
	"github.com/jobguard/jobguard/lint/output"
	"github.com/jobguard/jobguard/policies"
)

type lintFlags struct {
	config      string
	outputs     []string
	failOn      string
	color       string
	kubeVersion policies.KubeVersion
	disable     []string
	requireWhy  bool
	fix         bool
	verbose     bool
	quiet       bool
	severity    string
	policyDirs  []string
	// allowBuiltins: --allow-builtin, never the repository's configuration.
	allowBuiltins []string
	// Rendering of chart directories and kustomizations (lint/render.go).
	render lint.RenderOptions
}

func newLintCommand(stdin io.Reader) *cobra.Command {
	f := lintFlags{kubeVersion: policies.DefaultKubeVersion}
	cmd := &cobra.Command{
		Use:   "lint [PATH|-]...",
		Short: "Check manifests: files, directories, or - for standard input",
		Long: `Check Kubernetes manifests for Job, CronJob and RBAC mistakes.

PATH is a file, a directory (searched recursively for .yaml, .yml and .json files, skipping
hidden directories) or - for standard input. Files may hold several YAML documents and kind: List.
Objects of other kinds are skipped.

A directory holding Chart.yaml is rendered as helm template would (--values, --set,
--release-name, --namespace, --kube-version), and one holding kustomization.yaml as kustomize
build would; no helm or kustomize binary is needed. Their findings name the line a person
edits: the template line (and the values file line that set the value), the patch or
kustomization line, or the resource file's. In a stream, a "# Source:" comment (helm template
writes one per document) names the template; with --chart DIR (or when the template is found
from the current directory) the finding names the template line too. --fix does not edit
rendered output: it names where each default belongs.

Each finding is printed as file:line:column: severity rule-id: message, under the object it is
about; the message is its first clause (--verbose: whole, with the fix; jobguard explain RULE-ID
documents the rule). Severities: error (the API server rejects it, or it can never work), warning
(accepted but risky), info (advice); --severity and -q hide the less severe ones from the report.
When no object any rule checks was found, lint says so on standard error.

Exemptions: the annotation jobguard.io/ignore: "rule-id[,rule-id...]" exempts a whole object;
a comment "# jobguard:ignore rule-id[,rule-id...] reason" on the line above a field exempts
that field and everything under it.

Exit codes:
  0  nothing at or above --fail-on was found
  1  findings at or above --fail-on
  2  usage error, or an input that could not be read, parsed or checked (a misspelt kind, a custom
     rule that failed on it); the rest is still checked

Memory: past 20,000 findings, the findings wait in a temporary file (in $TMPDIR) until the
sorted report is written; RBAC objects and summaries of Jobs that run kubectl stay in memory
until every file is read. Very large inputs (300,000 objects) need about 1 GiB. Unless GOGC or
GOMEMLIMIT is set, jobguard runs with GOGC=400 and a soft limit of GOMEMLIMIT=1GiB; raise the
limit to trade memory for speed.`,
		Example: `  jobguard lint ./manifests
  helm template my-release ./chart | jobguard lint --chart ./chart -
  jobguard lint ./chart -f values-prod.yaml --set image.tag=1.2.3
  jobguard lint ./deploy/overlays/prod    # a kustomization
  jobguard lint --fail-on warning -o json cronjob.yaml
  jobguard lint --kube-version 1.24 legacy/
  jobguard lint --config ci/.jobguard.yaml manifests/
  jobguard lint -o text -o sarif=jobguard.sarif -o junit=jobguard.xml ./manifests
  jobguard lint -o github ./manifests   # annotations in GitHub Actions`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLint(cmd, stdin, args, f)
		},
	}
	fl := cmd.Flags()
	// StringArray, not StringSlice, so that paths may contain commas; the first -o replaces the default.
	fl.StringArrayVarP(&f.outputs, "output", "o", []string{output.Text},
		"FORMAT, or FORMAT=PATH to write a file; repeat for several, at most one to standard output (formats: "+strings.Join(output.Names, ", ")+")")
	fl.StringVar(&f.failOn, "fail-on", string(policies.SeverityError), "exit 1 when a finding is at least this severe: error, warning, info, or none")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "text output: print each message whole, with the rule's fix (by default, its first clause)")
	fl.StringVar(&f.severity, "severity", "info", "show only findings at least this severe in the text and HTML reports: error, warning, info (--fail-on is unchanged)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "show only errors (--severity error), without the summary table and hints")
	fl.StringVar(&f.color, "color", "auto", "colour the text output: auto (on a terminal, unless NO_COLOR is set), always, never")
	fl.Var(kubeVersionFlag(&f.kubeVersion), "kube-version", "the Kubernetes version the manifests target (version-dependent rules such as deprecated-api use it)")
	fl.StringSliceVar(&f.disable, "disable", nil, "rule ids not to run (repeat or separate with commas)")
	fl.BoolVar(&f.fix, "fix", false, "write the rules' declared defaults (the mutating webhook's) into the files first, keeping comments and layout; then lint the result")
	fl.BoolVar(&f.requireWhy, "require-reasons", false, "a \"# jobguard:ignore RULE-ID REASON\" comment without a reason exempts nothing")
	fl.StringArrayVar(&f.policyDirs, "policy", nil, "directory of custom Rego rules to load beside the built-in ones, anywhere (repeatable; see README, Custom rules)")
	addAllowBuiltinFlag(fl, &f.allowBuiltins)
	fl.StringArrayVarP(&f.render.ValuesFiles, "values", "f", nil, "Helm values file for chart directories, merged over the chart's values.yaml (repeatable; later wins)")
	fl.StringArrayVar(&f.render.Set, "set", nil, "Helm value for chart directories, key=value as helm --set takes it (repeatable; applied after --values)")
	fl.StringVar(&f.render.ReleaseName, "release-name", lint.DefaultReleaseName, "Helm release name chart directories are rendered with (.Release.Name)")
	fl.StringVarP(&f.render.Namespace, "namespace", "n", lint.DefaultNamespace, "namespace of objects that name none, as kubectl -n: RBAC rules judge them there, and charts are rendered in it (.Release.Namespace)")
	fl.StringVar(&f.render.Chart, "chart", "", "the chart a helm template stream on standard input was rendered from: findings name its template lines (default: # Source: paths relative to the current directory)")
	fl.StringVar(&f.config, "config", "", "configuration file (default: .jobguard.yaml in the current directory or the nearest parent)")
	return cmd
}

func runLint(cmd *cobra.Command, stdin io.Reader, args []string, f lintFlags) error {
	cfg, threshold, color, err := reportSettings(cmd, f.config, f.failOn, f.color)
	if err != nil {
		return err
	}
	minSeverity, err := policies.ParseSeverity(f.severity)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("--severity: %w", err)}
	}
	if f.quiet {
		if cmd.Flags().Changed("severity") {
			return &exitError{exitUsage, fmt.Errorf("-q shows only errors: give -q or --severity, not both")}
		}
		minSeverity = policies.SeverityError
	}
	specs, err := output.ParseSpecs(f.outputs)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("-o: %w", err)}
	}
	if count(args, lint.StdinName) > 1 {
		return &exitError{exitUsage, fmt.Errorf("- (standard input) can be given only once")}
	}
	extra, err := policyOptions(f.policyDirs)
	if err != nil {
		return err
	}
	extra = append(extra, policies.WithDisabled(f.disable...), policies.WithNamespace(f.render.Namespace), policies.WithAllowedBuiltins(f.allowBuiltins...))
	if cmd.Flags().Changed("kube-version") {
		extra = append(extra, policies.WithKubeVersion(f.kubeVersion))
	}
	engine, err := cfg.NewEngine(extra...)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	// Charts see the Kubernetes version the rules target: --kube-version, else the config's.
	if f.render.KubeVersion = f.kubeVersion; !cmd.Flags().Changed("kube-version") && cfg.KubeVersion != "" {
		f.render.KubeVersion, _ = policies.ParseKubeVersion(cfg.KubeVersion) // checked by loadConfig
	}
	if err := f.render.Check(); err != nil {
		return &exitError{exitUsage, err}
	}
	progress := &lint.Progress{}
	junit := slices.ContainsFunc(specs, func(s output.Spec) bool { return s.Format == "junit" })
	linter := lint.New(engine, lint.WithStdin(stdin), lint.WithSkip(cfg.Ignored), lint.WithRequireReasons(f.requireWhy), lint.WithRender(f.render),
		lint.WithSpillDir(os.TempDir()), // large inputs: findings wait on disk, not in memory
		lint.WithCheckedObjects(junit),  // JUnit lists every object checked
		lint.WithProgress(progress))

	if f.fix {
		if err := fixFiles(cmd, linter, cfg, args); err != nil {
			return err
		}
	}
	stopProgress := func() {}
	if isTerminal(cmd.ErrOrStderr()) {
		stopProgress = showProgress(cmd.ErrOrStderr(), progress, progressDelay, 200*time.Millisecond)
	}
	report, err := linter.Lint(cmd.Context(), args)
	stopProgress()
	if err != nil {
		return &exitError{exitUsage, err}
	}
	defer report.Close()
	if msg := output.NothingChecked(report); msg != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "jobguard:", msg)
	}
	opts := output.Options{Color: color, Version: buildVersion(), Verbose: f.verbose, Quiet: f.quiet, MinSeverity: minSeverity, ScreenLines: screenLines(cmd.OutOrStdout())}
	return writeReport(cmd, specs, report, opts, threshold)
}

// reportSettings reads what lint and audit both start from: the configuration (--config, else
// the nearest .jobguard.yaml), the --fail-on threshold it may set, and whether to colour.
func reportSettings(cmd *cobra.Command, configPath, failOn, colorMode string) (*config.Config, policies.Severity, bool, error) {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return nil, "", false, &exitError{exitUsage, err}
	}
	threshold, err := failThreshold(cmd, failOn, cfg)
	if err != nil {
		return nil, "", false, err
	}
	color, err := useColor(colorMode, cmd.OutOrStdout())
	if err != nil {
		return nil, "", false, &exitError{exitUsage, err}
	}
	return cfg, threshold, color, nil
}

// writeReport writes the report of lint or audit to every -o and gives the exit code: 2 when an
// input could not be read or checked, else 1 when a finding is at or above threshold.
func writeReport(cmd *cobra.Command, specs []output.Spec, report *lint.Report, opts output.Options, threshold policies.Severity) error {
	if err := output.WriteAll(specs, cmd.OutOrStdout(), report, opts); err != nil {
		return &exitError{exitUsage, err}
	}
	switch {
	case len(report.InputErrors) > 0:
		return &exitError{code: exitUsage}
	case threshold != "" && atOrAbove(report.Count(), threshold) > 0:
		return &exitError{code: exitFindings}
	}
	return nil
}

// atOrAbove counts the findings of severity threshold or higher.
func atOrAbove(c lint.FindingCounts, threshold policies.Severity) int {
	n := 0
	for sev, count := range map[policies.Severity]int{policies.SeverityError: c.Errors, policies.SeverityWarning: c.Warnings, policies.SeverityInfo: c.Info} {
		if sev.AtLeast(threshold) {
			n += count
		}
	}
	return n
}

// fixFiles writes the defaults into every file of args, in place, and says what it changed.
func fixFiles(cmd *cobra.Command, linter *lint.Linter, cfg *config.Config, args []string) error {
	if count(args, lint.StdinName) > 0 {
		return &exitError{exitUsage, fmt.Errorf("--fix edits files in place; for standard input use jobguard mutate -")}
	}
	files, _ := lint.Files(args) // unreadable paths are reported by the lint that follows
	for _, file := range files {
		if cfg.Ignored(file) {
			continue
		}
		if info, err := os.Stat(file); err != nil || info.IsDir() {
			// Charts and kustomizations are rendered, not edited: say where each default belongs.
			notes, err := linter.Unfixable(cmd.Context(), file, cfg.ApplyFix)
			if err != nil {
				return &exitError{exitUsage, fmt.Errorf("--fix: %w", err)}
			}
			for _, n := range notes {
				fmt.Fprintln(cmd.ErrOrStderr(), "jobguard: --fix:", n)
			}
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		out, changes, errs := linter.Fix(cmd.Context(), file, src, cfg.ApplyFix)
		for _, e := range errs {
			fmt.Fprintln(cmd.ErrOrStderr(), "jobguard: --fix:", e)
		}
		if len(changes) == 0 {
			continue
		}
		info, _ := os.Stat(file)
		if err := os.WriteFile(file, out, info.Mode().Perm()); err != nil {
			return &exitError{exitUsage, fmt.Errorf("--fix: %w", err)}
		}
		for _, c := range changes {
			fmt.Fprintln(cmd.ErrOrStderr(), "fixed:", c)
		}
	}
	return nil
}

// loadConfig reads the file given with --config, else the nearest .jobguard.yaml, else defaults.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		found, err := config.Find(".")
		if err != nil || found == "" {
			return &config.Config{}, err
		}
		path = found
	}
	return config.Load(path)
}

func useColor(mode string, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		return os.Getenv("NO_COLOR") == "" && isTerminal(w), nil
	}
	return false, fmt.Errorf("--color: unknown value %q (valid: auto, always, never)", mode)
}

// screenLines is the height of the terminal w is, or 0.
func screenLines(w io.Writer) int {
	if !isTerminal(w) {
		return 0
	}
	_, height, err := term.GetSize(int(w.(*os.File).Fd()))
	if err != nil {
		return 0
	}
	return height
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// failThreshold is the severity at which lint and audit exit 1: --fail-on, else the
// configuration's lint.failOn; "none" is the zero Severity (never).
func failThreshold(cmd *cobra.Command, failOn string, cfg *config.Config) (policies.Severity, error) {
	if !cmd.Flags().Changed("fail-on") && cfg.Lint.FailOn != "" {
		failOn = cfg.Lint.FailOn
	}
	if failOn == "none" {
		return "", nil
	}
	threshold, err := policies.ParseSeverity(failOn)
	if err != nil {
		return "", &exitError{exitUsage, fmt.Errorf("--fail-on: %w (or none)", err)}
	}
	return threshold, nil
}
