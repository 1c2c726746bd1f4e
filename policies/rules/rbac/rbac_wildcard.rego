# METADATA
# title: Wildcards in RBAC rules
# description: |
#   "*" in verbs, resources or apiGroups grants more than anyone reviewed: every verb (escalate,
#   bind and impersonate included where they apply), every resource (Secrets, pods/exec) and every
#   API group, including the ones that CRDs and new Kubernetes versions add later. Reported once
#   per field, at its first "*". Also reported: a resource written "pods/*", which looks like a
#   wildcard but is not one: the authorizer expands only "*" and "*/<subresource>", so it matches
#   nothing.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/rbac/v1/evaluation_helpers.go
#     description: "`VerbMatches`, `APIGroupMatches` and `ResourceMatches` treat * as everything (`VerbAll`, `APIGroupAll`, `ResourceAll`), and expand only * and */<subresource>: pods/* is compared literally."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/rbac/escalation_check.go
#     description: "`RoleEscalationAuthorized` (escalate) and `BindingAuthorized` (bind): special verbs a verbs * includes on roles and clusterroles."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation/impersonation.go
#     description: "`WithImpersonation` checks impersonate on users, groups, serviceaccounts, userextras and uids."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/certauthorization/certauthorization.go
#     description: "`IsAuthorizedForSignerName` checks approve, sign and attest on signers."
# custom:
#   id: rbac-wildcard
#   severity: warning
#   kinds: [Role, ClusterRole]
#   remediation: List the verbs, resources and API groups the subject needs instead of "*".
package jobguard.rules.rbac.rbac_wildcard

import data.jobguard.lib.rbac
import data.jobguard.lib.result

fields := ["apiGroups", "resources", "verbs"]

deny contains result.fail(msg, ["rules", i, field, j]) if {
	some i, rule in rbac.rules
	some field in fields
	"*" in rule[field] # most fields have none: skip building the set
	stars := {k | rule[field][k] == "*"}
	count(stars) > 0
	j := min(stars)
	msg := sprintf("\"*\" in %s grants %s", [field, grants(field, rule)])
}

grants("verbs", rule) := sprintf("every verb, deletecollection included, and the special %s %s", [plural(specials), rbac.and_join(specials)]) if {
	specials := [v | some v in special_order; reaches_special(rule, v)]
	count(specials) > 0
} else := "every verb, deletecollection included"

plural(l) := "verb" if count(l) == 1

else := "verbs"

# special[verb] holds the [group, resource] pairs the API server checks a special verb on.
special := {
	"escalate": {["rbac.authorization.k8s.io", "roles"], ["rbac.authorization.k8s.io", "clusterroles"]},
	"bind": {["rbac.authorization.k8s.io", "roles"], ["rbac.authorization.k8s.io", "clusterroles"]},
	"impersonate": {
		["", "users"], ["", "groups"], ["", "serviceaccounts"],
		["authentication.k8s.io", "uids"], ["authentication.k8s.io", "userextras"],
	},
	"approve": {["certificates.k8s.io", "signers"]},
	"sign": {["certificates.k8s.io", "signers"]},
	"attest": {["certificates.k8s.io", "signers"]},
}

special_order := ["escalate", "bind", "impersonate", "approve", "sign", "attest"]

# Checks made without a namespace, which a Role's rules never match: escalate on a ClusterRole
# (bind on one is checked in the RoleBinding's namespace), impersonating users, groups, uids and
# extras (a ServiceAccount is impersonated in its namespace), and the signer checks.
cluster_scoped := {
	["escalate", "clusterroles"], ["impersonate", "users"], ["impersonate", "groups"],
	["impersonate", "uids"], ["impersonate", "userextras"],
	["approve", "signers"], ["sign", "signers"], ["attest", "signers"],
}

# reaches_special(rule, verb): the rule's groups and resources include one that verb is checked on.
reaches_special(rule, verb) if {
	some [group, resource] in special[verb]
	not role_misses(verb, resource)
	rbac.in_group(rule, group)
	some pattern in rbac.list(rule, "resources")
	special_covers(pattern, resource)
}

role_misses(verb, resource) if {
	rbac.is_role
	cluster_scoped[[verb, resource]]
}

special_covers(pattern, resource) if rbac.covers(pattern, resource)

special_covers(pattern, "userextras") if startswith(pattern, "userextras/")

grants("apiGroups", _) := "the resources of every API group, those that CRDs add later included"

grants("resources", rule) := "every resource, Secrets and subresources such as pods/exec included, and those added later" if {
	"*" in rbac.list(rule, "apiGroups")
} else := "every resource of the core group, Secrets and subresources such as pods/exec included, and those added later" if {
	"" in rbac.list(rule, "apiGroups")
} else := sprintf("every resource of %s, their subresources and those added later included", [concat(", ", [g | some g in rbac.list(rule, "apiGroups"); is_string(g)])])

deny contains result.fail(msg, ["rules", i, "resources", j]) if {
	some i, rule in rbac.rules
	some j, r in rule.resources
	is_string(r)
	endswith(r, "/*")
	msg := sprintf("resource %q is not a wildcard: RBAC expands only \"*\" and \"*/<subresource>\", so it matches nothing; list the subresources (e.g. %s)", [r, examples(trim_suffix(r, "/*"))])
}

examples("pods") := "pods/log, pods/status"

examples(base) := sprintf("%s/status", [base]) if base != "pods"
