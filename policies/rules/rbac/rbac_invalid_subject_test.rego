package jobguard.rules.rbac.rbac_invalid_subject_test

import data.jobguard.lib.rbac_test as fx
import data.jobguard.rules.rbac.rbac_invalid_subject

only_finding(obj) := f if {
	findings := rbac_invalid_subject.deny with input as obj
	count(findings) == 1
	some f in findings
}

view := fx.cluster_role_ref("view")

test_cluster_binding_without_namespace_denied if {
	f := only_finding(fx.cluster_role_binding(view, [{"kind": "ServiceAccount", "name": "builder"}]))
	f.path == ["subjects", 0, "namespace"]
	startswith(f.message, "the API server rejects this subject: subjects[0].namespace: Required value (")
	not object.get(f, "severity", false)
}

test_invalid_namespace_denied if {
	f := only_finding(fx.role_binding(view, [fx.service_account("builder", "ci"), fx.service_account("builder", "exampleNamespace")]))
	f.path == ["subjects", 1, "namespace"]
	not object.get(f, "severity", false)
	startswith(f.message, `namespace "exampleNamespace" is not a valid namespace name (a lowercase RFC 1123 label must consist of`)
	endswith(f.message, "the API server accepts the binding, but no namespace can have this name, so this subject never matches a ServiceAccount")
}

test_placeholder_namespace_denied if {
	f := only_finding(fx.cluster_role_binding(view, [fx.service_account("builder", "${NAMESPACE}")]))
	f.severity == "warning"
	contains(f.message, "looks like a template placeholder, not a namespace: lint the rendered manifests")
}

test_unsupported_kind_denied if {
	f := only_finding(fx.role_binding(view, [{"kind": "serviceaccount", "name": "builder"}]))
	f.path == ["subjects", 0, "kind"]
	f.message == `the API server rejects this subject: subjects[0].kind: Unsupported value: "serviceaccount": supported values: "ServiceAccount", "User", "Group"`
}

test_invalid_service_account_name_denied if {
	f := only_finding(fx.role_binding(view, [fx.service_account("CI_Builder", "ci")]))
	f.path == ["subjects", 0, "name"]
	startswith(f.message, `the API server rejects this subject: subjects[0].name: Invalid value: "CI_Builder": a lowercase RFC 1123 subdomain`)
}

test_missing_name_denied if {
	f := only_finding(fx.role_binding(view, [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io"}]))
	f.path == ["subjects", 0, "name"]
	f.message == "the API server rejects this subject: subjects[0].name: Required value"
}

test_service_account_api_group_denied if {
	f := only_finding(fx.role_binding(view, [object.union(fx.service_account("builder", "ci"), {"apiGroup": "rbac.authorization.k8s.io"})]))
	f.path == ["subjects", 0, "apiGroup"]
	startswith(f.message, `the API server rejects this subject: subjects[0].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""`)
}

test_user_api_group_denied if {
	f := only_finding(fx.cluster_role_binding(view, [{"kind": "Group", "name": "developers", "apiGroup": "v1"}]))
	f.path == ["subjects", 0, "apiGroup"]
	f.message == `the API server rejects this subject: subjects[0].apiGroup: Unsupported value: "v1": supported values: "rbac.authorization.k8s.io"`
}

test_valid_subjects_allowed if {
	count(rbac_invalid_subject.deny) == 0 with input as fx.cluster_role_binding(view, [
		fx.service_account("builder", "ci"),
		{"kind": "ServiceAccount", "name": "builder", "namespace": "ci", "apiGroup": ""},
		{"kind": "User", "name": "jane@example.com"},
		{"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"},
	])
}

test_role_binding_without_namespace_allowed if {
	count(rbac_invalid_subject.deny) == 0 with input as fx.role_binding(view, [{"kind": "ServiceAccount", "name": "builder"}])
}

test_v1alpha1_api_version_allowed if {
	count(rbac_invalid_subject.deny) == 0 with input as {"object": {
		"apiVersion": "rbac.authorization.k8s.io/v1alpha1", "kind": "RoleBinding",
		"metadata": {"name": "builder", "namespace": "ci"}, "roleRef": view,
		"subjects": [{"kind": "ServiceAccount", "name": "builder", "apiVersion": "v1", "apiGroup": "ignored"}],
	}}
}
