package policies

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // validate spec.timeZone the same way on every machine, with or without /usr/share/zoneinfo

	"github.com/robfig/cron/v3"
)

// ScheduleErrors reports why the API server would reject a new CronJob's spec.schedule,
// in its own words. It mirrors validateScheduleFormat in k8s.io/kubernetes/pkg/apis/batch/validation,
// which parses with robfig/cron's ParseStandard: five fields, descriptors (@hourly, @every 5m), '?',
// month and weekday names.
func ScheduleErrors(schedule string) []string {
	if schedule == "" {
		return []string{"Required value"}
	}
	var errs []string
	if _, err := parseSchedule(schedule); err != nil {
		errs = append(errs, err.Error())
	}
	// The API server checks the substring, not the prefix: "TZ" anywhere is refused on create.
	if strings.Contains(schedule, "TZ") {
		errs = append(errs, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
	}
	return errs
}

// parseSchedule parses like the API server, which also turns a parser panic into an error.
func parseSchedule(schedule string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("invalid schedule format: %v", r)
		}
	}()
	return cron.ParseStandard(schedule)
}

// NextRuns returns up to n times at which schedule fires after from, in loc.
// It returns fewer (possibly none) when the schedule stops firing: robfig/cron gives up
// after searching five years ahead, which is how "0 0 30 2 *" shows it never runs.
func NextRuns(schedule string, loc *time.Location, from time.Time, n int) ([]time.Time, error) {
	sched, err := parseSchedule(schedule)
	if err != nil {
		return nil, err
	}
	t := from.In(loc)
	var runs []time.Time
	for range n {
		t = sched.Next(t)
		if t.IsZero() {
			break
		}
		runs = append(runs, t)
	}
	return runs, nil
}

// ScheduleFires reports whether a schedule that parses ever fires.
func ScheduleFires(schedule string) bool {
	runs, err := NextRuns(schedule, time.UTC, time.Now(), 1)
	return err == nil && len(runs) == 1
}

// TimeZoneErrors reports why the API server would reject spec.timeZone, mirroring validateTimeZone
// in k8s.io/kubernetes/pkg/apis/batch/validation; the zone database is the one embedded by time/tzdata.
func TimeZoneErrors(tz string) []string {
	if tz == "" {
		return []string{"timeZone must be nil or non-empty string"}
	}
	for part := range strings.SplitSeq(tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !validTimeZonePart(part) {
			return []string{"unknown time zone " + tz}
		}
	}
	var errs []string
	if strings.EqualFold(tz, "Local") {
		errs = append(errs, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		errs = append(errs, err.Error())
	}
	return errs
}

// validTimeZonePart matches ^[A-Za-z\.\-_0-9+]{1,14}$ without a regexp.
func validTimeZonePart(s string) bool {
	if len(s) < 1 || len(s) > 14 {
		return false
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case r == '.', r == '-', r == '_', r == '+':
		default:
			return false
		}
	}
	return true
}
