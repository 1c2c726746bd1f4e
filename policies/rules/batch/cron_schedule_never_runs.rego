# METADATA
# title: CronJob schedules that never fire
# description: |
#   A schedule can be valid and still name a date that does not exist, such as February 30 or April
#   31: the API server accepts it, robfig/cron finds no matching time in the next five years, and
#   the controller records an InvalidSchedule event instead of ever starting a Job.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/utils.go
#     description: "`mostRecentScheduleTime`: for a schedule such as 59 23 31 2 * the time between two schedules is 0 and it returns the error time difference between two schedules is less than 1 second."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/cronjob_controllerv2.go
#     description: "`syncCronJob` records `InvalidSchedule` on that error and starts no Job."
#   - ref: https://github.com/robfig/cron/blob/v3.0.1/spec.go
#     description: "SpecSchedule.Next gives up after five years (yearLimit) and returns the zero time."
# custom:
#   id: cron-schedule-never-runs
#   severity: error
#   kinds: [CronJob]
#   remediation: Pick a day that exists in the month (check it with `jobguard schedule "<schedule>"`).
package jobguard.rules.batch.cron_schedule_never_runs

import data.jobguard.lib.result

deny contains result.fail(msg, ["spec", "schedule"]) if {
	schedule := input.object.spec.schedule
	is_string(schedule)
	check := jobguard.cron.check(schedule)
	count(check.errors) == 0
	not check.fires
	msg := sprintf("schedule %q never fires: no time matches it in the next five years", [schedule])
}
