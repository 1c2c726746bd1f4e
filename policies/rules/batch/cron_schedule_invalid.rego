# METADATA
# title: CronJob schedules the API server rejects
# description: |
#   spec.schedule is parsed with robfig/cron's ParseStandard: five fields (minute, hour, day of
#   month, month, day of week), names such as JAN or MON, '?', and descriptors such as @hourly or
#   @every 5m. A seconds field and out-of-range values are rejected, and so is, when the CronJob is
#   created, any schedule that contains TZ (a TZ= or CRON_TZ= prefix): the time zone goes in
#   spec.timeZone.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/batch/validation/validation.go
#     description: "`validateScheduleFormat` rejects what `ParseCronScheduleWithPanicRecovery` cannot parse, and any schedule that `strings.Contains` TZ unless the stored one already did (an update): cannot use TZ or CRON_TZ in schedule, use timeZone field instead."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/util/parsers/parsers.go
#     description: "`ParseCronScheduleWithPanicRecovery` is robfig/cron's `cron.ParseStandard`."
#   - ref: https://github.com/robfig/cron/blob/v3.0.1/parser.go
#     description: "ParseStandard: five fields or a descriptor (@yearly ... @hourly, @every <duration>)."
# custom:
#   id: cron-schedule-invalid
#   severity: error
#   kinds: [CronJob]
#   remediation: Write five fields, minute hour day-of-month month day-of-week (for example "0 */2 * * *"), and put any time zone in spec.timeZone.
package jobguard.rules.batch.cron_schedule_invalid

import data.jobguard.lib.result

schedule := object.get(input.object, ["spec", "schedule"], null)

# A missing schedule is named as missing: quoting it as "" would send the reader looking for an
# empty string the file does not hold.
deny contains result.fail("schedule is not set: the API server rejects a CronJob without one (Required value)", ["spec", "schedule"]) if {
	schedule == null
}

deny contains result.fail(msg, ["spec", "schedule"]) if {
	is_string(schedule)
	errors := jobguard.cron.check(schedule).errors
	count(errors) > 0
	msg := sprintf("schedule %q is not valid: %s", [schedule, concat("; ", errors)])
}

deny contains result.fail(sprintf("schedule must be a string, not %s; quote it", [type_name(schedule)]), ["spec", "schedule"]) if {
	not is_string(schedule)
	schedule != null
}
