// Command jobguard lints Kubernetes Jobs, CronJobs and RBAC, offline (lint) or at admission (serve).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/certs"
	_ "github.com/jobguard/jobguard/internal/gctune" // GOGC from its initialiser, which Go runs early (TestGCTunedBeforeHeavyInitialisers)
)

// Exit codes: a pipeline can tell findings from a broken run.
const (
	exitOK       = 0 // nothing at or above --fail-on
	exitFindings = 1 // findings at or above --fail-on
	exitUsage    = 2 // bad flags or arguments, unreadable or unparsable input
)

// exitError carries an exit code out of a command; a nil err means the output already said it all.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "jobguard:", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown flags, wrong argument counts.
	fmt.Fprintln(stderr, "jobguard:", err)
	fmt.Fprintln(stderr, "Run 'jobguard --help' for usage.")
	return exitUsage
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "jobguard",
		Short: "Catch broken Kubernetes Jobs, CronJobs and RBAC before they ship",
		Long: `jobguard checks Kubernetes Jobs, CronJobs and RBAC for the mistakes that make them fail:
invalid restartPolicy, names too long for the CronJob controller, schedules that never fire,
deprecated APIs, missing deadlines and TTLs, and risky RBAC grants.

The same rules run offline (jobguard lint) and in the cluster as an admission webhook.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newLintCommand(stdin), newAuditCommand(), newRulesCommand(), newExplainCommand(), newScheduleCommand(), newRBACCommand(stdin), newTestCommand(), newMutateCommand(stdin), newServeCommand(), certs.NewCommand(), newVersionCommand())
	keepUsageHintForCobra(root)
	return root
}

// keepUsageHintForCobra makes an error a command returns once it runs (certs generate's "exists:
// pass --force") an exitError, so that run prints it without the "Run 'jobguard --help'" line,
// which is for cobra's own errors: unknown flags, wrong argument counts.
func keepUsageHintForCobra(cmd *cobra.Command) {
	if runE := cmd.RunE; runE != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			err := runE(c, args)
			var ee *exitError
			if err != nil && !errors.As(err, &ee) {
				return &exitError{exitUsage, err}
			}
			return err
		}
	}
	for _, sub := range cmd.Commands() {
		keepUsageHintForCobra(sub)
	}
}
