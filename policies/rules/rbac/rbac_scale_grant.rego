# METADATA
# title: RBAC grants that scale every workload
# description: |
#   update or patch on a scale subresource (deployments/scale, "*/scale") sets the replica count:
#   to zero, which stops a service, or to thousands, which exhausts the cluster's capacity and its
#   quota. "*" resources in the core, apps, extensions or "*" API groups include it. A ClusterRole
#   reaches every namespace once a ClusterRoleBinding binds it; a Role every workload of its
#   namespace. Grants limited by resourceNames (one named workload) are not reported, in either
#   kind, and neither is reading a scale subresource (get, as autoscalers do).
# custom:
#   id: rbac-scale-grant
#   severity: warning
#   kinds: [Role, ClusterRole]
#   remediation: Limit the grant with resourceNames to the workloads the subject manages, or grant it in a Role of the one namespace that needs it.
package jobguard.rules.rbac.rbac_scale_grant

import data.jobguard.lib.rbac
import data.jobguard.lib.result

# The API groups whose built-in resources have a scale subresource.
scalable_groups := {"", "apps", "extensions"}

scale_pattern(pattern, _) if endswith(pattern, "/scale")

scale_pattern("*", rule) if {
	some g in scalable_groups
	rbac.in_group(rule, g)
}

deny contains result.fail(msg, ["rules", i, "resources", j]) if {
	some i, rule in rbac.rules
	some j, pattern in rule.resources
	is_string(pattern)
	scale_pattern(pattern, rule)
	not rbac.named(rule)
	verbs := rbac.verbs_granting(rule, {"update", "patch"})
	count(verbs) > 0
	msg := sprintf("grants %s on %s: it can scale %s (to zero, or far beyond the cluster's capacity)", [rbac.show_all(verbs), rbac.show(pattern), rbac.reach(workloads(pattern))])
}

workloads(pattern) := "every scalable resource (Deployments, StatefulSets, ReplicaSets, custom resources)" if {
	pattern in {"*", "*/scale"}
} else := sprintf("all %s", [trim_suffix(pattern, "/scale")])
