# METADATA
# title: Job pods must use restartPolicy Never or OnFailure
# description: |
#   A Job's pod template must set restartPolicy to Never (a failed container makes a new pod) or
#   OnFailure (it restarts in the same pod). Left out, it defaults to Always, which the API server
#   rejects for Jobs. With a podFailurePolicy only Never is accepted.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/batch/validation/validation.go
#     description: "`validateJobSpec` rejects a pod template restartPolicy that is Always or empty (valid values: OnFailure, Never), and anything but Never with a podFailurePolicy."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/core/v1/defaults.go
#     description: "`SetDefaults_PodSpec` defaults an empty `RestartPolicy` to `RestartPolicyAlways` before validation."
# custom:
#   id: job-restart-policy
#   severity: error
#   kinds: [Job, CronJob]
#   remediation: Set restartPolicy to Never (retry in a new pod, keeping the failed one for its logs) or OnFailure.
package jobguard.rules.batch.job_restart_policy

import data.jobguard.lib.k8s
import data.jobguard.lib.result

path := array.concat(k8s.pod_spec_path, ["restartPolicy"])

policy := object.get(k8s.pod_spec, "restartPolicy", "")

deny contains result.fail("restartPolicy is not set, so it defaults to Always, which a Job does not accept; valid values: \"OnFailure\", \"Never\"", path) if {
	policy == ""
}

deny contains result.fail(sprintf("restartPolicy %q is not valid for a Job; valid values: \"OnFailure\", \"Never\"", [policy]), path) if {
	policy != ""
	not policy in {"OnFailure", "Never"}
}

deny contains result.fail(sprintf("restartPolicy %q cannot be used with podFailurePolicy: only \"Never\" is supported", [policy]), path) if {
	policy == "OnFailure"
	k8s.has(k8s.job_spec, "podFailurePolicy")
}
