package jobguard.rules.batch.cron_concurrency_unset_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.cron_concurrency_unset

unset := json.remove(fixtures.cronjob({}), ["/object/spec/concurrencyPolicy"])

test_unset_without_deadline_denied if {
	doc := json.remove(unset, ["/object/spec/jobTemplate/spec/activeDeadlineSeconds"])
	some f in cron_concurrency_unset.deny with input as doc
	f.path == ["spec", "concurrencyPolicy"]
	f.fix == "Forbid"
}

test_unset_with_deadline_allowed if {
	count(cron_concurrency_unset.deny) == 0 with input as unset
}

test_explicit_allow_allowed if {
	doc := json.remove(fixtures.cronjob({"concurrencyPolicy": "Allow"}), ["/object/spec/jobTemplate/spec/activeDeadlineSeconds"])
	count(cron_concurrency_unset.deny) == 0 with input as doc
}
