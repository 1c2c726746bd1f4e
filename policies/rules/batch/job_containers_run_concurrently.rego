# METADATA
# title: Several containers in a Job pod run at the same time
# description: |
#   The regular containers of a pod start together and run side by side: a Job with one container
#   per step does not run its steps in the order written, and a later step can race an earlier one.
#   Init containers run one after another, each to completion, before the regular containers start
#   (a sidecar, an init container with restartPolicy Always, only has to start).
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/kubelet/kuberuntime/kuberuntime_manager.go
#     description: "`SyncPod` step 7 starts the next init container, step 9 starts every container of `ContainersToStart` in one loop, without waiting for any to finish."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/kubelet/kuberuntime/kuberuntime_container.go
#     description: "`computeInitContainerActions` starts an init container only when the previous one has exited successfully, or for a sidecar (`IsRestartableInitContainer`) has started."
# custom:
#   id: job-containers-run-concurrently
#   severity: warning
#   kinds: [Job, CronJob]
#   remediation: Move the ordered steps to initContainers and keep the last step as the only container, or run the steps in one container (step1 && step2 && step3).
package jobguard.rules.batch.job_containers_run_concurrently

import data.jobguard.lib.k8s
import data.jobguard.lib.result

deny contains result.fail(msg, array.concat(k8s.pod_spec_path, ["containers"])) if {
	containers := k8s.pod_spec.containers
	is_array(containers)
	count(containers) > 1
	names := [sprintf("%q", [object.get(c, "name", "")]) | some c in containers]
	msg := sprintf(
		"%d containers (%s) start together and run at the same time, not in the order written",
		[count(containers), concat(", ", names)],
	)
}
