# METADATA
# title: RBAC grants that lead to any permission
# description: |
#   Some grants are worth every other one. escalate on roles or clusterroles writes permissions the
#   subject does not hold; bind on them binds roles the subject does not hold, to itself;
#   impersonate on users, groups or serviceaccounts (or uids, userextras) acts as someone else;
#   verbs "*" on those resources include these verbs. A Role reaches only the checks made in its
#   namespace: escalate on roles, bind on roles and clusterroles (a RoleBinding's), impersonate on
#   serviceaccounts. Binding the cluster-admin ClusterRole hands out every permission: cluster-wide
#   in a ClusterRoleBinding, over the whole namespace (its Secrets, Roles and RoleBindings included)
#   in a RoleBinding. Writing admission webhook configurations or admission policies
#   (admissionregistration.k8s.io) registers code that sees, and for mutating ones may rewrite,
#   every object written to the cluster, RoleBindings included, or removes the checks that stand in
#   the way (jobguard's own webhook among them). Not reported: bind limited by resourceNames to
#   roles other than cluster-admin (the way to delegate the granting of one role), writes to
#   admission configurations limited by resourceNames (how CA injectors, cert-manager's and
#   jobguard's own, patch the caBundle of their configurations), and the built-in binding of
#   cluster-admin to the system:masters group.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/rbac/escalation_check.go
#     description: "`RoleEscalationAuthorized` lets a role with permissions the writer lacks be written with escalate, in the request's namespace; `BindingAuthorized` lets such a role be bound with bind, in the binding's namespace."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation/impersonation.go
#     description: "`WithImpersonation` checks impersonate on users, groups, serviceaccounts (in the ServiceAccount's namespace), userextras and uids, then serves the request as that user."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go
#     description: "`ClusterRoles` defines cluster-admin as every verb on every resource; `ClusterRoleBindings` binds it to `SystemPrivilegedGroup` (system:masters)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/api/admissionregistration/v1/types.go
#     description: "`MutatingWebhookConfiguration` and `ValidatingWebhookConfiguration` send matching requests (any resource, rbac.authorization.k8s.io included) to a webhook that may patch or reject them."
# custom:
#   id: rbac-escalation
#   severity: warning
#   kinds: [Role, ClusterRole, RoleBinding, ClusterRoleBinding]
#   remediation: Grant the specific permissions instead; delegate role granting with bind limited by resourceNames, and bind the admin or edit ClusterRole rather than cluster-admin.
package jobguard.rules.rbac.rbac_escalation

import data.jobguard.lib.rbac
import data.jobguard.lib.result

# targets[verb] holds the [group, resource] pairs the API server checks verb on.
targets := {
	"escalate": {["rbac.authorization.k8s.io", "roles"], ["rbac.authorization.k8s.io", "clusterroles"]},
	"bind": {["rbac.authorization.k8s.io", "roles"], ["rbac.authorization.k8s.io", "clusterroles"]},
	"impersonate": {
		["", "users"], ["", "groups"], ["", "serviceaccounts"],
		["authentication.k8s.io", "uids"], ["authentication.k8s.io", "userextras"],
	},
}

effects := {
	"escalate": "can write roles with permissions it does not hold, so it can give itself any permission",
	"bind": "can bind roles with permissions it does not hold, to itself as well, so it can give itself any permission",
	"impersonate": "can act as another user, group or ServiceAccount, with all of its permissions",
}

# Checks made without a namespace, which a Role's rules never match: escalate on a ClusterRole
# (bind on one is checked in the RoleBinding's namespace) and impersonating users, groups, uids
# and extras (a ServiceAccount is impersonated in its namespace).
cluster_scoped := {
	["escalate", "clusterroles"], ["impersonate", "users"], ["impersonate", "groups"],
	["impersonate", "uids"], ["impersonate", "userextras"],
}

# reached(rule, verb) lists the rule's resources that verb is checked on.
reached(rule, verb) := sort({r |
	some r in rbac.list(rule, "resources")
	some [group, resource] in targets[verb]
	not role_misses(verb, resource)
	rbac.in_group(rule, group)
	covers(r, resource)
})

role_misses(verb, resource) if {
	rbac.is_role
	cluster_scoped[[verb, resource]]
}

covers(pattern, resource) if rbac.covers(pattern, resource)

covers(pattern, "userextras") if startswith(pattern, "userextras/")

# bind limited to named roles delegates the granting of those roles only.
delegated(rule, "bind") if {
	rbac.named(rule)
	not "cluster-admin" in rbac.list(rule, "resourceNames")
}

deny contains result.fail(msg, ["rules", i, "verbs", k]) if {
	some i, rule in rbac.rules
	some k, verb in rule.verbs
	effects[verb]
	resources := reached(rule, verb)
	count(resources) > 0
	not delegated(rule, verb)
	msg := sprintf("grants %s on %s: the subject %s", [verb, rbac.show_all(resources), effect(verb, rule)])
}

effect(verb, rule) := sprintf("can act as %s (its resourceNames), with all of their permissions", [concat(", ", rbac.list(rule, "resourceNames"))]) if {
	verb == "impersonate"
	rbac.named(rule)
} else := effects[verb]

deny contains result.fail(msg, ["rules", i, "verbs", k]) if {
	some i, rule in rbac.rules
	rule.verbs[k] == "*"
	implied := [v | some v in ["escalate", "bind", "impersonate"]; count(reached(rule, v)) > 0]
	count(implied) > 0
	resources := {r | some v in implied; some r in reached(rule, v)}
	msg := sprintf("grants \"*\" on %s, which includes %s: the subject can give itself any permission", [rbac.show_all(sort(resources)), rbac.and_join(implied)])
}

# admission_resources are written to register admission webhooks and policies.
admission_resources := {
	"mutatingwebhookconfigurations", "validatingwebhookconfigurations",
	"mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
	"validatingadmissionpolicies", "validatingadmissionpolicybindings",
}

admission_writes := {"create", "update", "patch", "delete", "deletecollection", "*"}

# admission_reached(rule) lists the admission resources the rule's resources cover. The group
# comes first: most rules are of other groups, and then no resource is paired.
admission_reached(rule) := sort({r |
	rbac.in_group(rule, "admissionregistration.k8s.io")
	some r in rbac.list(rule, "resources")
	some resource in admission_resources
	rbac.covers(r, resource)
})

# One finding per rule, at its first write verb, naming them all. Only a ClusterRole can grant
# them: the resources are cluster-scoped.
deny contains result.fail(msg, ["rules", i, "verbs", k]) if {
	rbac.is_cluster_role
	some i, rule in rbac.rules
	not rbac.named(rule)
	resources := admission_reached(rule)
	count(resources) > 0
	writes := [v | some v in rbac.list(rule, "verbs"); admission_writes[v]]
	count(writes) > 0
	not star_reported(rule) # "*" that also reaches escalate, bind or impersonate: reported above
	k := min({j | some j, v in rule.verbs; admission_writes[v]})
	msg := sprintf("grants %s on %s: the subject can register admission webhooks or policies, which see and may rewrite every object written to the cluster (RoleBindings included), or remove the ones that check it", [rbac.show_all(writes), rbac.show_all(resources)])
}

star_reported(rule) if {
	"*" in rule.verbs
	some v in ["escalate", "bind", "impersonate"]
	count(reached(rule, v)) > 0
}

deny contains result.fail(msg, ["roleRef", "name"]) if {
	rbac.kind in {"RoleBinding", "ClusterRoleBinding"}
	rbac.str(rbac.role_ref, "kind") == "ClusterRole"
	rbac.str(rbac.role_ref, "name") == "cluster-admin"
	not only_system_masters
	msg := sprintf("gives cluster-admin to %s: %s", [subjects_text, admin_reach])
}

only_system_masters if {
	count(rbac.subjects) > 0
	every s in rbac.subjects {
		rbac.str(s, "kind") == "Group"
		rbac.str(s, "name") == "system:masters"
	}
}

subjects_text := "no subject yet" if {
	count(rbac.subjects) == 0
} else := concat(", ", [rbac.subject_name(s) | some s in rbac.subjects])

admin_reach := "every permission on every resource of the cluster" if {
	rbac.is_cluster_role_binding
} else := sprintf("every permission in namespace %s, its Secrets, Roles and RoleBindings included", [rbac.namespace]) if {
	rbac.namespace != ""
} else := "every permission in the RoleBinding's namespace, its Secrets, Roles and RoleBindings included"
