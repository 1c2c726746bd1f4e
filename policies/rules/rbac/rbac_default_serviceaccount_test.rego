package jobguard.rules.rbac.rbac_default_serviceaccount_test

import data.jobguard.lib.rbac_test as fx
import data.jobguard.rules.rbac.rbac_default_serviceaccount

test_role_binding_without_namespace_denied if {
	findings := rbac_default_serviceaccount.deny with input as fx.role_binding(
		{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "deployer"},
		[fx.service_account("builder", "ci"), {"kind": "ServiceAccount", "name": "default"}],
	)
	count(findings) == 1
	some f in findings
	f.path == ["subjects", 1, "name"]
	f.message == "binds Role deployer to the default ServiceAccount of namespace ci: every pod there that sets no serviceAccountName gets its rights"
}

test_cluster_role_binding_denied if {
	some f in rbac_default_serviceaccount.deny with input as fx.cluster_role_binding(fx.cluster_role_ref("view"), [fx.service_account("default", "monitoring")])
	f.path == ["subjects", 0, "name"]
	contains(f.message, "ClusterRole view to the default ServiceAccount of namespace monitoring")
}

test_dedicated_service_account_allowed if {
	count(rbac_default_serviceaccount.deny) == 0 with input as fx.role_binding(fx.cluster_role_ref("view"), [
		fx.service_account("builder", "ci"),
		{"kind": "User", "name": "default", "apiGroup": "rbac.authorization.k8s.io"},
	])
}
