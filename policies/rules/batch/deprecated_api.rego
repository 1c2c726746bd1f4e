# METADATA
# title: Deprecated and removed API versions
# description: |
#   batch/v1beta1 and batch/v2alpha1 CronJobs are no longer served since Kubernetes 1.25 and 1.21:
#   batch/v1 CronJob has been GA since 1.21 with the same fields. The v1beta1 and v1alpha1 RBAC
#   versions are gone since 1.22 (rbac.authorization.k8s.io/v1 is GA since 1.8). A removed version is
#   an error for the target Kubernetes version (--kube-version), a deprecated one a warning. A Job
#   or CronJob under any other version of a Kubernetes API group (extensions/v1beta1, batch/v2) is
#   an error too: the API server serves Jobs and CronJobs only as batch/v1 and refuses the object
#   (kinds of the same name in other groups, such as batch.volcano.sh Jobs, are left alone).
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/batch/rest/storage_batch.go
#     description: "`NewRESTStorage` serves batch only as v1 (`batchapiv1`): jobs and cronjobs; batch/v1beta1 and every other version are not served."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/rbac/rest/storage_rbac.go
#     description: "`NewRESTStorage` serves rbac.authorization.k8s.io only as v1 (`rbacapiv1`)."
# custom:
#   id: deprecated-api
#   severity: error
#   kinds: ["*/Job", "*/CronJob", Role, ClusterRole, RoleBinding, ClusterRoleBinding]
#   remediation: Change apiVersion to the replacement named in the message; the fields stay the same.
package jobguard.rules.batch.deprecated_api

import data.jobguard.lib.result

# apiVersion -> kind -> the minor releases that deprecated and removed it. Literal data, so that
# nothing is rebuilt per evaluation.
versions := {
	"batch/v1beta1": {"CronJob": {"deprecated": 21, "removed": 25, "replacement": "batch/v1", "ga": 21}},
	"batch/v2alpha1": {"CronJob": {"deprecated": 21, "removed": 21, "replacement": "batch/v1", "ga": 21}},
	"rbac.authorization.k8s.io/v1beta1": {
		"Role": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1", "ga": 8},
		"ClusterRole": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1", "ga": 8},
		"RoleBinding": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1", "ga": 8},
		"ClusterRoleBinding": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1", "ga": 8},
	},
	"rbac.authorization.k8s.io/v1alpha1": {
		"Role": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1", "ga": 8},
		"ClusterRole": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1", "ga": 8},
		"RoleBinding": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1", "ga": 8},
		"ClusterRoleBinding": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1", "ga": 8},
	},
}

target := data.jobguard.target.kubeVersion.minor

# The object's entry in versions; undefined for almost every object, which ends both rules below
# at their first expression.
deprecation := versions[input.object.apiVersion][input.object.kind]

deny contains result.fail(msg, ["apiVersion"]) if {
	v := deprecation
	target >= v.removed
	msg := sprintf(
		"%s %s was removed in Kubernetes 1.%d, so 1.%d rejects it; use apiVersion: %s (GA since 1.%d, same fields)",
		[input.object.apiVersion, input.object.kind, v.removed, target, v.replacement, v.ga],
	)
}

deny contains result.fail_with_severity(msg, ["apiVersion"], "warning") if {
	v := deprecation
	target >= v.deprecated
	target < v.removed
	msg := sprintf(
		"%s %s is deprecated since Kubernetes 1.%d and removed in 1.%d; use apiVersion: %s (GA since 1.%d, same fields)",
		[input.object.apiVersion, input.object.kind, v.deprecated, v.removed, v.replacement, v.ga],
	)
}

# The version each kind is served as; every other version of a Kubernetes group is refused.
served := {"Job": "batch/v1", "CronJob": "batch/v1"}

deny contains result.fail(msg, ["apiVersion"]) if {
	replacement := served[input.object.kind]
	input.object.apiVersion != replacement
	not deprecation
	kubernetes_group(input.object.apiVersion)
	msg := sprintf(
		"Kubernetes 1.%d does not serve %s as %s, so the API server refuses it; use apiVersion: %s",
		[target, input.object.kind, input.object.apiVersion, replacement],
	)
}

# kubernetes_group holds for versions of Kubernetes' own groups: the core group, groups without
# a dot (batch, extensions, apps) and *.k8s.io. Other groups belong to custom resources.
kubernetes_group(api_version) if not contains(api_version, "/")

kubernetes_group(api_version) if {
	group := split(api_version, "/")[0]
	not contains(group, ".")
}

kubernetes_group(api_version) if endswith(split(api_version, "/")[0], ".k8s.io")
