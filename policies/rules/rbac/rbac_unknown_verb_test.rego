package jobguard.rules.rbac.rbac_unknown_verb_test

import data.jobguard.lib.rbac_test as fx
import data.jobguard.rules.rbac.rbac_unknown_verb

only_finding(obj) := f if {
	findings := rbac_unknown_verb.deny with input as obj
	count(findings) == 1
	some f in findings
}

test_exec_on_pods_denied if {
	f := only_finding(fx.role([fx.rule([""], ["pods"], ["get", "exec"])]))
	f.path == ["rules", 0, "verbs", 1]
	f.message == `verb "exec" on pods grants nothing (never checked there); exec is create on pods/exec: grant create on pods/exec, and get on pods, which kubectl exec reads first`
	not f.severity # a verb that does not exist: the rule's warning
}

test_scale_on_deployments_denied if {
	f := only_finding(fx.role([fx.rule(["apps"], ["deployments", "statefulsets"], ["get", "scale"])]))
	f.path == ["rules", 0, "verbs", 1]
	endswith(f.message, "scaling is update or patch on the scale subresource: grant them on deployments/scale, statefulsets/scale")
}

test_logs_denied if {
	f := only_finding(fx.role([fx.rule([""], ["pods"], ["logs"])]))
	f.path == ["rules", 0, "verbs", 0]
	endswith(f.message, "logs are read with get on pods/log")
}

test_port_forward_denied if {
	f := only_finding(fx.role([fx.rule([""], ["pods"], ["port-forward"])]))
	contains(f.message, "grant create on pods/portforward, and get on pods")
}

test_proxy_denied if {
	f := only_finding(fx.cluster_role([fx.rule([""], ["services", "nodes"], ["get", "proxy"])]))
	f.path == ["rules", 0, "verbs", 1]
	contains(f.message, `verb "proxy" on services, nodes grants nothing`)
	contains(f.message, "removed in Kubernetes 1.10")
}

test_list_on_subresource_denied if {
	findings := rbac_unknown_verb.deny with input as fx.role([fx.rule([""], ["pods/log"], ["get", "list", "watch"])])
	{f.path | some f in findings} == {["rules", 0, "verbs", 1], ["rules", 0, "verbs", 2]}
	some f in findings
	f.path == ["rules", 0, "verbs", 1]
	f.message == `verb "list" on pods/log grants nothing (never checked there); requests on a subresource always name one object, so they are never list, watch or deletecollection (reading one is get)`
	every f in findings {
		f.severity == "info" # harmless, and what kubebuilder markers generate
	}
}

test_watch_on_custom_subresource_info if {
	f := only_finding(fx.cluster_role([fx.rule(["example.com"], ["widgets/status"], ["get", "watch"])]))
	f.path == ["rules", 0, "verbs", 1]
	f.severity == "info"
}

# deletecollection on a subresource is not what kubebuilder markers write: it stays a warning.
test_deletecollection_on_subresource_warning if {
	f := only_finding(fx.role([fx.rule([""], ["pods/log"], ["get", "deletecollection"])]))
	not f.severity
}

# list on a resource that takes only create is a warning, subresource or not among its resources.
test_list_on_only_resource_and_subresource_warning if {
	f := only_finding(fx.cluster_role([fx.rule(["authentication.k8s.io", "authorization.k8s.io"], ["tokenreviews", "subjectaccessreviews"], ["create", "list"])]))
	not f.severity
}

test_update_on_pods_log_denied if {
	f := only_finding(fx.role([fx.rule([""], ["pods/log", "pods/eviction"], ["update"])]))
	endswith(f.message, "pods/log takes only get; pods/eviction takes only create")
}

test_get_on_token_review_denied if {
	findings := rbac_unknown_verb.deny with input as fx.cluster_role([fx.rule(["authentication.k8s.io"], ["tokenreviews"], ["create", "get", "list"])])
	{f.path | some f in findings} == {["rules", 0, "verbs", 1], ["rules", 0, "verbs", 2]}
	some f in findings
	f.path == ["rules", 0, "verbs", 2]
	endswith(f.message, "; tokenreviews takes only create")
	not f.severity
}

test_uppercase_denied if {
	f := only_finding(fx.role([fx.rule([""], ["configmaps"], ["GET"])]))
	endswith(f.message, `verbs are lowercase: write "get"`)
}

test_bind_on_rolebindings_denied if {
	f := only_finding(fx.role([fx.rule(["rbac.authorization.k8s.io"], ["rolebindings"], ["create", "bind"])]))
	f.path == ["rules", 0, "verbs", 1]
	endswith(f.message, "bind is checked only on roles and clusterroles (apiGroups rbac.authorization.k8s.io), when a binding refers to them")
}

test_impersonate_in_rbac_group_denied if {
	f := only_finding(fx.cluster_role([fx.rule(["rbac.authorization.k8s.io"], ["users"], ["impersonate"])]))
	contains(f.message, `impersonate is checked only on users, groups and serviceaccounts (apiGroups "")`)
}

test_use_on_pods_denied if {
	f := only_finding(fx.role([fx.rule([""], ["pods"], ["use"])]))
	contains(f.message, "use is checked only on securitycontextconstraints")
}

test_approve_on_csr_denied if {
	f := only_finding(fx.cluster_role([fx.rule(["certificates.k8s.io"], ["certificatesigningrequests"], ["get", "approve"])]))
	contains(f.message, "update on certificatesigningrequests/approval and approve on signers")
}

test_unknown_verb_denied if {
	f := only_finding(fx.role([fx.rule(["batch"], ["jobs"], ["run"])]))
	endswith(f.message, "the verbs are get, list, watch, create, update, patch, delete and deletecollection, plus use, bind, escalate, impersonate, approve, sign and attest on specific resources")
}

test_star_group_builtin_resource_denied if {
	f := only_finding(fx.role([fx.rule(["*"], ["pods"], ["exec"])]))
	f.path == ["rules", 0, "verbs", 0]
}

test_non_resource_list_denied if {
	f := only_finding(fx.cluster_role([{"nonResourceURLs": ["/metrics", "/healthz"], "verbs": ["get", "list"]}]))
	f.path == ["rules", 0, "verbs", 1]
	f.message == `verb "list" on non-resource URLs (/metrics, /healthz) grants nothing: they are authorized with their lowercase HTTP method (get, post, put, patch, delete, head, options); use "get"`
}

test_standard_verbs_allowed if {
	count(rbac_unknown_verb.deny) == 0 with input as fx.role([
		fx.rule(["", "apps"], ["pods", "deployments"], ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]),
		fx.rule([""], ["pods", "pods/log"], ["get", "list", "watch"]),
		fx.rule([""], ["pods/exec", "pods/portforward"], ["create", "get"]),
		fx.rule(["apps"], ["deployments/scale", "*/status"], ["get", "update", "patch"]),
		fx.rule([""], ["pods/eviction", "serviceaccounts/token"], ["create"]),
	])
}

test_special_verbs_allowed if {
	count(rbac_unknown_verb.deny) == 0 with input as fx.cluster_role([
		fx.rule(["security.openshift.io"], ["securitycontextconstraints"], ["use"]),
		fx.rule(["rbac.authorization.k8s.io"], ["roles", "clusterroles"], ["bind", "escalate"]),
		fx.rule([""], ["users", "groups", "serviceaccounts"], ["impersonate"]),
		fx.rule(["authentication.k8s.io"], ["userextras/scopes", "uids"], ["impersonate"]),
		fx.rule(["certificates.k8s.io"], ["signers"], ["approve", "sign", "attest"]),
		fx.rule(["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"]),
		fx.rule([""], ["api"], ["request-serviceaccounts-token-audience"]),
		fx.rule(["apps"], ["deployments"], ["unsafe-delete-ignore-read-errors"]),
		fx.rule(["authentication.k8s.io"], ["users"], ["impersonate:user-info"]),
		fx.rule([""], ["pods"], ["impersonate-on:user-info:list"]),
	])
}

test_wildcards_allowed if {
	count(rbac_unknown_verb.deny) == 0 with input as fx.cluster_role([
		fx.rule(["*"], ["*"], ["*"]),
		fx.rule([""], ["*"], ["impersonate"]),
		{"nonResourceURLs": ["*"], "verbs": ["*"]},
	])
}

test_custom_group_verb_allowed if {
	count(rbac_unknown_verb.deny) == 0 with input as fx.cluster_role([
		fx.rule(["cert-manager.io"], ["signers"], ["approve"]),
		fx.rule(["management.cattle.io"], ["projects"], ["own", "updatepsa"]),
		fx.rule(["*"], ["widgets"], ["frobnicate"]),
	])
}

test_non_resource_http_verbs_allowed if {
	count(rbac_unknown_verb.deny) == 0 with input as fx.cluster_role([{"nonResourceURLs": ["/metrics", "/api/*"], "verbs": ["get", "head", "post"]}])
}

test_invalid_rule_allowed if {
	# Left to the API server's validation: no resources, no verbs, or both kinds of rule.
	count(rbac_unknown_verb.deny) == 0 with input as fx.cluster_role([
		{"apiGroups": [""], "verbs": ["exec"]},
		{"apiGroups": [""], "resources": ["pods"], "nonResourceURLs": ["/metrics"], "verbs": ["get"]},
		"not a rule",
	])
}

# PodSecurityPolicy, the only built-in check of use, was removed in Kubernetes 1.25.
test_use_on_pod_security_policies_since_1_25_denied if {
	f := only_finding(fx.cluster_role([fx.rule(["policy"], ["podsecuritypolicies"], ["use"])]))
	contains(f.message, "removed in 1.25")
}

test_use_on_pod_security_policies_before_1_25_allowed if {
	count(rbac_unknown_verb.deny) == 0 with input as fx.cluster_role([fx.rule(["policy"], ["podsecuritypolicies"], ["use"])])
		with data.jobguard.target.kubeVersion.minor as 24
}

# taken_somewhere is a shortcut: wherever it holds, granted does too.
test_taken_somewhere_implies_granted if {
	cases := [[verb, resources, groups] |
		some verb in rbac_unknown_verb.standard
		some resources in [["pods/exec"], ["deployments/scale"], ["pods/log", "pods/status"], ["tokenreviews"], ["bindings", "pods/eviction"], ["widgets/status", 7]]
		some groups in [{""}, {"*"}, {"apps"}, {"authentication.k8s.io"}, {"example.com"}]
		rbac_unknown_verb.taken_somewhere(verb, resources)
	]
	count(cases) > 0
	every c in cases {
		rbac_unknown_verb.granted(c[0], c[2], c[1])
	}
}
