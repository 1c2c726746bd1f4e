package jobguard.rules.rbac.rbac_scale_grant_test

import data.jobguard.lib.rbac_test as fx
import data.jobguard.rules.rbac.rbac_scale_grant

test_cluster_role_deployments_scale_denied if {
	findings := rbac_scale_grant.deny with input as fx.cluster_role([fx.rule(["apps"], ["deployments", "deployments/scale"], ["get", "patch", "update"])])
	count(findings) == 1
	some f in findings
	f.path == ["rules", 0, "resources", 1]
	f.message == "grants patch, update on deployments/scale: it can scale all deployments in every namespace once a ClusterRoleBinding binds this ClusterRole (to zero, or far beyond the cluster's capacity)"
}

test_role_any_scale_denied if {
	some f in rbac_scale_grant.deny with input as fx.role([fx.rule(["*"], ["*/scale"], ["*"])])
	f.path == ["rules", 0, "resources", 0]
	f.message == `grants "*" on */scale: it can scale every ReplicationController, Deployment, StatefulSet, ReplicaSet and custom resource with a scale subresource in namespace ci (to zero, or far beyond the cluster's capacity)`
}

# The message names the rule's own group: no custom resources for apps.
test_star_resources_in_apps_denied if {
	some f in rbac_scale_grant.deny with input as fx.role([fx.rule(["apps"], ["*"], ["update"])])
	f.path == ["rules", 0, "resources", 0]
	f.message == "grants update on \"*\": it can scale every Deployment, StatefulSet and ReplicaSet in namespace ci (to zero, or far beyond the cluster's capacity)"
}

test_any_scale_in_crd_group_denied if {
	some f in rbac_scale_grant.deny with input as fx.role([fx.rule(["apps", "example.com"], ["*/scale"], ["patch"])])
	f.message == "grants patch on */scale: it can scale every Deployment, StatefulSet, ReplicaSet and resource of example.com with a scale subresource in namespace ci (to zero, or far beyond the cluster's capacity)"
}

test_star_resources_in_core_denied if {
	some f in rbac_scale_grant.deny with input as fx.cluster_role([fx.rule([""], ["*"], ["patch"])])
	contains(f.message, "it can scale every ReplicationController in every namespace")
}

# The extensions group is no longer served: "*" there scales nothing.
test_star_resources_in_extensions_allowed if {
	count(rbac_scale_grant.deny) == 0 with input as fx.role([fx.rule(["extensions"], ["*"], ["update"])])
}

test_read_only_allowed if {
	count(rbac_scale_grant.deny) == 0 with input as fx.cluster_role([fx.rule(["*"], ["*/scale"], ["get", "watch"])])
}

test_resource_names_allowed if {
	count(rbac_scale_grant.deny) == 0 with input as fx.role([object.union(
		fx.rule(["apps"], ["deployments/scale"], ["patch"]),
		{"resourceNames": ["web"]},
	)])
}

test_star_resources_without_scale_allowed if {
	count(rbac_scale_grant.deny) == 0 with input as fx.cluster_role([fx.rule(["batch", "rbac.authorization.k8s.io"], ["*"], ["*"])])
}
