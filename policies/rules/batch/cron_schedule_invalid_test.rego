package jobguard.rules.batch.cron_schedule_invalid_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.cron_schedule_invalid

denied(schedule) := {f.message | some f in cron_schedule_invalid.deny with input as fixtures.cronjob({"schedule": schedule})}

test_six_fields_denied if {
	denied("* * * * * *") == {`schedule "* * * * * *" is not valid: expected exactly 5 fields, found 6: [* * * * * *]`}
}

test_out_of_range_denied if {
	count(denied("60 * * * *")) == 1
}

test_cron_tz_prefix_denied if {
	some msg in denied("CRON_TZ=Asia/Seoul 0 0 * * *")
	contains(msg, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
}

test_missing_denied if {
	some f in cron_schedule_invalid.deny with input as json.remove(fixtures.cronjob({}), ["/object/spec/schedule"])
	f.message == "schedule is not set: the API server rejects a CronJob without one (Required value)"
}

test_empty_denied if {
	denied("") == {`schedule "" is not valid: Required value`}
}

test_null_is_missing if {
	denied(null) == {"schedule is not set: the API server rejects a CronJob without one (Required value)"}
}

test_number_denied if {
	some msg in denied(5)
	contains(msg, "must be a string")
}

test_valid_forms_allowed if {
	every s in ["0 */2 * * *", "@hourly", "@every 5m", "0 0 ? * MON", "0 0 * JAN-MAR SUN", "0 0 30 2 *"] {
		count(denied(s)) == 0
	}
}
