# METADATA
# title: CronJobs without startingDeadlineSeconds
# description: |
#   Without startingDeadlineSeconds a run that was due while the CronJob controller was down or the
#   CronJob suspended starts as soon as the controller sees it again, however late: a nightly job
#   can start at noon. Only the most recent missed time starts; the earlier ones are dropped. When
#   more than 100 times were missed the controller records a TooManyMissedTimes warning event and
#   still starts the most recent one; nothing stops scheduling. With startingDeadlineSeconds a run
#   more than that many seconds late is skipped instead, so set it only when a late run is worse
#   than none. A deadline of 0 skips every run: the controller looks for due
#   times after now minus the deadline, and there are none.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/utils.go
#     description: "`mostRecentScheduleTime` counts missed times from `LastScheduleTime` (or the creation time), or from now minus `StartingDeadlineSeconds` when later, returns only the most recent one, and marks more than 100 as `manyMissed`; `nextScheduleTime` then records the `TooManyMissedTimes` event and still returns that time. With a deadline of 0 the earliest time is now, and `schedule.Next(now)` is never before now."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/cronjob_controllerv2.go
#     description: "`syncCronJob` starts the Job of the time `nextScheduleTime` returns (`tooLate` guards once more against one older than `StartingDeadlineSeconds`), and requeues the CronJob for its next time plus `nextScheduleDelta` (100 ms), not on a fixed polling interval."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/batch/validation/validation.go
#     description: "`validateCronJobSpec` accepts any non-negative startingDeadlineSeconds (`ValidateNonnegativeField`), 0 included."
# custom:
#   id: cron-missing-deadline
#   severity: info
#   kinds: [CronJob]
#   remediation: If a run that starts late (after an outage or a resume) does harm, set spec.startingDeadlineSeconds to how late it may still start; otherwise leave it out, or exempt the CronJob. Never set it to 0.
#   params:
#     startingDeadlineSeconds: 300
#   fix:
#     field: spec.startingDeadlineSeconds
#     param: startingDeadlineSeconds
#     optIn: true
package jobguard.rules.batch.cron_missing_deadline

import data.jobguard.lib.k8s
import data.jobguard.lib.result

path := ["spec", "startingDeadlineSeconds"]

deny contains result.fail_with_fix(
	"startingDeadlineSeconds is not set: a run missed while the controller was down or the CronJob suspended starts when it comes back, however late (only the most recent one)",
	path,
	data.jobguard.params["cron-missing-deadline"].startingDeadlineSeconds,
) if {
	not k8s.has(input.object.spec, "startingDeadlineSeconds")
}

deny contains result.fail_with_severity(
	"startingDeadlineSeconds is 0: the controller only starts runs due within the last 0 seconds, so it never starts one",
	path,
	"warning",
) if {
	input.object.spec.startingDeadlineSeconds == 0
}
