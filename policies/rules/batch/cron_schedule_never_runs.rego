# METADATA
# title: CronJob schedules that never fire
# description: |
#   A schedule can be valid and still name a date that does not exist, such as February 30 or
#   April 31: the API server accepts it and the CronJob never runs.
# custom:
#   id: cron-schedule-never-runs
#   severity: error
#   kinds: [CronJob]
#   remediation: Pick a day that exists in the month (check it with `jobguard schedule "<schedule>"`).
package jobguard.rules.batch.cron_schedule_never_runs

import data.jobguard.lib.k8s
import data.jobguard.lib.result

deny contains result.fail(msg, ["spec", "schedule"]) if {
	schedule := k8s.obj.spec.schedule
	is_string(schedule)
	check := jobguard.cron.check(schedule)
	count(check.errors) == 0
	not check.fires
	msg := sprintf("schedule %q never fires: no time matches it in the next five years", [schedule])
}
