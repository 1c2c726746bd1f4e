# METADATA
# title: Jobs without activeDeadlineSeconds
# description: |
#   Nothing stops a Job run that hangs (a stuck `kubectl exec`, a network call without a timeout):
#   backoffLimit counts failed pods, not slow ones, so the run holds its pod, and in a CronJob it
#   blocks later runs (Forbid) or overlaps them (Allow). activeDeadlineSeconds fails the Job, and
#   stops its pods, once it has run that long.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/job/job_controller.go
#     description: "`pastActiveDeadline` compares the time since `StartTime` with `ActiveDeadlineSeconds`; `syncJob` then fails the Job with `JobReasonDeadlineExceeded` and deletes its active pods."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/cronjob_controllerv2.go
#     description: "`syncCronJob`: with `ForbidConcurrent` an active Job holds back the next run; with Allow the next one starts beside it."
# custom:
#   id: job-missing-active-deadline
#   severity: info
#   kinds: [Job, CronJob]
#   remediation: Set activeDeadlineSeconds in the Job spec to a little more than a run should ever take.
package jobguard.rules.batch.job_missing_active_deadline

import data.jobguard.lib.k8s
import data.jobguard.lib.result

deny contains result.fail(
	"activeDeadlineSeconds is not set: a run that hangs is never stopped",
	array.concat(k8s.job_spec_path, ["activeDeadlineSeconds"]),
) if {
	not k8s.has(k8s.job_spec, "activeDeadlineSeconds")
}
