# METADATA
# title: CronJobs without a usable startingDeadlineSeconds
# description: |
#   Without startingDeadlineSeconds the controller counts every missed run since the last one, and
#   after more than 100 (a controller outage, a long suspend) it stops scheduling the CronJob and only
#   logs an error. With a deadline it counts only within that window. The controller checks schedules
#   every 10 seconds, so a deadline under 10 seconds can skip runs.
# custom:
#   id: cron-missing-deadline
#   severity: warning
#   kinds: [CronJob]
#   remediation: Set spec.startingDeadlineSeconds to how late a run may still start, at least 10 (for example 300).
#   params:
#     startingDeadlineSeconds: 300
#   fix:
#     field: spec.startingDeadlineSeconds
#     param: startingDeadlineSeconds
package jobguard.rules.batch.cron_missing_deadline

import data.jobguard.lib.k8s
import data.jobguard.lib.result

path := ["spec", "startingDeadlineSeconds"]

deny contains result.fail_with_fix(
	"startingDeadlineSeconds is not set: after more than 100 missed runs the controller stops scheduling this CronJob",
	path,
	data.jobguard.params["cron-missing-deadline"].startingDeadlineSeconds,
) if {
	not k8s.has(k8s.obj.spec, "startingDeadlineSeconds")
}

deny contains result.fail(msg, path) if {
	deadline := k8s.obj.spec.startingDeadlineSeconds
	is_number(deadline)
	deadline < 10
	msg := sprintf("startingDeadlineSeconds is %v: the controller checks schedules every 10 seconds, so runs can be skipped", [deadline])
}
