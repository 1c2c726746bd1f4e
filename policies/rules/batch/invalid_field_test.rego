package jobguard.rules.batch.invalid_field_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.invalid_field

paths(input_doc) := {f.path | some f in invalid_field.deny with input as input_doc}

test_valid_job_and_cronjob_allowed if {
	count(invalid_field.deny) == 0 with input as fixtures.job({})
	count(invalid_field.deny) == 0 with input as fixtures.cronjob({})
}

test_wrong_type_denied if {
	some f in invalid_field.deny with input as fixtures.job({"completions": "${N}"})
	f.path == ["spec", "completions"]
	f.message == `spec.completions must be an integer, not the string "${N}": the API server cannot decode the object and rejects it`
}

test_wrong_type_in_a_list_element_has_its_index if {
	job := fixtures.with_pod({"containers": [{"name": "main", "image": "busybox:1.36", "ports": [{"containerPort": "80"}]}]})
	some f in invalid_field.deny with input as job
	f.path == ["spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"]
	contains(f.message, "must be an integer, not the string \"80\"")
}

test_number_as_label_value_denied if {
	job := json.patch(fixtures.job({}), [{"op": "add", "path": "/object/metadata/labels", "value": {"version": 1}}])
	some f in invalid_field.deny with input as job
	f.path == ["metadata", "labels", "version"]
	startswith(f.message, "metadata.labels.version must be a string, not the number 1")
}

test_schedule_type_left_to_its_rule if {
	count(invalid_field.deny) == 0 with input as fixtures.cronjob({"schedule": 5})
}

test_no_containers_denied if {
	paths(fixtures.with_pod({"containers": []})) == {["spec", "template", "spec", "containers"]}
}

test_cronjob_without_job_template_denied if {
	cron := json.patch(fixtures.cronjob({}), [{"op": "remove", "path": "/object/spec/jobTemplate"}])
	some f in invalid_field.deny with input as cron
	f.path == ["spec", "jobTemplate", "spec", "template", "spec", "containers"]
	startswith(f.message, "jobTemplate is missing")
}

test_container_without_image_denied if {
	paths(fixtures.with_pod({"containers": [{"name": "main"}]})) == {["spec", "template", "spec", "containers", 0, "image"]}
}

test_service_account_placeholder_denied if {
	some f in invalid_field.deny with input as fixtures.with_pod({"serviceAccountName": "${KSA_NAME}"})
	f.path == ["spec", "template", "spec", "serviceAccountName"]
	startswith(f.message, `serviceAccountName "${KSA_NAME}" is not a valid ServiceAccount name`)
}

test_labels_and_annotations_checked if {
	job := json.patch(fixtures.job({"template": {"metadata": {"labels": {"tier": "-bad-"}, "annotations": {"bad key!": "x"}}}}), [{"op": "add", "path": "/object/metadata/labels", "value": {"ok": "fine", "-bad-key": "x"}}])
	paths(job) == {
		["metadata", "labels", "-bad-key"],
		["spec", "template", "metadata", "labels", "tier"],
		["spec", "template", "metadata", "annotations", "bad key!"],
	}
}

test_env_names_relaxed if {
	count(invalid_field.deny) == 0 with input as fixtures.with_pod({"containers": [{"name": "main", "image": "busybox:1.36", "env": [{"name": "my.var-1"}]}]})
	paths(fixtures.with_pod({"containers": [{"name": "main", "image": "busybox:1.36", "env": [{"name": "A=B"}, {"value": "x"}]}]})) == {
		["spec", "template", "spec", "containers", 0, "env", 0, "name"],
		["spec", "template", "spec", "containers", 0, "env", 1, "name"],
	}
}

test_ports_checked if {
	ports := [
		{"name": "metrics_port", "containerPort": 9090},
		{"name": "http", "containerPort": 70000},
		{"name": "http", "containerPort": 8080},
		{"name": "admin"},
	]
	paths(fixtures.with_pod({"containers": [{"name": "main", "image": "busybox:1.36", "ports": ports}]})) == {
		["spec", "template", "spec", "containers", 0, "ports", 0, "name"],
		["spec", "template", "spec", "containers", 0, "ports", 1, "containerPort"],
		["spec", "template", "spec", "containers", 0, "ports", 2, "name"],
		["spec", "template", "spec", "containers", 0, "ports", 3, "containerPort"],
	}
}

test_negative_counts_denied if {
	paths(fixtures.job({"backoffLimit": -1})) == {["spec", "backoffLimit"]}
	paths(fixtures.cronjob({"startingDeadlineSeconds": -5})) == {["spec", "startingDeadlineSeconds"]}
}

test_procmount_unmasked_needs_user_namespace if {
	c := {"name": "main", "image": "busybox:1.36", "securityContext": {"procMount": "Unmasked"}}
	paths(fixtures.with_pod({"containers": [c]})) == {["spec", "template", "spec", "containers", 0, "securityContext", "procMount"]}
	count(invalid_field.deny) == 0 with input as fixtures.with_pod({"hostUsers": false, "containers": [c]})
}

exported := fixtures.job({
	"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "old-uid"}},
	"template": {
		"metadata": {"labels": {"controller-uid": "old-uid", "batch.kubernetes.io/controller-uid": "old-uid", "job-name": "backup"}},
		"spec": fixtures.pod_spec,
	},
})

test_exported_selector_denied if {
	paths(exported) == {
		["spec", "selector"],
		["spec", "template", "metadata", "labels", "controller-uid"],
		["spec", "template", "metadata", "labels", "batch.kubernetes.io/controller-uid"],
	}
}

# What admission webhooks see: the selector the API server generated names the Job's own uid.
test_generated_selector_allowed if {
	admitted := json.patch(exported, [{"op": "add", "path": "/object/metadata/uid", "value": "old-uid"}])
	count(invalid_field.deny) == 0 with input as admitted
}

test_selector_of_other_labels_denied if {
	job := fixtures.job({"selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}}, "spec": fixtures.pod_spec}})
	["spec", "selector"] in paths(job)
}

test_manual_selector_must_match_template if {
	job := fixtures.job({"manualSelector": true, "selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "y"}}, "spec": fixtures.pod_spec}})
	paths(job) == {["spec", "template", "metadata", "labels"]}
	ok := fixtures.job({"manualSelector": true, "selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}}, "spec": fixtures.pod_spec}})
	count(invalid_field.deny) == 0 with input as ok
}

test_cronjob_selector_denied if {
	cron := fixtures.cronjob({"jobTemplate": {"spec": object.union(fixtures.job_spec, {"selector": {"matchLabels": {"a": "b"}}})}})
	["spec", "jobTemplate", "spec", "selector"] in paths(cron)
}
