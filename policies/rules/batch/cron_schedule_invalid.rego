# METADATA
# title: CronJob schedules the API server rejects
# description: |
#   spec.schedule is parsed like robfig/cron's ParseStandard: five fields (minute, hour, day of month,
#   month, day of week), names such as JAN or MON, '?', and descriptors such as @hourly or @every 5m.
#   A seconds field, out-of-range values and TZ= or CRON_TZ= prefixes are rejected: the time zone
#   goes in spec.timeZone.
# custom:
#   id: cron-schedule-invalid
#   severity: error
#   kinds: [CronJob]
#   remediation: Write five fields, minute hour day-of-month month day-of-week (for example "0 */2 * * *"), and put any time zone in spec.timeZone.
package jobguard.rules.batch.cron_schedule_invalid

import data.jobguard.lib.k8s
import data.jobguard.lib.result

schedule := object.get(k8s.obj, ["spec", "schedule"], "")

deny contains result.fail(msg, ["spec", "schedule"]) if {
	is_string(schedule)
	errors := jobguard.cron.check(schedule).errors
	count(errors) > 0
	msg := sprintf("schedule %q is not valid: %s", [schedule, concat("; ", errors)])
}

deny contains result.fail(sprintf("schedule must be a string, not %s; quote it", [type_name(schedule)]), ["spec", "schedule"]) if {
	not is_string(schedule)
}
