# METADATA
# title: Standalone Jobs without ttlSecondsAfterFinished
# description: |
#   Nothing deletes a finished Job that no controller owns: it stays, with its pods, until someone
#   removes it, and they pile up. ttlSecondsAfterFinished lets the TTL controller clean up. Jobs made
#   by a CronJob are left alone: the CronJob's history limits remove them.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/ttlafterfinished/ttlafterfinished_controller.go
#     description: "`needsCleanup`: the TTL controller deletes only finished Jobs with `TTLSecondsAfterFinished` set, with `DeletePropagationForeground` (their pods first)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/cronjob_controllerv2.go
#     description: "`cleanupFinishedJobs` deletes the finished Jobs a CronJob made beyond its history limits."
# custom:
#   id: job-missing-ttl
#   severity: warning
#   kinds: [Job]
#   remediation: Set spec.ttlSecondsAfterFinished (for example 86400, one day, to keep logs for a while).
#   params:
#     ttlSecondsAfterFinished: 86400
#   fix:
#     field: spec.ttlSecondsAfterFinished
#     param: ttlSecondsAfterFinished
package jobguard.rules.batch.job_missing_ttl

import data.jobguard.lib.k8s
import data.jobguard.lib.result

deny contains result.fail_with_fix(
	"standalone Job has no ttlSecondsAfterFinished: once finished, it and its pods stay until deleted by hand",
	["spec", "ttlSecondsAfterFinished"],
	data.jobguard.params["job-missing-ttl"].ttlSecondsAfterFinished,
) if {
	not k8s.has(k8s.job_spec, "ttlSecondsAfterFinished")
	count(object.get(input.object, ["metadata", "ownerReferences"], [])) == 0
}
