package jobguard.rules.batch.cron_timezone_invalid_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.cron_timezone_invalid

denied(zone) := d if {
	d := cron_timezone_invalid.deny with input as fixtures.cronjob({"timeZone": zone})
}

test_unknown_zone_denied if {
	some f in denied("Mars/Olympus")
	f.path == ["spec", "timeZone"]
	f.message == `timeZone "Mars/Olympus" is not valid: unknown time zone Mars/Olympus`
}

test_local_denied if {
	some f in denied("Local")
	contains(f.message, "explicit time zone")
}

test_empty_denied if {
	count(denied("")) == 1
}

test_known_zones_allowed if {
	every zone in ["Asia/Seoul", "UTC", "Etc/UTC", "America/Argentina/Buenos_Aires"] {
		count(denied(zone)) == 0
	}
}

test_absent_allowed if {
	count(cron_timezone_invalid.deny) == 0 with input as fixtures.cronjob({})
}
