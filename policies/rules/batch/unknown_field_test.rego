package jobguard.rules.batch.unknown_field_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.unknown_field

test_known_fields_allowed if {
	count(unknown_field.deny) == 0 with input as fixtures.job({})
	count(unknown_field.deny) == 0 with input as fixtures.cronjob({})
}

test_field_in_another_case_named if {
	some f in unknown_field.deny with input as fixtures.with_pod({"RestartPolicy": "Never"})
	f.path == ["spec", "template", "spec", "RestartPolicy"]
	f.message == `"RestartPolicy" is not a field of spec.template.spec: the API server drops it (kubectl --validate=strict refuses it); did you mean restartPolicy?`
}

test_misplaced_field_named_where_it_belongs if {
	some f in unknown_field.deny with input as fixtures.with_pod({"ttlSecondsAfterFinished": 60})
	f.path == ["spec", "template", "spec", "ttlSecondsAfterFinished"]
	contains(f.message, "it is a field of spec: check the indentation")
}

test_unknown_field_in_list_element if {
	c := {"name": "main", "image": "busybox:1.36", "privileged": true}
	some f in unknown_field.deny with input as fixtures.with_pod({"containers": [c]})
	f.path == ["spec", "template", "spec", "containers", 0, "privileged"]
	endswith(f.message, "so it has no effect")
}

test_top_level_field if {
	job := json.patch(fixtures.job({}), [{"op": "add", "path": "/object/schedule", "value": "* * * * *"}])
	some f in unknown_field.deny with input as job
	f.path == ["schedule"]
	startswith(f.message, `"schedule" is not a field of the object`)
}

test_rbac_checked if {
	role := {"object": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}, "rules": [{"apiGroup": "", "resources": ["pods"], "verbs": ["get"]}]}}
	some f in unknown_field.deny with input as role
	f.path == ["rules", 0, "apiGroup"]
}

test_custom_resources_left_alone if {
	obj := {"object": {"apiVersion": "batch.volcano.sh/v1alpha1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"minAvailable": 1}}}
	count(unknown_field.deny) == 0 with input as obj
}
