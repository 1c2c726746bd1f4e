# METADATA
# title: Wildcards in RBAC rules
# description: |
#   "*" in verbs, resources or apiGroups grants more than anyone reviewed: every verb (escalate,
#   bind and impersonate included where they apply), every resource (Secrets, pods/exec) and every
#   API group, including the ones that CRDs and new Kubernetes versions add later. Reported once
#   per field, at its first "*". Also reported: a resource written "pods/*", which looks like a
#   wildcard but is not one: the authorizer expands only "*" and "*/<subresource>", so it matches
#   nothing.
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
	stars := {k | rule[field][k] == "*"}
	count(stars) > 0
	j := min(stars)
	msg := sprintf("\"*\" in %s grants %s", [field, grants(field, rule)])
}

grants("verbs", _) := "every verb, deletecollection and the special ones (escalate, bind, impersonate) included"

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
