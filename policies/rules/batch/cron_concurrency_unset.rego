# METADATA
# title: CronJobs that let a hung run overlap the next
# description: |
#   concurrencyPolicy defaults to Allow: when a run is still going at the next scheduled time, a
#   second one starts beside it. Without activeDeadlineSeconds nothing ends a hung run, so runs pile
#   up. Forbid starts no run while the previous one is active (the most recent missed run starts
#   once it ends, unless startingDeadlineSeconds has passed by then); Replace deletes the running
#   Job and starts the new one. The webhook never sees the field unset: the API server defaults it
#   to Allow before admission, so this rule (and its opt-in default) works in lint, --fix and mutate
#   only.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/batch/v1/defaults.go
#     description: "`SetDefaults_CronJob` sets an empty concurrencyPolicy to `AllowConcurrent`."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/cronjob_controllerv2.go
#     description: "`syncCronJob`: with `ForbidConcurrent` and an active Job it records `JobAlreadyActive` and starts nothing, without moving `LastScheduleTime`, so the missed time is found again when the Job ends (`updateJob` requeues the CronJob); with `ReplaceConcurrent` it deletes the active Jobs (`deleteJob`) first; with Allow it creates the Job regardless."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/job/job_controller.go
#     description: "`pastActiveDeadline`: only activeDeadlineSeconds fails a running Job for its duration (`JobReasonDeadlineExceeded`)."
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
	not k8s.has(input.object.spec, "concurrencyPolicy")
	not k8s.has(k8s.job_spec, "activeDeadlineSeconds")
}
