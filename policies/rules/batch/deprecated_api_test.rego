package jobguard.rules.batch.deprecated_api_test

import data.jobguard.lib.fixtures
import data.jobguard.rules.batch.deprecated_api

v1beta1_cronjob := json.patch(fixtures.cronjob({}), [{"op": "replace", "path": "/object/apiVersion", "value": "batch/v1beta1"}])

test_v1beta1_cronjob_removed_denied if {
	some f in deprecated_api.deny with input as v1beta1_cronjob
	f.path == ["apiVersion"]
	not f.severity
	f.message == "batch/v1beta1 CronJob was removed in Kubernetes 1.25, so 1.36 rejects it; use apiVersion: batch/v1 (GA since 1.21, same fields)"
}

test_v1beta1_cronjob_deprecated_warned if {
	some f in deprecated_api.deny with input as v1beta1_cronjob with data.jobguard.target.kubeVersion.minor as 23
	f.severity == "warning"
	contains(f.message, "deprecated since Kubernetes 1.21 and removed in 1.25")
}

test_v1beta1_cronjob_before_deprecation_allowed if {
	count(deprecated_api.deny) == 0 with input as v1beta1_cronjob with data.jobguard.target.kubeVersion.minor as 20
}

test_rbac_v1beta1_denied if {
	role := {"object": {"apiVersion": "rbac.authorization.k8s.io/v1beta1", "kind": "ClusterRole", "metadata": {"name": "r"}}}
	some f in deprecated_api.deny with input as role
	contains(f.message, "use apiVersion: rbac.authorization.k8s.io/v1")
}

test_batch_v1_allowed if {
	count(deprecated_api.deny) == 0 with input as fixtures.cronjob({})
}

test_job_in_unserved_version_denied if {
	job := json.patch(fixtures.job({}), [{"op": "replace", "path": "/object/apiVersion", "value": "extensions/v1beta1"}])
	some f in deprecated_api.deny with input as job
	f.path == ["apiVersion"]
	f.message == "Kubernetes 1.36 does not serve Job as extensions/v1beta1, so the API server refuses it; use apiVersion: batch/v1"
}

test_cronjob_in_never_served_version_denied if {
	cron := json.patch(fixtures.cronjob({}), [{"op": "replace", "path": "/object/apiVersion", "value": "batch/v2"}])
	some f in deprecated_api.deny with input as cron
	contains(f.message, "does not serve CronJob as batch/v2")
}

test_job_in_core_group_denied if {
	job := json.patch(fixtures.job({}), [{"op": "replace", "path": "/object/apiVersion", "value": "v1"}])
	count(deprecated_api.deny) == 1 with input as job
}

test_custom_resource_job_allowed if {
	job := json.patch(fixtures.job({}), [{"op": "replace", "path": "/object/apiVersion", "value": "batch.volcano.sh/v1alpha1"}])
	count(deprecated_api.deny) == 0 with input as job
}

test_batch_v1_job_allowed if {
	count(deprecated_api.deny) == 0 with input as fixtures.job({})
}
