# METADATA
# title: RBAC grants that scale every workload
# description: |
#   update or patch on a scale subresource (deployments/scale, "*/scale") sets the replica count:
#   to zero, which stops a service, or to thousands, which exhausts the cluster's capacity and its
#   quota. Kubernetes serves scale subresources for replicationcontrollers (core group) and for
#   deployments, statefulsets and replicasets (apps); a CustomResourceDefinition may add one to its
#   resources. "*" resources in the core, apps or "*" API groups include them (the extensions
#   group is no longer served). A ClusterRole reaches every namespace once a ClusterRoleBinding
#   binds it; a Role every workload of its namespace. Grants limited by resourceNames (one named
#   workload) are not reported, in either kind, and neither is reading a scale subresource (get,
#   as autoscalers do).
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/apps/rest/storage_apps.go
#     description: "`StorageProvider.v1Storage` serves deployments/scale, statefulsets/scale and replicasets/scale (`Scale`)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/registry/core/rest/storage_core.go
#     description: "The core group serves replicationcontrollers/scale (`controllerStorage.Scale`)."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/staging/src/k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/types.go
#     description: "`CustomResourceSubresourceScale`: a CRD version may serve a scale subresource for its custom resource."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/rbac/v1/evaluation_helpers.go
#     description: "`ResourceMatches` matches \"*\", the exact resource and \"*/<subresource>\"; `APIGroupMatches` matches the group or \"*\"."
# custom:
#   id: rbac-scale-grant
#   severity: warning
#   kinds: [Role, ClusterRole]
#   remediation: Limit the grant with resourceNames to the workloads the subject manages, or grant it in a Role of the one namespace that needs it.
package jobguard.rules.rbac.rbac_scale_grant

import data.jobguard.lib.rbac
import data.jobguard.lib.result

# scalable[group] names the built-in resources of group that have a scale subresource.
scalable := {
	"": ["ReplicationController"],
	"apps": ["Deployment", "StatefulSet", "ReplicaSet"],
}

scale_pattern(pattern, _) if endswith(pattern, "/scale")

scale_pattern("*", rule) if {
	some g, _ in scalable
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
	msg := sprintf("grants %s on %s: it can scale %s (to zero, or far beyond the cluster's capacity)", [rbac.show_all(verbs), rbac.show(pattern), rbac.reach(workloads(pattern, rule))])
}

# workloads(pattern, rule) says what a "*" or "*/scale" entry scales, in the rule's own groups.
workloads(pattern, rule) := sprintf("every %s", [rbac.and_join(kinds)]) if {
	pattern in {"*", "*/scale"}
	builtin := [k | some g in ["", "apps"]; rbac.in_group(rule, g); some k in scalable[g]]
	kinds := array.concat(builtin, custom_kinds(pattern, rule))
	count(kinds) > 0
} else := sprintf("all %s", [trim_suffix(pattern, "/scale")])

# A CRD may serve a scale subresource in any group other than Kubernetes' own: "*/scale" reaches
# it in "*" and in the rule's other groups; "*" resources only in apiGroups "*".
custom_kinds("*", rule) := ["custom resource with a scale subresource"] if "*" in rbac.list(rule, "apiGroups")

else := []

custom_kinds("*/scale", rule) := ["custom resource with a scale subresource"] if "*" in rbac.list(rule, "apiGroups")

else := [sprintf("resource of %s with a scale subresource", [concat(", ", groups)])] if {
	groups := [g | some g in rbac.list(rule, "apiGroups"); is_string(g); not g in {"", "apps"}]
	count(groups) > 0
} else := []
