package jobguard.rules.batch.cron_missing_deadline_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.cron_missing_deadline

test_missing_reported_with_fix if {
	some f in cron_missing_deadline.deny with input as json.remove(fixtures.cronjob({}), ["/object/spec/startingDeadlineSeconds"])
	f.path == ["spec", "startingDeadlineSeconds"]
	f.fix == 300
	not f.severity # the rule's own: info
	contains(f.message, "however late")
	not contains(f.message, "stops scheduling")
}

test_zero_never_runs if {
	some f in cron_missing_deadline.deny with input as fixtures.cronjob({"startingDeadlineSeconds": 0})
	f.severity == "warning"
	not f.fix
	contains(f.message, "never starts one")
}

# The controller requeues a CronJob for its due time, not on a 10-second poll: a short deadline
# that is not 0 starts runs when the controller is on time.
test_short_deadline_allowed if {
	count(cron_missing_deadline.deny) == 0 with input as fixtures.cronjob({"startingDeadlineSeconds": 5})
}

test_set_allowed if {
	count(cron_missing_deadline.deny) == 0 with input as fixtures.cronjob({"startingDeadlineSeconds": 3600})
}
