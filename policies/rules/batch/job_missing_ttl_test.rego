package jobguard.rules.batch.job_missing_ttl_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.job_missing_ttl

no_ttl := json.remove(fixtures.job({}), ["/object/spec/ttlSecondsAfterFinished"])

test_missing_denied if {
	some f in job_missing_ttl.deny with input as no_ttl
	f.path == ["spec", "ttlSecondsAfterFinished"]
	f.fix == 86400
}

test_fix_uses_param if {
	some f in job_missing_ttl.deny with input as no_ttl with data.jobguard.params["job-missing-ttl"].ttlSecondsAfterFinished as 60
	f.fix == 60
}

test_set_allowed if {
	count(job_missing_ttl.deny) == 0 with input as fixtures.job({})
}

test_owned_by_cronjob_allowed if {
	owned := json.patch(no_ttl, [{"op": "add", "path": "/object/metadata/ownerReferences", "value": [{"kind": "CronJob", "name": "nightly"}]}])
	count(job_missing_ttl.deny) == 0 with input as owned
}
