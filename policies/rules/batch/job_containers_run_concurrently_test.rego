package jobguard.rules.batch.job_containers_run_concurrently_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.job_containers_run_concurrently

steps := [{"name": "scale-down", "image": "k:1"}, {"name": "flush", "image": "k:1"}, {"name": "scale-up", "image": "k:1"}]

test_three_containers_denied if {
	some f in job_containers_run_concurrently.deny with input as fixtures.cron_with_pod({"containers": steps})
	f.path == ["spec", "jobTemplate", "spec", "template", "spec", "containers"]
	f.message == `3 containers ("scale-down", "flush", "scale-up") start together and run at the same time, not in the order written`
}

test_one_container_allowed if {
	count(job_containers_run_concurrently.deny) == 0 with input as fixtures.job({})
}

test_init_containers_allowed if {
	pod := {"initContainers": array.slice(steps, 0, 2), "containers": [steps[2]]}
	count(job_containers_run_concurrently.deny) == 0 with input as fixtures.with_pod(pod)
}
