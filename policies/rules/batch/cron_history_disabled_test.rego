package jobguard.rules.batch.cron_history_disabled_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.cron_history_disabled

test_both_zero_denied if {
	some f in cron_history_disabled.deny with input as fixtures.cronjob({"successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 0})
	f.path == ["spec", "failedJobsHistoryLimit"]
}

test_failed_kept_allowed if {
	count(cron_history_disabled.deny) == 0 with input as fixtures.cronjob({"successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 1})
}

test_defaults_allowed if {
	count(cron_history_disabled.deny) == 0 with input as fixtures.cronjob({})
}
