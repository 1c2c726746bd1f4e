package jobguard.rules.batch.cron_schedule_never_runs_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.cron_schedule_never_runs

denied(schedule) := d if {
	d := cron_schedule_never_runs.deny with input as fixtures.cronjob({"schedule": schedule})
}

test_february_30_denied if {
	some f in denied("0 0 30 2 *")
	f.path == ["spec", "schedule"]
	f.message == `schedule "0 0 30 2 *" never fires: no time matches it in the next five years`
}

test_april_31_denied if {
	count(denied("0 0 31 4 *")) == 1
}

test_leap_day_allowed if {
	count(denied("0 0 29 2 *")) == 0
}

test_invalid_not_reported_here if {
	count(denied("0 0 32 2 *")) == 0
}

test_every_two_hours_allowed if {
	count(denied("0 */2 * * *")) == 0
}
