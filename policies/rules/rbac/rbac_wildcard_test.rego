package jobguard.rules.rbac.rbac_wildcard_test

import data.jobguard.lib.rbac_test as fx
import data.jobguard.rules.rbac.rbac_wildcard

test_all_three_fields_denied if {
	findings := rbac_wildcard.deny with input as fx.cluster_role([fx.rule(["*"], ["*"], ["*"])])
	count(findings) == 3
	{f.path | some f in findings} == {["rules", 0, "apiGroups", 0], ["rules", 0, "resources", 0], ["rules", 0, "verbs", 0]}
	some f in findings
	f.path == ["rules", 0, "verbs", 0]
	f.message == `"*" in verbs grants every verb, deletecollection included, and the special verbs escalate, bind, impersonate, approve, sign and attest`
}

# The special verbs named are those of the rule's own groups and resources.
test_verbs_of_other_group_name_no_special_verb if {
	some f in rbac_wildcard.deny with input as fx.cluster_role([fx.rule(["custom.metrics.k8s.io"], ["*"], ["*"])])
	f.path == ["rules", 0, "verbs", 0]
	f.message == `"*" in verbs grants every verb, deletecollection included`
}

test_verbs_on_rbac_roles_name_escalate_and_bind if {
	some f in rbac_wildcard.deny with input as fx.role([fx.rule(["rbac.authorization.k8s.io"], ["roles", "rolebindings"], ["*"])])
	f.message == `"*" in verbs grants every verb, deletecollection included, and the special verbs escalate and bind`
}

test_verbs_on_service_accounts_name_impersonate if {
	some f in rbac_wildcard.deny with input as fx.role([fx.rule([""], ["serviceaccounts"], ["*"])])
	f.message == `"*" in verbs grants every verb, deletecollection included, and the special verb impersonate`
}

test_resources_denied if {
	findings := rbac_wildcard.deny with input as fx.role([fx.rule([""], ["configmaps"], ["get"]), fx.rule(["apps"], ["deployments", "*"], ["get"])])
	count(findings) == 1
	some f in findings
	f.path == ["rules", 1, "resources", 1]
	f.message == `"*" in resources grants every resource of apps, their subresources and those added later included`
}

test_first_of_two_stars_denied if {
	findings := rbac_wildcard.deny with input as fx.role([fx.rule(["apps"], ["deployments"], ["get", "*", "*"])])
	count(findings) == 1
	some f in findings
	f.path == ["rules", 0, "verbs", 1]
}

test_core_resources_denied if {
	some f in rbac_wildcard.deny with input as fx.role([fx.rule([""], ["*"], ["get"])])
	f.message == `"*" in resources grants every resource of the core group, Secrets and subresources such as pods/exec included, and those added later`
}

test_api_groups_denied if {
	some f in rbac_wildcard.deny with input as fx.role([fx.rule(["*"], ["deployments"], ["get"])])
	f.path == ["rules", 0, "apiGroups", 0]
	contains(f.message, "those that CRDs add later")
}

test_subresource_star_denied if {
	some f in rbac_wildcard.deny with input as fx.role([fx.rule([""], ["pods", "pods/*"], ["get"])])
	f.path == ["rules", 0, "resources", 1]
	f.message == `resource "pods/*" is not a wildcard: RBAC expands only "*" and "*/<subresource>", so it matches nothing; list the subresources (e.g. pods/log, pods/status)`
}

test_explicit_lists_allowed if {
	count(rbac_wildcard.deny) == 0 with input as fx.cluster_role([
		fx.rule(["", "apps"], ["pods", "deployments", "deployments/scale"], ["get", "list", "watch"]),
		{"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
	])
}

test_any_resource_subresource_allowed if {
	count(rbac_wildcard.deny) == 0 with input as fx.cluster_role([fx.rule(["apps"], ["*/scale"], ["get"])])
}

test_aggregated_cluster_role_allowed if {
	count(rbac_wildcard.deny) == 0 with input as {"object": {
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "monitoring"},
		"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate-to-monitoring": "true"}}]},
	}}
}

# signers, users and groups are cluster-scoped: a Role's "*" verbs reach escalate and bind on
# roles and impersonate on serviceaccounts only.
test_role_verbs_name_namespaced_special_verbs_only if {
	some f in rbac_wildcard.deny with input as fx.role([fx.rule(["*"], ["*"], ["*"])])
	f.path == ["rules", 0, "verbs", 0]
	f.message == `"*" in verbs grants every verb, deletecollection included, and the special verbs escalate, bind and impersonate`
}
