package jobguard.rules.batch.job_missing_active_deadline_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.job_missing_active_deadline

test_cronjob_missing_denied if {
	doc := json.remove(fixtures.cronjob({}), ["/object/spec/jobTemplate/spec/activeDeadlineSeconds"])
	some f in job_missing_active_deadline.deny with input as doc
	f.path == ["spec", "jobTemplate", "spec", "activeDeadlineSeconds"]
}

test_job_missing_denied if {
	doc := json.remove(fixtures.job({}), ["/object/spec/activeDeadlineSeconds"])
	some f in job_missing_active_deadline.deny with input as doc
	f.path == ["spec", "activeDeadlineSeconds"]
}

test_set_allowed if {
	count(job_missing_active_deadline.deny) == 0 with input as fixtures.job({})
}
