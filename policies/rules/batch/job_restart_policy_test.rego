package jobguard.rules.batch.job_restart_policy_test

import data.jobguard.rules.batch.job_restart_policy

job(pod_spec) := {"object": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": pod_spec}}}}

cronjob(pod_spec) := {"object": {
	"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
	"spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": {"spec": pod_spec}}}},
}}

test_missing_denied if {
	some f in job_restart_policy.deny with input as job({"containers": []})
	f.path == ["spec", "template", "spec", "restartPolicy"]
	contains(f.message, "defaults to Always")
}

test_always_denied if {
	some f in job_restart_policy.deny with input as cronjob({"restartPolicy": "Always"})
	f.path == ["spec", "jobTemplate", "spec", "template", "spec", "restartPolicy"]
	contains(f.message, `"Always" is not valid`)
}

test_never_allowed if {
	count(job_restart_policy.deny) == 0 with input as job({"restartPolicy": "Never"})
}

test_on_failure_allowed if {
	count(job_restart_policy.deny) == 0 with input as cronjob({"restartPolicy": "OnFailure"})
}

test_on_failure_with_pod_failure_policy_denied if {
	job_input := {"object": {"kind": "Job", "spec": {"podFailurePolicy": {"rules": []}, "template": {"spec": {"restartPolicy": "OnFailure"}}}}}
	some f in job_restart_policy.deny with input as job_input
	contains(f.message, "podFailurePolicy")
}

test_never_with_pod_failure_policy_allowed if {
	job_input := {"object": {"kind": "Job", "spec": {"podFailurePolicy": {"rules": []}, "template": {"spec": {"restartPolicy": "Never"}}}}}
	count(job_restart_policy.deny) == 0 with input as job_input
}
