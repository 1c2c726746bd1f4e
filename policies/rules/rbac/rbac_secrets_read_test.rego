package jobguard.rules.rbac.rbac_secrets_read_test

import data.jobguard.lib.rbac_test as fx
import data.jobguard.rules.rbac.rbac_secrets_read

test_list_secrets_denied if {
	findings := rbac_secrets_read.deny with input as fx.cluster_role([fx.rule([""], ["configmaps", "secrets"], ["get", "list", "watch"])])
	count(findings) == 1
	some f in findings
	f.path == ["rules", 0, "resources", 1]
	f.message == "grants get, list, watch on secrets: it reads every Secret, values included, in every namespace once a ClusterRoleBinding binds this ClusterRole"
}

test_star_resources_denied if {
	some f in rbac_secrets_read.deny with input as fx.cluster_role([fx.rule(["*"], ["*"], ["*"])])
	f.path == ["rules", 0, "resources", 0]
	startswith(f.message, `grants "*" on "*": it reads every Secret`)
}

test_role_allowed if {
	count(rbac_secrets_read.deny) == 0 with input as fx.role([fx.rule([""], ["secrets"], ["get", "list"])])
}

test_resource_names_allowed if {
	count(rbac_secrets_read.deny) == 0 with input as fx.cluster_role([object.union(
		fx.rule([""], ["secrets"], ["get"]),
		{"resourceNames": ["registry-credentials"]},
	)])
}

test_write_only_allowed if {
	count(rbac_secrets_read.deny) == 0 with input as fx.cluster_role([fx.rule([""], ["secrets"], ["create", "delete"])])
}

test_other_group_allowed if {
	count(rbac_secrets_read.deny) == 0 with input as fx.cluster_role([fx.rule(["apps"], ["*"], ["get", "list"])])
}
