# METADATA
# title: RBAC that grants more than its workloads need
# description: |
#   When the input holds both the RBAC and the Jobs and CronJobs that use it, jobguard compares
#   what the ServiceAccounts are granted with what their kubectl commands request: a
#   ClusterRoleBinding where RoleBindings in the namespaces used would do, verbs and resources no
#   command uses, and exec or scale on every object where resourceNames would do. Nothing is
#   reported when a subject has no workload in the input or a command cannot be understood. A
#   request only some kubectl or cluster versions make (the list before kubectl rollout status
#   and wait watch, which kubectl 1.35 and later skip on clusters that serve watch-list) counts as
#   used: an older kubectl, or the same one on another cluster, needs it.
# related_resources:
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/plugin/pkg/auth/authorizer/rbac/rbac.go
#     description: "`RulesAllow` and `RuleAllows`: a request is allowed by a rule whose verbs, apiGroups, resources and resourceNames all match it; what no request of the workloads matches is granted for nothing."
#   - ref: https://github.com/kubernetes/kubernetes/blob/v1.36.3/pkg/apis/rbac/v1/evaluation_helpers.go
#     description: "`VerbMatches`, `APIGroupMatches`, `ResourceMatches` and `ResourceNameMatches`: the matching rbac-overbroad compares with."
# custom:
#   id: rbac-overbroad
#   severity: warning
#   kinds: [Role, ClusterRole, ClusterRoleBinding]
#   inventory: true
#   remediation: Remove what the message names, or replace the RBAC with the output of `jobguard rbac suggest`.
package jobguard.rules.rbac.rbac_overbroad

import data.jobguard.lib.result

deny contains result.fail(excess.message, excess.path) if {
	obj := input.object
	some excess in jobguard.rbac.excess(obj.kind, object.get(obj, ["metadata", "namespace"], ""), object.get(obj, ["metadata", "name"], ""))
}
