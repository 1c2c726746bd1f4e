# METADATA
# title: CronJobs that keep no finished Jobs
# description: |
#   With successfulJobsHistoryLimit and failedJobsHistoryLimit both 0, the controller deletes every
#   Job it made as soon as it sees it finished, and its pods with it: a failed run leaves no logs to
#   read. Left out, the limits are 3 and 1.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/cronjob_controllerv2.go
#     description: "`cleanupFinishedJobs` runs on every sync and keeps at most the limit of complete and of failed Jobs (`removeOldestJobs`); `deleteJob` deletes the rest."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/injection.go
#     description: "`DeleteJob` deletes with `DeletePropagationBackground`: the Job's pods go too."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/batch/v1/defaults.go
#     description: "`SetDefaults_CronJob` defaults `SuccessfulJobsHistoryLimit` to 3 and `FailedJobsHistoryLimit` to 1."
# custom:
#   id: cron-history-disabled
#   severity: info
#   kinds: [CronJob]
#   remediation: Keep at least the last failed run, failedJobsHistoryLimit of 1 or more.
package jobguard.rules.batch.cron_history_disabled

import data.jobguard.lib.result

deny contains result.fail(
	"successfulJobsHistoryLimit and failedJobsHistoryLimit are both 0: finished runs are deleted at once, so a failure leaves no logs",
	["spec", "failedJobsHistoryLimit"],
) if {
	input.object.spec.successfulJobsHistoryLimit == 0
	input.object.spec.failedJobsHistoryLimit == 0
}
