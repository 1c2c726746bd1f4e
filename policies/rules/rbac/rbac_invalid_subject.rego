# METADATA
# title: Binding subjects the API server rejects or can never match
# description: |
#   The API server validates each subject of a binding (pkg/apis/rbac/validation,
#   ValidateRoleBindingSubject): kind is ServiceAccount, User or Group; name is set; a ServiceAccount
#   name is a DNS subdomain and its apiGroup is empty; a User or Group has apiGroup
#   rbac.authorization.k8s.io (an empty one is defaulted to it); and a ServiceAccount subject of a
#   ClusterRoleBinding has a namespace. In a RoleBinding a ServiceAccount subject may leave the
#   namespace out: it means the binding's own, so that is not reported. The subject's namespace is
#   never validated: one that is not an RFC 1123 label (exampleNamespace) is accepted, but no
#   namespace can have that name, so the subject never matches anyone. That binding can never work,
#   so it is an error too, the one deliberate difference from the API server's verdict.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/rbac/validation/validation.go
#     description: "`ValidateRoleBindingSubject`: name required; a ServiceAccount name passes `ValidateServiceAccountName`, has no apiGroup and, outside a namespace (a ClusterRoleBinding), a namespace; User and Group have apiGroup rbac.authorization.k8s.io; any other kind is unsupported. The subject namespace is never validated."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/rbac/v1/defaults.go
#     description: "`SetDefaults_Subject` fills an empty apiGroup of a User or Group with rbac.authorization.k8s.io before validation."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/core/validation/validation.go
#     description: "`ValidateNamespaceName` is a DNS label check: no namespace can have another name, so such a subject never matches."
# custom:
#   id: rbac-invalid-subject
#   severity: error
#   kinds: [RoleBinding, ClusterRoleBinding]
#   remediation: Fix the subject as the message says; a ServiceAccount subject needs the namespace the ServiceAccount lives in, written in lowercase.
package jobguard.rules.rbac.rbac_invalid_subject

import data.jobguard.lib.rbac
import data.jobguard.lib.result

rbac_group := "rbac.authorization.k8s.io"

# v1alpha1 subjects carry apiVersion instead of apiGroup.
checks_api_group if rbac.obj.apiVersion != "rbac.authorization.k8s.io/v1alpha1"

rejected(i, field, detail) := sprintf("the API server rejects this subject: subjects[%d].%s: %s", [i, field, detail])

# Each subject's fields as strings ("" when absent or not a string), read once for every body.
subjects := [{
	"index": i, "object": is_object(s),
	"kind": rbac.str(s, "kind"), "name": rbac.str(s, "name"),
	"namespace": rbac.str(s, "namespace"), "apiGroup": rbac.str(s, "apiGroup"),
} |
	some i, s in rbac.subjects
]

deny contains result.fail(rejected(s.index, "kind", detail), ["subjects", s.index, "kind"]) if {
	some s in subjects
	s.object
	not s.kind in {"ServiceAccount", "User", "Group"}
	detail := sprintf("Unsupported value: %q: supported values: \"ServiceAccount\", \"User\", \"Group\"", [s.kind])
}

deny contains result.fail(rejected(s.index, "name", "Required value"), ["subjects", s.index, "name"]) if {
	some s in subjects
	s.object
	s.name == ""
}

deny contains result.fail(rejected(s.index, "name", detail), ["subjects", s.index, "name"]) if {
	some s in subjects
	s.kind == "ServiceAccount"
	s.name != ""
	errs := jobguard.k8s.dns1123_subdomain_errors(s.name)
	count(errs) > 0
	detail := sprintf("Invalid value: %q: %s", [s.name, concat("; ", errs)])
}

deny contains result.fail(rejected(s.index, "apiGroup", detail), ["subjects", s.index, "apiGroup"]) if {
	checks_api_group
	some s in subjects
	s.kind == "ServiceAccount"
	s.apiGroup != ""
	detail := sprintf("Unsupported value: %q: supported values: \"\" (a ServiceAccount is in the core group: leave apiGroup out)", [s.apiGroup])
}

deny contains result.fail(rejected(s.index, "apiGroup", detail), ["subjects", s.index, "apiGroup"]) if {
	checks_api_group
	some s in subjects
	s.kind in {"User", "Group"}
	not s.apiGroup in {"", rbac_group}
	detail := sprintf("Unsupported value: %q: supported values: %q", [s.apiGroup, rbac_group])
}

deny contains result.fail(msg, ["subjects", s.index, "namespace"]) if {
	rbac.is_cluster_role_binding
	some s in subjects
	s.kind == "ServiceAccount"
	s.namespace == ""
	msg := sprintf("%s (a ClusterRoleBinding has no namespace of its own to default it to; if a kustomization sets namespace:, lint its kustomize build output)", [rejected(s.index, "namespace", "Required value")])
}

# The API server never validates a subject's namespace: this one is accepted but matches nobody,
# so the binding can never work: an error, though the API server accepts it. A template
# placeholder (${NAMESPACE}) is a warning instead: the manifest is not meant to be applied as is.
deny contains finding if {
	some s in subjects
	s.kind == "ServiceAccount"
	s.namespace != ""
	errs := jobguard.k8s.dns1123_label_errors(s.namespace)
	count(errs) > 0
	not placeholder(s.namespace)
	finding := result.fail(sprintf("namespace %q is not a valid namespace name (%s): the API server accepts the binding, but no namespace can have this name, so this subject never matches a ServiceAccount", [s.namespace, concat("; ", errs)]), ["subjects", s.index, "namespace"])
}

deny contains result.fail_with_severity(msg, ["subjects", s.index, "namespace"], "warning") if {
	some s in subjects
	s.kind == "ServiceAccount"
	placeholder(s.namespace)
	count(jobguard.k8s.dns1123_label_errors(s.namespace)) > 0
	msg := sprintf("namespace %q looks like a template placeholder, not a namespace: lint the rendered manifests (no namespace can have this name)", [s.namespace])
}

placeholder(ns) if {
	some marker in ["${", "{{", "$("]
	contains(ns, marker)
}
