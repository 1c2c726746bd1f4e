# Builders for RBAC rule tests, and tests of the RBAC helpers.
package jobguard.lib.rbac_test

import data.jobguard.lib.rbac

rule(groups, resources, verbs) := {"apiGroups": groups, "resources": resources, "verbs": verbs}

# role returns {"object": Role} in namespace ci with these rules.
role(rules) := {"object": {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
	"metadata": {"name": "deployer", "namespace": "ci"},
	"rules": rules,
}}

# cluster_role returns {"object": ClusterRole} with these rules.
cluster_role(rules) := {"object": {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
	"metadata": {"name": "deployer"},
	"rules": rules,
}}

cluster_role_ref(name) := {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}

# role_binding returns {"object": RoleBinding} in namespace ci.
role_binding(role_ref, subjects) := {"object": {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
	"metadata": {"name": "deployer", "namespace": "ci"},
	"roleRef": role_ref, "subjects": subjects,
}}

# cluster_role_binding returns {"object": ClusterRoleBinding}.
cluster_role_binding(role_ref, subjects) := {"object": {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
	"metadata": {"name": "deployer"},
	"roleRef": role_ref, "subjects": subjects,
}}

service_account(name, namespace) := {"kind": "ServiceAccount", "name": name, "namespace": namespace}

test_covers_allowed if {
	rbac.covers("*", "pods/exec")
	rbac.covers("pods/exec", "pods/exec")
	rbac.covers("*/exec", "pods/exec")
	not rbac.covers("pods/*", "pods/exec")
	not rbac.covers("*/exec", "pods")
	not rbac.covers("pods", "pods/exec")
}

test_grants_allowed if {
	rbac.grants({"verbs": ["get", "list"]}, "list")
	rbac.grants({"verbs": ["*"]}, "create")
	not rbac.grants({"verbs": ["get"]}, "list")
	not rbac.grants({"verbs": "get"}, "get")
}

test_in_group_allowed if {
	rbac.in_group({"apiGroups": [""]}, "")
	rbac.in_group({"apiGroups": ["*"]}, "apps")
	not rbac.in_group({"apiGroups": ["apps"]}, "")
}

test_and_join_allowed if {
	rbac.and_join(["a"]) == "a"
	rbac.and_join(["a", "b"]) == "a and b"
	rbac.and_join(["a", "b", "c"]) == "a, b and c"
}

test_reach_allowed if {
	rbac.reach("every pod") == "every pod in namespace ci" with input as role([])
	rbac.reach("every pod") == "every pod in every namespace once a ClusterRoleBinding binds this ClusterRole" with input as cluster_role([])
	rbac.reach("every pod") == "every pod in the Role's namespace" with input as {"object": {"kind": "Role"}}
}

test_malformed_input_allowed if {
	rbac.rules == [] with input as {"object": {"kind": "Role", "rules": "none"}}
	rbac.list("not an object", "verbs") == []
	rbac.subject_name({"kind": "User", "name": "jane"}) == "User jane"
	rbac.subject_name({"kind": "ServiceAccount", "name": "ci", "namespace": "build"}) == "ServiceAccount build/ci"
}
