# METADATA
# title: CronJobs that keep no finished Jobs
# description: |
#   With successfulJobsHistoryLimit and failedJobsHistoryLimit both 0, the controller deletes every
#   Job, and its pods, as soon as it finishes: a failed run leaves no logs to read.
# custom:
#   id: cron-history-disabled
#   severity: info
#   kinds: [CronJob]
#   remediation: Keep at least the last failed run, failedJobsHistoryLimit of 1 or more.
package jobguard.rules.batch.cron_history_disabled

import data.jobguard.lib.k8s
import data.jobguard.lib.result

deny contains result.fail(
	"successfulJobsHistoryLimit and failedJobsHistoryLimit are both 0: finished runs are deleted at once, so a failure leaves no logs",
	["spec", "failedJobsHistoryLimit"],
) if {
	k8s.obj.spec.successfulJobsHistoryLimit == 0
	k8s.obj.spec.failedJobsHistoryLimit == 0
}
