package jobguard.rules.batch.invalid_name_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.invalid_name

with_meta(doc, key, value) := json.patch(doc, [{"op": "add", "path": concat("/", ["/object/metadata", key]), "value": value}])

test_uppercase_underscore_name_denied if {
	some f in invalid_name.deny with input as with_meta(fixtures.job({}), "name", "My_Job")
	f.path == ["metadata", "name"]
	startswith(f.message, `name "My_Job" is not valid: a lowercase RFC 1123 subdomain`)
}

test_leading_dash_name_denied if {
	some f in invalid_name.deny with input as with_meta(fixtures.cronjob({}), "name", "-nightly")
	f.path == ["metadata", "name"]
}

test_dotted_name_allowed if {
	count(invalid_name.deny) == 0 with input as with_meta(fixtures.job({}), "name", "backup.v2")
}

test_namespace_denied if {
	some f in invalid_name.deny with input as with_meta(fixtures.job({}), "namespace", "exampleNamespace")
	f.path == ["metadata", "namespace"]
	contains(f.message, "RFC 1123 label")
}

test_container_name_denied if {
	some f in invalid_name.deny with input as fixtures.cron_with_pod({"containers": [{"name": "Step_1", "image": "busybox:1.36"}]})
	f.path == ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "name"]
}

test_init_container_name_denied if {
	some f in invalid_name.deny with input as fixtures.with_pod({"initContainers": [{"name": "Init", "image": "busybox:1.36"}]})
	f.path == ["spec", "template", "spec", "initContainers", 0, "name"]
}

test_valid_names_allowed if {
	count(invalid_name.deny) == 0 with input as fixtures.cronjob({})
}
