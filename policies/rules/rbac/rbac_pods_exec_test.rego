package jobguard.rules.rbac.rbac_pods_exec_test

import data.jobguard.lib.rbac_test as fx
import data.jobguard.rules.rbac.rbac_pods_exec

test_create_exec_in_role_denied if {
	findings := rbac_pods_exec.deny with input as fx.role([fx.rule([""], ["pods", "pods/exec"], ["get", "create"])])
	count(findings) == 1
	some f in findings
	f.path == ["rules", 0, "resources", 1]
	f.message == "grants create on pods/exec: it lets the subject exec into every pod in namespace ci"
}

test_cluster_role_star_denied if {
	some f in rbac_pods_exec.deny with input as fx.cluster_role([fx.rule(["*"], ["*"], ["*"])])
	f.path == ["rules", 0, "resources", 0]
	f.message == `grants "*" on "*": it lets the subject exec into, attach to and port-forward to every pod in every namespace once a ClusterRoleBinding binds this ClusterRole`
}

test_any_resource_attach_denied if {
	some f in rbac_pods_exec.deny with input as fx.cluster_role([fx.rule(["*"], ["*/attach"], ["create"])])
	f.path == ["rules", 0, "resources", 0]
	contains(f.message, "attach to every pod in every namespace")
}

test_port_forward_denied if {
	some f in rbac_pods_exec.deny with input as fx.role([fx.rule([""], ["pods/portforward"], ["*"])])
	f.message == `grants "*" on pods/portforward: it lets the subject port-forward to every pod in namespace ci`
}

test_get_only_before_1_35_denied if {
	some f in rbac_pods_exec.deny with input as fx.role([fx.rule([""], ["pods/exec"], ["get"])])
		with data.jobguard.target.kubeVersion.minor as 34
	f.message == "grants get on pods/exec: it lets the subject exec into every pod in namespace ci (get alone is enough over WebSocket before Kubernetes 1.35; the target is 1.34)"
}

test_get_only_since_1_35_allowed if {
	count(rbac_pods_exec.deny) == 0 with input as fx.role([fx.rule([""], ["pods/exec", "pods/attach"], ["get"])])
		with data.jobguard.target.kubeVersion.minor as 35
}

test_resource_names_allowed if {
	count(rbac_pods_exec.deny) == 0 with input as fx.role([object.union(
		fx.rule([""], ["pods/exec"], ["create", "get"]),
		{"resourceNames": ["debug-shell"]},
	)])
}

test_other_group_allowed if {
	count(rbac_pods_exec.deny) == 0 with input as fx.cluster_role([fx.rule(["apps"], ["*"], ["*"])])
}

test_logs_and_fake_wildcard_allowed if {
	count(rbac_pods_exec.deny) == 0 with input as fx.cluster_role([
		fx.rule([""], ["pods", "pods/log"], ["get", "list", "watch"]),
		fx.rule([""], ["pods/*"], ["create"]),
	])
}
