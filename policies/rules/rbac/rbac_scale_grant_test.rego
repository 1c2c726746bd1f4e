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
	f.message == `grants "*" on */scale: it can scale every scalable resource (Deployments, StatefulSets, ReplicaSets, custom resources) in namespace ci (to zero, or far beyond the cluster's capacity)`
}

test_star_resources_in_apps_denied if {
	some f in rbac_scale_grant.deny with input as fx.role([fx.rule(["apps"], ["*"], ["update"])])
	f.path == ["rules", 0, "resources", 0]
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
