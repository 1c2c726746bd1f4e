# METADATA
# title: Jobs without activeDeadlineSeconds
# description: |
#   Nothing stops a Job run that hangs (a stuck `kubectl exec`, a network call without a timeout):
#   it holds its pod, and in a CronJob it can block or overlap later runs. activeDeadlineSeconds
#   fails the Job once it has run that long.
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
