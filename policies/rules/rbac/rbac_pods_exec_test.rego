package jobguard.rules.rbac.rbac_pods_exec_test

import data.jobguard.lib.rbac
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
	f.message == `grants "*" on "*": it lets the subject exec into, attach to, port-forward to and proxy requests to every pod in every namespace once a ClusterRoleBinding binds this ClusterRole and call the kubelet API of every node, whose /exec and /run endpoints run commands in every pod on it (get on nodes/proxy is enough, and no pods/exec check applies)`
}

test_pods_proxy_get_denied if {
	findings := rbac_pods_exec.deny with input as fx.role([fx.rule([""], ["pods", "pods/proxy"], ["get", "list"])])
	count(findings) == 1
	some f in findings
	f.path == ["rules", 0, "resources", 1]
	f.message == "grants get on pods/proxy: it lets the subject proxy requests to every pod in namespace ci"
}

test_nodes_proxy_get_in_cluster_role_denied if {
	some f in rbac_pods_exec.deny with input as fx.cluster_role([fx.rule([""], ["nodes", "nodes/proxy"], ["get"])])
	f.path == ["rules", 0, "resources", 1]
	startswith(f.message, "grants get on nodes/proxy: it lets the subject call the kubelet API of every node")
}

test_any_proxy_denied if {
	some f in rbac_pods_exec.deny with input as fx.cluster_role([fx.rule(["*"], ["*/proxy"], ["create"])])
	contains(f.message, "proxy requests to every pod in every namespace")
	contains(f.message, "kubelet API of every node")
}

# Nodes are cluster-scoped: a Role's nodes/proxy grants nothing.
test_nodes_proxy_in_role_allowed if {
	count(rbac_pods_exec.deny) == 0 with input as fx.role([fx.rule([""], ["nodes/proxy"], ["get", "create"])])
}

# A read-only "*" in a Role reaches pods/proxy (get), not exec since 1.35.
test_star_get_in_role_is_proxy_only if {
	some f in rbac_pods_exec.deny with input as fx.role([fx.rule([""], ["*"], ["get", "list", "watch"])])
	f.message == `grants get on "*": it lets the subject proxy requests to every pod in namespace ci`
}

test_metrics_and_stats_allowed if {
	count(rbac_pods_exec.deny) == 0 with input as fx.cluster_role([fx.rule([""], ["nodes/metrics", "nodes/stats", "services/proxy"], ["get"])])
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

# Each verb is named once, though it grants several of the actions.
test_repeated_verbs_before_1_35_denied if {
	some f in rbac_pods_exec.deny with input as fx.cluster_role([fx.rule([""], ["*"], ["get", "create", "get"])])
		with data.jobguard.target.kubeVersion.minor as 34
	f.message == `grants get, create on "*": it lets the subject exec into, attach to, port-forward to and proxy requests to every pod in every namespace once a ClusterRoleBinding binds this ClusterRole and call the kubelet API of every node, whose /exec and /run endpoints run commands in every pod on it (get on nodes/proxy is enough, and no pods/exec check applies)`
}

test_get_list_on_any_stream_before_1_35_denied if {
	findings := rbac_pods_exec.deny with input as fx.role([fx.rule([""], ["*/exec", "*/attach"], ["list", "get"])])
		with data.jobguard.target.kubeVersion.minor as 30
	{f.message | some f in findings} == {
		"grants get on */exec: it lets the subject exec into every pod in namespace ci (get alone is enough over WebSocket before Kubernetes 1.35; the target is 1.30)",
		"grants get on */attach: it lets the subject attach to every pod in namespace ci (get alone is enough over WebSocket before Kubernetes 1.35; the target is 1.30)",
	}
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

# reaching must match entries the way rbac.covers (the authorizer's ResourceMatches) does.
test_reaching_agrees_with_covers if {
	resources := rbac_pods_exec.reaching["*"]
	patterns := object.keys(rbac_pods_exec.reaching) | {"pods", "nodes", "pods/*", "*/status", "services/proxy", "exec", "pods/exec/x"}
	every pattern in patterns {
		object.get(rbac_pods_exec.reaching, pattern, []) == [r | some r in resources; rbac.covers(pattern, r)]
	}
}
