package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jobguard/jobguard/policies"
)

func newScheduleCommand() *cobra.Command {
	var (
		zone  string
		count int
		from  string
	)
	cmd := &cobra.Command{
		Use:   "schedule SCHEDULE",
		Short: "Explain a CronJob schedule and print its next run times",
		Long: `Read a CronJob schedule the way the API server and the CronJob controller do (five fields,
descriptors such as @hourly and @every 5m, '?', month and weekday names), say in plain English
when it fires, and list the next run times. An invalid schedule gets the API server's reason, one
that never fires says so; both exit 1.`,
		Example: `  jobguard schedule "0 */2 * * *"
  jobguard schedule "0 0 * * 1-5" --time-zone Asia/Seoul -n 3
  jobguard schedule "0 0 30 2 *"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			schedule := args[0]
			if errs := policies.ScheduleErrors(schedule); len(errs) > 0 {
				return &exitError{exitFindings, fmt.Errorf("schedule %q is not valid: %s", schedule, strings.Join(errs, "; "))}
			}
			loc := time.UTC
			if zone != "" {
				if errs := policies.TimeZoneErrors(zone); len(errs) > 0 {
					return &exitError{exitUsage, fmt.Errorf("--time-zone %q is not valid: %s", zone, strings.Join(errs, "; "))}
				}
				loc, _ = time.LoadLocation(zone)
			}
			start := time.Now()
			if from != "" {
				var err error
				if start, err = time.Parse(time.RFC3339, from); err != nil {
					return &exitError{exitUsage, fmt.Errorf("--from: want RFC 3339 time such as 2026-01-02T15:04:05Z: %w", err)}
				}
			}
			if count < 1 {
				return &exitError{exitUsage, fmt.Errorf("-n must be at least 1")}
			}
			runs, err := policies.NextRuns(schedule, loc, start, count)
			if err != nil {
				return &exitError{exitFindings, err}
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s: %s (%s)\n", schedule, policies.DescribeSchedule(schedule), loc)
			if len(runs) == 0 {
				return &exitError{exitFindings, fmt.Errorf("schedule %q never fires: no time matches it in the next five years", schedule)}
			}
			fmt.Fprintf(w, "next %d runs:\n", len(runs))
			for _, r := range runs {
				fmt.Fprintf(w, "  %s\n", r.Format("Mon 2006-01-02 15:04 MST"))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&zone, "time-zone", "", "IANA time zone, as in the CronJob's spec.timeZone (default UTC)")
	cmd.Flags().IntVarP(&count, "count", "n", 5, "how many run times to print")
	cmd.Flags().StringVar(&from, "from", "", "list runs after this RFC 3339 time instead of now")
	return cmd
}
