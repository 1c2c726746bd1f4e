package jobguard.rules.rbac.rbac_escalation_test

import data.jobguard.lib.rbac_test as fx
import data.jobguard.rules.rbac.rbac_escalation

test_escalate_denied if {
	findings := rbac_escalation.deny with input as fx.cluster_role([fx.rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["get", "escalate"])])
	count(findings) == 1
	some f in findings
	f.path == ["rules", 0, "verbs", 1]
	f.message == "grants escalate on clusterroles: the subject can write roles with permissions it does not hold, so it can give itself any permission"
}

test_bind_denied if {
	some f in rbac_escalation.deny with input as fx.role([fx.rule(["rbac.authorization.k8s.io"], ["roles"], ["bind"])])
	f.path == ["rules", 0, "verbs", 0]
	contains(f.message, "grants bind on roles: the subject can bind roles with permissions it does not hold")
}

test_bind_cluster_admin_by_name_denied if {
	some f in rbac_escalation.deny with input as fx.cluster_role([object.union(
		fx.rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["bind"]),
		{"resourceNames": ["view", "cluster-admin"]},
	)])
	f.path == ["rules", 0, "verbs", 0]
}

test_impersonate_denied if {
	some f in rbac_escalation.deny with input as fx.cluster_role([fx.rule([""], ["users", "groups", "pods"], ["impersonate"])])
	f.path == ["rules", 0, "verbs", 0]
	f.message == "grants impersonate on groups, users: the subject can act as another user, group or ServiceAccount, with all of its permissions"
}

test_impersonate_user_extras_denied if {
	some f in rbac_escalation.deny with input as fx.cluster_role([fx.rule(["authentication.k8s.io"], ["userextras/scopes"], ["impersonate"])])
	f.path == ["rules", 0, "verbs", 0]
}

test_star_verbs_on_roles_denied if {
	some f in rbac_escalation.deny with input as fx.role([fx.rule(["rbac.authorization.k8s.io"], ["roles", "rolebindings"], ["*"])])
	f.path == ["rules", 0, "verbs", 0]
	f.message == "grants \"*\" on roles, which includes escalate and bind: the subject can give itself any permission"
}

test_star_everything_denied if {
	some f in rbac_escalation.deny with input as fx.cluster_role([fx.rule(["*"], ["*"], ["*"])])
	f.message == "grants \"*\" on \"*\", which includes escalate, bind and impersonate: the subject can give itself any permission"
}

test_cluster_admin_cluster_binding_denied if {
	findings := rbac_escalation.deny with input as fx.cluster_role_binding(fx.cluster_role_ref("cluster-admin"), [fx.service_account("deployer", "ci")])
	count(findings) == 1
	some f in findings
	f.path == ["roleRef", "name"]
	f.message == "gives cluster-admin to ServiceAccount ci/deployer: every permission on every resource of the cluster"
}

test_cluster_admin_role_binding_denied if {
	some f in rbac_escalation.deny with input as fx.role_binding(fx.cluster_role_ref("cluster-admin"), [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}])
	f.message == "gives cluster-admin to User jane: every permission in namespace ci, its Secrets, Roles and RoleBindings included"
}

test_bind_delegated_by_name_allowed if {
	count(rbac_escalation.deny) == 0 with input as fx.cluster_role([object.union(
		fx.rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["bind"]),
		{"resourceNames": ["view", "edit"]},
	)])
}

test_verbs_elsewhere_allowed if {
	count(rbac_escalation.deny) == 0 with input as fx.cluster_role([
		fx.rule(["rbac.authorization.k8s.io"], ["rolebindings", "roles"], ["get", "list", "create"]),
		fx.rule([""], ["configmaps", "serviceaccounts/token"], ["*"]),
		fx.rule(["apps"], ["*"], ["*"]),
		fx.rule([""], ["pods"], ["bind"]),
	])
}

test_system_masters_allowed if {
	count(rbac_escalation.deny) == 0 with input as fx.cluster_role_binding(fx.cluster_role_ref("cluster-admin"), [{"kind": "Group", "name": "system:masters", "apiGroup": "rbac.authorization.k8s.io"}])
}

test_other_roles_allowed if {
	count(rbac_escalation.deny) == 0 with input as fx.cluster_role_binding(fx.cluster_role_ref("admin"), [fx.service_account("deployer", "ci")])
	count(rbac_escalation.deny) == 0 with input as fx.role_binding({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cluster-admin"}, [fx.service_account("deployer", "ci")])
}

test_impersonate_by_name_denied if {
	some f in rbac_escalation.deny with input as fx.cluster_role([object.union(
		fx.rule([""], ["serviceaccounts"], ["impersonate"]),
		{"resourceNames": ["release-bot"]},
	)])
	f.message == "grants impersonate on serviceaccounts: the subject can act as release-bot (its resourceNames), with all of their permissions"
}

test_admission_webhook_writes_denied if {
	findings := rbac_escalation.deny with input as fx.cluster_role([fx.rule(
		["admissionregistration.k8s.io"],
		["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
		["get", "list", "patch", "delete"],
	)])
	count(findings) == 1
	some f in findings
	f.path == ["rules", 0, "verbs", 2]
	f.message == "grants patch, delete on mutatingwebhookconfigurations, validatingwebhookconfigurations: the subject can register admission webhooks or policies, which see and may rewrite every object written to the cluster (RoleBindings included), or remove the ones that check it"
}

test_admission_policies_star_denied if {
	some f in rbac_escalation.deny with input as fx.cluster_role([fx.rule(["admissionregistration.k8s.io"], ["*"], ["*"])])
	f.path == ["rules", 0, "verbs", 0]
	contains(f.message, "grants \"*\" on \"*\": the subject can register admission webhooks")
}

test_admission_star_everything_reported_once if {
	findings := rbac_escalation.deny with input as fx.cluster_role([fx.rule(["*"], ["*"], ["*"])])
	count(findings) == 1
}

test_admission_in_a_role_allowed if {
	# Cluster-scoped resources: a Role grants nothing on them.
	count(rbac_escalation.deny) == 0 with input as fx.role([fx.rule(["admissionregistration.k8s.io"], ["validatingwebhookconfigurations"], ["delete"])])
}

test_admission_named_or_read_allowed if {
	count(rbac_escalation.deny) == 0 with input as fx.cluster_role([
		object.union(
			fx.rule(["admissionregistration.k8s.io"], ["validatingwebhookconfigurations"], ["get", "patch"]),
			{"resourceNames": ["jobguard"]},
		),
		fx.rule(["admissionregistration.k8s.io"], ["mutatingwebhookconfigurations"], ["get", "list", "watch"]),
		fx.rule(["apps"], ["deployments"], ["patch"]),
	])
}

# Users and groups are impersonated cluster-wide: a Role cannot grant it; a ServiceAccount is
# impersonated in its namespace, so a Role can.
test_role_impersonate_users_allowed if {
	count(rbac_escalation.deny) == 0 with input as fx.role([fx.rule([""], ["users", "groups"], ["impersonate"])])
}

test_role_impersonate_serviceaccounts_denied if {
	some f in rbac_escalation.deny with input as fx.role([fx.rule([""], ["users", "serviceaccounts"], ["impersonate"])])
	f.message == "grants impersonate on serviceaccounts: the subject can act as another user, group or ServiceAccount, with all of its permissions"
}

# escalate on clusterroles is checked when a ClusterRole is written, without a namespace.
test_role_escalate_clusterroles_allowed if {
	count(rbac_escalation.deny) == 0 with input as fx.role([fx.rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["escalate"])])
}
