# METADATA
# title: CronJobs that let a hung run overlap the next
# description: |
#   concurrencyPolicy defaults to Allow: when a run is still going at the next scheduled time, a second
#   one starts beside it. Without activeDeadlineSeconds nothing ends a hung run, so runs pile up.
#   Forbid skips a run while the previous one is active; Replace stops the old one. The webhook
#   never sees the field unset: the API server defaults it to Allow before admission, so this rule
#   (and its opt-in default) works in lint, --fix and mutate only.
# custom:
#   id: cron-concurrency-unset
#   severity: warning
#   kinds: [CronJob]
#   remediation: Set spec.concurrencyPolicy to Forbid (or Replace), or bound each run with activeDeadlineSeconds; write Allow if overlapping runs are intended.
#   fix:
#     field: spec.concurrencyPolicy
#     value: Forbid
#     optIn: true
package jobguard.rules.batch.cron_concurrency_unset

import data.jobguard.lib.k8s
import data.jobguard.lib.result

deny contains result.fail_with_fix(
	"concurrencyPolicy is not set, so it is Allow, and no activeDeadlineSeconds ends a hung run: the next run starts beside it",
	["spec", "concurrencyPolicy"],
	"Forbid",
) if {
	not k8s.has(k8s.obj.spec, "concurrencyPolicy")
	not k8s.has(k8s.job_spec, "activeDeadlineSeconds")
}
