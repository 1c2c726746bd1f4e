# METADATA
# description: |
#   Where things live in Roles, ClusterRoles and their bindings, and how the RBAC authorizer matches a
#   policy rule against a request (k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go). Every
#   helper tolerates malformed input: a field that is not a list holds nothing. Rules run on every
#   admission request: iterate fields directly (`some k, verb in rule.verbs`, which yields nothing
#   when verbs is not a list), put set lookups before function calls, and call these helpers once
#   per policy rule rather than once per element.
package jobguard.lib.rbac

obj := input.object

kind := object.get(obj, "kind", "")

is_role if kind == "Role"

is_cluster_role if kind == "ClusterRole"

is_role_binding if kind == "RoleBinding"

is_cluster_role_binding if kind == "ClusterRoleBinding"

namespace := object.get(obj, ["metadata", "namespace"], "")

# rules is the policy rules of a Role or ClusterRole: iterate with `some i, rule in rbac.rules`.
rules := r if {
	r := obj.rules
	is_array(r)
} else := []

# subjects is the subjects of a RoleBinding or ClusterRoleBinding.
subjects := s if {
	s := obj.subjects
	is_array(s)
} else := []

role_ref := r if {
	r := obj.roleRef
	is_object(r)
} else := {}

# list(o, field) is o[field] when it is a list, else [].
list(o, field) := l if {
	l := o[field]
	is_array(l)
} else := []

# str(o, field) is o[field] when it is a string, else "".
str(o, field) := s if {
	s := o[field]
	is_string(s)
} else := ""

# grants(rule, verb): the rule's verbs include verb, or "*" (VerbMatches).
grants(rule, verb) if {
	some v in rule.verbs
	v in {verb, "*"}
}

# in_group(rule, group): the rule's apiGroups include group, or "*" (APIGroupMatches).
in_group(rule, group) if {
	some g in rule.apiGroups
	g in {group, "*"}
}

# covers(pattern, resource): an entry of resources matches resource, given as "pods" or
# "pods/exec" (ResourceMatches). Only "*" and "*/<subresource>" are patterns: "pods/*" is not.
covers(pattern, _) if pattern == "*"

covers(pattern, resource) if pattern == resource

covers(pattern, resource) if {
	parts := split(resource, "/")
	count(parts) == 2
	pattern == concat("", ["*/", parts[1]])
}

# named(rule): resourceNames limits the rule to the objects it names.
named(rule) if count(rule.resourceNames) > 0

# reach(what) says which objects a Role or ClusterRole's grant on what reaches, for messages.
reach(what) := sprintf("%s in every namespace once a ClusterRoleBinding binds this ClusterRole", [what]) if {
	is_cluster_role
} else := sprintf("%s in namespace %s", [what, namespace]) if {
	namespace != ""
} else := sprintf("%s in the Role's namespace", [what])

# verbs_granting(rule, wanted) lists, in order, the rule's verbs among wanted, "*" included.
verbs_granting(rule, wanted) := [v | some v in rule.verbs; v in (wanted | {"*"})]

# subject_name(s) names a subject for messages: ServiceAccount ns/name, User name, Group name.
subject_name(s) := sprintf("ServiceAccount %s/%s", [str(s, "namespace"), str(s, "name")]) if {
	str(s, "kind") == "ServiceAccount"
	str(s, "namespace") != ""
} else := sprintf("%s %s", [str(s, "kind"), str(s, "name")])

# show(s) is s for messages, with "*" quoted so that it reads as a value.
show(s) := "\"*\"" if s == "*"

else := s

# show_all(l) joins a list of verbs or resources for messages.
show_all(l) := concat(", ", [show(s) | some s in l])

# and_join(l) joins words for a sentence: "a", "a and b", "a, b and c".
and_join(l) := l[0] if count(l) == 1

else := concat(" and ", [concat(", ", array.slice(l, 0, count(l) - 1)), l[count(l) - 1]])
