package jobguard.rules.batch.name_too_long_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.name_too_long

named(doc, name) := json.patch(doc, [{"op": "replace", "path": "/object/metadata/name", "value": name}])

name(n) := concat("", [c | some _ in numbers.range(1, n); c := "a"])

test_cronjob_53_denied if {
	some f in name_too_long.deny with input as named(fixtures.cronjob({}), name(53))
	f.path == ["metadata", "name"]
	contains(f.message, "53 characters, over the limit of 52")
}

test_cronjob_52_allowed if {
	count(name_too_long.deny) == 0 with input as named(fixtures.cronjob({}), name(52))
}

test_job_64_denied if {
	some f in name_too_long.deny with input as named(fixtures.job({}), name(64))
	contains(f.message, "64 characters, over the limit of 63")
}

test_job_63_allowed if {
	count(name_too_long.deny) == 0 with input as named(fixtures.job({}), name(63))
}

test_job_64_manual_selector_allowed if {
	count(name_too_long.deny) == 0 with input as named(fixtures.job({"manualSelector": true}), name(64))
}

test_indexed_job_denied if {
	# 62 + "-" + "9" = 64
	some f in name_too_long.deny with input as named(fixtures.job({"completionMode": "Indexed", "completions": 10}), name(62))
	contains(f.message, "the last is 64 characters")
	contains(f.message, "at most 61 characters")
}

test_indexed_job_fits_allowed if {
	count(name_too_long.deny) == 0 with input as named(fixtures.job({"completionMode": "Indexed", "completions": 10}), name(61))
}

indexed_cronjob(n) := named(
	fixtures.cronjob({"jobTemplate": {"spec": object.union(fixtures.job_spec, {"completionMode": "Indexed", "completions": 100})}}),
	name(n),
)

test_indexed_cronjob_denied if {
	# 52 + "-" + 8 digits of minutes since 1970 + "-" + "99" = 64
	some f in name_too_long.deny with input as indexed_cronjob(52)
	contains(f.message, "the last is 64 characters")
	contains(f.message, "at most 51 characters")
}

test_indexed_cronjob_fits_allowed if {
	# 51 + 9 + 1 + 2 = 63
	count(name_too_long.deny) == 0 with input as indexed_cronjob(51)
}
