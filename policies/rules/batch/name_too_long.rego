# METADATA
# title: Names too long once the controllers add their suffixes
# description: |
#   The CronJob controller names each Job <cronjob-name>-<minutes since 1970> (9 characters added
#   today), and the API server keeps 11 characters for that suffix: a CronJob name may have at most
#   52 characters. A Job name ends up in the label batch.kubernetes.io/job-name of its pods (unless
#   manualSelector), and a label value holds at most 63 characters. The pods of an Indexed Job get
#   the hostname <job-name>-<index>, which must be a DNS label of at most 63 characters: the API
#   server rejects such a Job, and every Job of such a CronJob.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/batch/validation/validation.go
#     description: "`ValidateCronJobCreate` rejects names longer than `DNS1035LabelMaxLength`-11 (52); `ValidateJob` rejects an Indexed Job whose last pod hostname, name-(completions-1), is not a DNS label (`maximumPodHostname`)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/controller/cronjob/cronjob_controllerv2.go
#     description: "`getJobName` names each Job after the CronJob and `getTimeHashInMinutes` (utils.go), the scheduled time in minutes since 1970."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/batch/job/strategy.go
#     description: "`generateSelector` puts the Job name in the `JobNameLabel` label of the pod template unless manualSelector is set."
# custom:
#   id: name-too-long
#   severity: error
#   kinds: [Job, CronJob]
#   remediation: Shorten metadata.name to the limit given in the message.
package jobguard.rules.batch.name_too_long

import data.jobguard.lib.k8s
import data.jobguard.lib.result

name_path := ["metadata", "name"]

deny contains result.fail(msg, name_path) if {
	input.object.kind == "CronJob"
	count(k8s.name) > 52
	msg := sprintf(
		"CronJob name is %d characters, over the limit of 52: the API server keeps 11 characters for the suffix the controller adds to each Job's name (-<minutes since 1970>), which must fit in 63",
		[count(k8s.name)],
	)
}

deny contains result.fail(msg, name_path) if {
	job_name_over_63
	msg := sprintf(
		"Job name is %d characters, over the limit of 63: the name becomes the batch.kubernetes.io/job-name label of its pods, and a label value holds at most 63",
		[count(k8s.name)],
	)
}

job_name_over_63 if {
	input.object.kind == "Job"
	count(k8s.name) > 63
	not k8s.job_spec.manualSelector == true
}

# The controller of a CronJob names its Jobs <name>-<minutes since 1970>: 9 characters more
# until the year 2160.
job_name_length := count(k8s.name) if input.object.kind == "Job"

job_name_length := count(k8s.name) + 9 if input.object.kind == "CronJob"

deny contains result.fail(msg, name_path) if {
	not job_name_over_63
	k8s.job_spec.completionMode == "Indexed"
	completions := k8s.job_spec.completions
	is_number(completions)
	completions > 0
	last_index := sprintf("%d", [completions - 1])
	hostname_length := (job_name_length + 1) + count(last_index)
	hostname_length > 63
	msg := sprintf(
		"Indexed Job pods get the hostname <job name>-<index>; with %d completions the last is %d characters, over the DNS label limit of 63: shorten the name to at most %d characters",
		[completions, hostname_length, count(k8s.name) - (hostname_length - 63)],
	)
}
