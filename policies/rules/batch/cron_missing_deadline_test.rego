package jobguard.rules.batch.cron_missing_deadline_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.cron_missing_deadline

test_missing_denied if {
	some f in cron_missing_deadline.deny with input as json.remove(fixtures.cronjob({}), ["/object/spec/startingDeadlineSeconds"])
	f.path == ["spec", "startingDeadlineSeconds"]
	f.fix == 300
	contains(f.message, "100 missed runs")
}

test_under_ten_denied if {
	some f in cron_missing_deadline.deny with input as fixtures.cronjob({"startingDeadlineSeconds": 5})
	not f.fix
	contains(f.message, "is 5")
}

test_ten_allowed if {
	count(cron_missing_deadline.deny) == 0 with input as fixtures.cronjob({"startingDeadlineSeconds": 10})
}
